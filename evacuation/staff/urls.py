from __future__ import annotations

from django.urls import path

from evacuation.staff import correspondence_views, views
from evacuation.staff.actions import ACTIONS

app_name = "evacuation_staff"

urlpatterns = [
    path("", views.queue, name="queue"),
    path("approvals/", views.approvals, name="approvals"),
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
