from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django_otp.admin import OTPAdminSite


class StaffAdminSite(OTPAdminSite):
    """Django's admin behind the same verified session, for the admin role only."""

    site_header = _("Safe Passage administration")
    site_title = _("Safe Passage administration")

    def has_permission(self, request: HttpRequest) -> bool:
        user = request.user
        if user.is_active and user.is_verified() and not user.may("admin_site"):
            raise PermissionDenied  # a signed-in colleague of another role: 403, not a sign-in page
        return super().has_permission(request)

    def login(self, request: HttpRequest, extra_context=None) -> HttpResponse:
        # One sign-in page for all staff; a signed-in non-admin is refused, not asked again.
        if request.user.is_authenticated:
            raise PermissionDenied
        return redirect("accounts:login")


admin_site = StaffAdminSite(name="admin")
