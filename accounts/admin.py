from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import changes, services
from accounts.admin_site import admin_site
from accounts.models import User

OWN_ROLE = gettext_lazy(
    "You cannot change your own role: another administrator must do it (four eyes)."
)


class StaffCreationForm(forms.ModelForm):
    """A new account asks no password: the person sets their own with an enrolment link, once
    a second administrator has confirmed the creation."""

    class Meta:
        model = User
        fields = ("username", "role")

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(_("A staff account with this username exists already."))
        if changes.pending_exists(kind=changes.Kind.CREATE, username=username):
            raise ValidationError(_("A staff account with this username is already waiting."))
        return username


class StaffChangeForm(forms.ModelForm):
    acting_admin: User | None = None  # set per request by StaffAdmin.get_form

    class Meta:
        model = User
        fields = ("username", "role", "is_active")

    def clean_role(self) -> str:
        role = self.cleaned_data["role"]
        actor = self.acting_admin
        if actor is not None and self.instance.pk == actor.pk and role != self.instance.role:
            raise ValidationError(OWN_ROLE)
        waits = changes.needs_second_admin(old_role=self.instance.role, new_role=role)
        if waits and changes.pending_exists(kind=changes.Kind.ROLE, user=self.instance):
            raise ValidationError(
                _("A role change for this account is already waiting: confirm or cancel it first.")
            )
        return role


@admin.register(User, site=admin_site)
class StaffAdmin(UserAdmin):
    list_display = ("username", "role", "is_active", "last_login")
    list_filter = ("role", "is_active")
    search_fields = ("username",)
    ordering = ("username",)
    form = StaffChangeForm
    add_form = StaffCreationForm
    fieldsets = ((None, {"fields": ("username", "role", "is_active")}),)
    add_fieldsets = ((None, {"fields": ("username", "role")}),)
    actions = ["reset_sign_in"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        return type(form.__name__, (form,), {"acting_admin": request.user})

    def user_change_password(self, request, id, form_url=""):
        # No administrator sets another person's password: "Reset password and second factor"
        # gives them an enrolment link instead (their own is changed on their security page).
        raise PermissionDenied

    def save_model(self, request, obj: User, form, change: bool) -> None:
        if not change:
            changes.request_create(actor=request.user, username=obj.username, role=obj.role)
            return
        old = User.objects.get(pk=obj.pk)
        new_role = obj.role
        waits = changes.needs_second_admin(old_role=old.role, new_role=new_role)
        if waits:
            obj.role = old.role  # the rest is saved now; the role when a second admin confirms
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            services.staff_update(
                user=obj, actor=request.user, old_role=old.role, was_active=old.is_active
            )
            if obj.is_active and not old.is_active:
                changes.enabled_again(actor=request.user, user=obj)
            if waits:
                changes.request_role(actor=request.user, user=obj, role=new_role)
            elif old.role != obj.role:
                changes.role_applied(actor=request.user, user=obj, old_role=old.role)
        if waits:
            messages.warning(request, _WAITS)

    def save_related(self, request, form, formsets, change: bool) -> None:
        if change:
            super().save_related(request, form, formsets, change)

    def log_addition(self, request, obj, message):
        return None  # nothing was added yet: the audit log has the request

    def response_add(self, request, obj, post_url_continue=None):
        messages.warning(request, _WAITS)
        return HttpResponseRedirect(reverse("accounts:account_changes"))

    @admin.action(
        description=gettext_lazy("Reset password and second factor (needs a second admin)")
    )
    def reset_sign_in(self, request, queryset) -> None:
        asked = 0
        for user in queryset:
            if user.pk == request.user.pk:
                messages.error(
                    request,
                    _("You cannot reset your own sign-in here: use your security page."),
                )
                continue
            if changes.pending_exists(kind=changes.Kind.RESET, user=user):
                messages.info(
                    request,
                    _("A reset for %(name)s is already waiting.") % {"name": user.username},
                )
                continue
            changes.request_reset(actor=request.user, user=user)
            asked += 1
        if asked:
            messages.warning(request, _WAITS)


_WAITS = gettext_lazy(
    "Asked for. It takes effect when a second administrator confirms it on the Account changes "
    "page."
)
