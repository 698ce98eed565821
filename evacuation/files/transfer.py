"""How a file enters and leaves the server, for staff and applicants alike."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from evacuation.files import sanitise


def file_response(*, name: str, kind: str, data: bytes) -> HttpResponse:
    """A download, never shown inline: the browser must not render what someone sent."""
    response = HttpResponse(data, content_type=sanitise.content_type(kind))
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def uploaded_bytes(request: HttpRequest) -> bytes:
    """The bytes of the form's `file`, or sanitise.FileRefused.

    Uploads stay in memory (settings.FILE_UPLOAD_HANDLERS), and the handler drops one over the
    memory limit before the view runs, so a missing file in a large request means "too large".
    """
    upload = request.FILES.get("file")
    if upload is None:
        if int(request.META.get("CONTENT_LENGTH") or 0) > settings.FILE_MAX_BYTES:
            raise sanitise.too_large()
        raise sanitise.FileRefused(_("Choose a file to attach."), code="empty")
    return sanitise.upload_bytes(upload)
