from __future__ import annotations

from django.urls import path

from evacuation.staff import (
    correspondence_views,
    followup_views,
    notification_views,
    views,
    workspace_views,
)
from evacuation.staff.actions import ACTIONS

app_name = "evacuation_staff"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("approvals/", views.approvals, name="approvals"),
    # Each person's notifications, and who is on call (before the case URLs).
    path("notifications/", notification_views.notifications, name="notifications"),
    path("notifications/on-call/", notification_views.on_call, name="on_call"),
    # The workspace: labels and reply templates, managed by coordinators (before the case URLs).
    path("labels/", workspace_views.labels, name="labels"),
    path("labels/<int:id>/", workspace_views.label_change, name="label_change"),
    path("templates/", workspace_views.templates, name="templates"),
    path("templates/<int:id>/", workspace_views.template_detail, name="template"),
    path("<str:reference>/", views.case_detail, name="case"),
    path("<str:reference>/close/", views.case_close, name="close"),
    path("<str:reference>/message/", correspondence_views.message_send, name="message"),
    path("<str:reference>/files/", correspondence_views.file_upload, name="file_upload"),
    path(
        "<str:reference>/files/<uuid:uid>/",
        correspondence_views.file_download,
        name="file_download",
    ),
    path("<str:reference>/hold/", correspondence_views.hold, name="hold"),
    path("<str:reference>/followups/", followup_views.followup_add, name="followup_add"),
    path(
        "<str:reference>/followups/<int:id>/close/",
        followup_views.followup_close,
        name="followup_close",
    ),
    path("<str:reference>/checkins/", followup_views.checkins, name="checkins"),
    # One POST-only URL per declared action, all run through views.case_act.
    *(
        path(
            f"<str:reference>/{action.segment}/",
            views.case_act,
            {"action": action.name},
            name=action.url_name,
        )
        for action in ACTIONS
    ),
]
