from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from accounts import keys

PROTECTED_PREFIXES = ("/staff/", "/audit/", "/admin/")
ENROL_LINK_PREFIX = "/staff/enrol/"
# The security-key steps: reached before the second factor (signing in with a key, the first
# key of an enrolment link's session) and by a key role that has no key yet.
KEY_STEPS = (
    "key_enrol",
    "key_needed",
    "key_register_begin",
    "key_register_complete",
    "key_assert_begin",
    "key_assert_complete",
)


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
            if self._needs_key(request, user) and not self._is_key_step(path):
                return HttpResponseRedirect(reverse("accounts:key_needed"))
        return self.get_response(request)

    @staticmethod
    def _needs_key(request: HttpRequest, user) -> bool:
        """A role that must use a security key, on an address where keys work, reaches staff
        pages only in a session that passed a key, or a backup code once it has a key (that
        session opens no case data: accounts.views.second_factor_passed)."""
        if not (keys.key_required(user) and keys.offers_keys(request)):
            return False
        factor = request.session.get(keys.FACTOR)
        if factor == "webauthn":
            return False
        return not (factor == "backup" and keys.has_key(user))

    @staticmethod
    def _is_key_step(path: str) -> bool:
        return path in {reverse(f"accounts:{name}") for name in KEY_STEPS} or path == reverse(
            "accounts:logout"
        )

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
            *(reverse(f"accounts:{name}") for name in KEY_STEPS),
        }
