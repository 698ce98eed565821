"""Plain error pages (templates/error.html: standalone, no form, no cookie), revealing nothing."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from core.translations import translation_unreviewed


def _error(request: HttpRequest, status: int, title: str, text: str) -> HttpResponse:
    context = {
        "title": title,
        "text": text,
        "quick_exit_url": settings.QUICK_EXIT_URL,
        "translation_unreviewed": translation_unreviewed(),
    }
    return render(request, "error.html", context, status=status)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("Not allowed"), _("You do not have access to this page."))


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 404, _("Not found"), _("There is nothing at this address."))


def server_error(request: HttpRequest) -> HttpResponse:
    return _error(request, 500, _("Something went wrong"), _("Please try again in a few minutes."))


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's CSRF refusal (staff pages), as our own page in the visitor's language."""
    return _error(
        request,
        403,
        _("Nothing was done"),
        _(
            "This form had been open too long, or did not come from our own pages, so nothing "
            "was done. Go back, reload the page and send it again."
        ),
    )
