from __future__ import annotations

from contextvars import ContextVar

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from accounts import services
from accounts.admin_site import admin_site
from accounts.models import User

# The admin's password form is built by Django without the request; this carries who acts.
_acting_admin: ContextVar[User | None] = ContextVar("acting_admin", default=None)


class StaffPasswordResetForm(AdminPasswordChangeForm):
    """An admin reset makes a new personal key: the old one cannot be unwrapped."""

    def save(self, commit: bool = True) -> User:
        services.password_reset_by_admin(
            user=self.user, new_password=self.cleaned_data["password1"], actor=_acting_admin.get()
        )
        return self.user


@admin.register(User, site=admin_site)
class StaffAdmin(UserAdmin):
    list_display = ("username", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username",)
    ordering = ("username",)
    fieldsets = ((None, {"fields": ("username", "password", "role", "is_active")}),)
    add_fieldsets = ((None, {"fields": ("username", "role", "password1", "password2")}),)
    change_password_form = StaffPasswordResetForm
    actions = ["reset_second_factor"]

    def user_change_password(self, request, id, form_url=""):
        token = _acting_admin.set(request.user)
        try:
            return super().user_change_password(request, id, form_url)
        finally:
            _acting_admin.reset(token)

    def save_model(self, request, obj: User, form, change: bool) -> None:
        if not change:
            password = form.cleaned_data["password1"]
            with transaction.atomic():
                created = services.staff_create(
                    username=obj.username, role=obj.role, password=password, actor=request.user
                )
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        old = User.objects.get(pk=obj.pk)
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            services.staff_update(
                user=obj, actor=request.user, old_role=old.role, was_active=old.is_active
            )

    @admin.action(description=_("Reset second factor (they enrol again at next sign-in)"))
    def reset_second_factor(self, request, queryset) -> None:
        for user in queryset:
            services.second_factor_reset(user=user, actor=request.user)
        messages.success(request, _("Second factor reset."))
