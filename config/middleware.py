from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.middleware import csrf

from accounts.middleware import PROTECTED_PREFIXES as STAFF_PREFIXES


class NoStoreMiddleware:
    """Pages may hold what a person told us: no browser or proxy keeps a copy."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/static/"):
            response["Cache-Control"] = "no-store"
        return response


class CsrfViewMiddleware(csrf.CsrfViewMiddleware):
    """Django's CSRF protection, accepting `Origin: null` on applicant pages.

    Applicant pages are served with `Referrer-Policy: no-referrer`, and for such pages
    browsers send `Origin: null` (and no Referer) on form posts, so Django's origin check
    would refuse every request a real person sends. There the secret token, bound to a
    SameSite=Strict cookie, stays the protection. Staff pages send their real origin and
    keep the full check.
    """

    def _origin_verified(self, request: HttpRequest) -> bool:
        if request.META.get("HTTP_ORIGIN") == "null" and not request.path.startswith(
            STAFF_PREFIXES
        ):
            return True
        return super()._origin_verified(request)
