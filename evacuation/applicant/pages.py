"""Rendering an applicant page, and the words every status page may say."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

from evacuation.choices import State

# One message for a wrong, unknown, malformed or empty code: it must not tell them apart.
CODE_NOT_FOUND = _(
    "We could not find a request with this code. Check each digit and try again. "
    "If you have lost your code, you can send a new request."
)

STATE_TEXT = {
    State.RECEIVED: _(
        "We have received your request. A caseworker will read it and contact you the way "
        "you asked. Urgent requests are read first."
    ),
    State.ASSESSED: _(
        "A caseworker has read your request and is working on the next steps. They will "
        "contact you the way you asked."
    ),
    State.FUNDED: _(
        "Support for your journey has been approved. A caseworker will contact you about "
        "the next steps."
    ),
    State.RELOCATED: _("Your relocation has been recorded as completed. We wish you safety."),
    State.DECLINED: _(
        "We are sorry: we cannot help with this request. This does not mean we doubt you. "
        "If your situation changes, you can send a new request."
    ),
    State.WITHDRAWN: _(
        "This request has been withdrawn. No one will act on it. If you need help again, "
        "you can send a new request."
    ),
}


def page(
    request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200
) -> HttpResponse:
    """One of templates/evacuation/applicant/, with what every applicant page shows."""
    context = {
        "quick_exit_url": settings.QUICK_EXIT_URL,
        "retention_days": settings.RETENTION_DAYS,
        **(context or {}),
    }
    return render(request, f"evacuation/applicant/{template}", context, status=status)


def too_many_attempts(request: HttpRequest) -> HttpResponse:
    return page(request, "too_many.html", status=429)
