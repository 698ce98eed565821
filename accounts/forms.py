from __future__ import annotations

from django import forms
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import CASE_STAFF


class LoginForm(forms.Form):
    username = forms.CharField(label=_("Username"), max_length=150)
    password = forms.CharField(
        label=_("Password"), max_length=4096, strip=False, widget=forms.PasswordInput
    )


class CodeForm(forms.Form):
    token = forms.CharField(
        label=_("Code"),
        max_length=16,
        help_text=_("The six digits from your authenticator app, or one of your backup codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class SignInCodeForm(CodeForm):
    """The code at sign-in: six digits, or a backup code of letters and digits, so the field
    does not ask phones for a digits-only keyboard (on which a backup code cannot be typed)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        attrs = self.fields["token"].widget.attrs
        attrs.pop("inputmode", None)
        attrs.update({"autocapitalize": "none", "autocorrect": "off", "spellcheck": "false"})


class PasswordConfirmForm(forms.Form):
    """Re-entering the password before a change to the second factor."""

    password = forms.CharField(
        label=_("Your password"), max_length=4096, strip=False, widget=forms.PasswordInput
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError(_("That password is not correct."))
        return password


class PasswordChangeForm(PasswordConfirmForm):
    new_password = forms.CharField(
        label=_("New password"), max_length=4096, strip=False, widget=forms.PasswordInput
    )

    def clean_new_password(self) -> str:
        new_password = self.cleaned_data["new_password"]
        validate_password(new_password, user=self.user)
        return new_password


class GrantForm(forms.Form):
    """Whom to give access to case data: an active caseworker or coordinator other than you."""

    grantee = forms.ModelChoiceField(
        queryset=None,
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choose a staff member to grant access to."),
            "invalid_choice": _(
                "That staff member cannot be given access: only active caseworkers and "
                "coordinators other than you can."
            ),
        },
    )

    def __init__(self, *args, granter, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grantee"].queryset = User.objects.filter(
            is_active=True, role__in=CASE_STAFF
        ).exclude(pk=granter.pk)


class OwnPasswordForm(forms.Form):
    """The enrolment link's first step: the person chooses their own password."""

    new_password = forms.CharField(
        label=_("New password"), max_length=4096, strip=False, widget=forms.PasswordInput
    )
    new_password_again = forms.CharField(
        label=_("New password, again"), max_length=4096, strip=False, widget=forms.PasswordInput
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_new_password(self) -> str:
        new_password = self.cleaned_data["new_password"]
        validate_password(new_password, user=self.user)
        return new_password

    def clean(self) -> dict:
        data = super().clean()
        first, second = data.get("new_password"), data.get("new_password_again")
        if first and second is not None and first != second:
            self.add_error("new_password_again", _("The two passwords differ."))
        return data


class AccountChangeDecisionForm(forms.Form):
    """A second administrator's answer to a pending account change."""

    change = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    decision = forms.ChoiceField(choices=[("confirm", "confirm"), ("cancel", "cancel")])
