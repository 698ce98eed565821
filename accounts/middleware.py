from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

PROTECTED_PREFIXES = ("/staff/", "/audit/", "/admin/")
ENROL_LINK_PREFIX = "/staff/enrol/"


class StaffTwoFactorMiddleware:
    """No staff page is reachable without a password and a second factor.

    One rule at the edge, so that a forgotten decorator can never expose a page;
    views still check what the role may do.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        if path.startswith(PROTECTED_PREFIXES) and not self._is_sign_in_step(path):
            user = request.user
            if not user.is_authenticated:
                query = urlencode({"next": path}) if request.method == "GET" else ""
                return HttpResponseRedirect(
                    reverse("accounts:login") + ("?" + query if query else "")
                )
            if not user.is_verified():
                return HttpResponseRedirect(reverse("accounts:verify"))
        return self.get_response(request)

    @staticmethod
    def _is_sign_in_step(path: str) -> bool:
        # An enrolment link (/staff/enrol/<token>/) is opened before its person can sign in.
        if path.startswith(ENROL_LINK_PREFIX):
            return True
        return path in {
            reverse("accounts:login"),
            reverse("accounts:verify"),
            reverse("accounts:enrol"),
            reverse("accounts:logout"),
        }
