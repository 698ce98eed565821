from __future__ import annotations

from django.urls import path

from evacuation import staff_correspondence_views as correspondence_views
from evacuation import staff_views

app_name = "evacuation_staff"


def _action(segment: str, action: str, name: str):
    """One POST-only URL per action on a case; all run through staff_views.case_act."""
    return path(f"<str:reference>/{segment}/", staff_views.case_act, {"action": action}, name=name)


urlpatterns = [
    path("", staff_views.queue, name="queue"),
    path("approvals/", staff_views.approvals, name="approvals"),
    path("<str:reference>/", staff_views.case_detail, name="case"),
    path("<str:reference>/message/", correspondence_views.message_send, name="message"),
    path("<str:reference>/files/", correspondence_views.file_upload, name="file_upload"),
    path(
        "<str:reference>/files/<uuid:uid>/",
        correspondence_views.file_download,
        name="file_download",
    ),
    path("<str:reference>/hold/", correspondence_views.hold, name="hold"),
    _action("assess", "assess", "assess"),
    _action("decline", "decline", "decline"),
    _action("propose", "propose_funding", "propose"),
    _action("approve", "approve_funding", "approve"),
    _action("reject", "reject_funding", "reject"),
    _action("cancel-funding", "cancel_funding", "cancel_funding"),
    _action("relocate", "confirm_relocation", "relocate"),
    _action("withdraw", "withdraw", "withdraw"),
    _action("take", "take", "take"),
    _action("reassign", "reassign", "reassign"),
    _action("notes", "note", "note"),
]
