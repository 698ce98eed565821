from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from audit import signing
from audit.actions import Action
from audit.models import ActorKind

STAFF_PREFIX = "user:"


class EventFilterForm(forms.Form):
    actor = forms.ChoiceField(label=_("Actor"), required=False)
    action = forms.ChoiceField(
        label=_("Action"), required=False, choices=[("", _("Any action")), *Action.choices]
    )
    case = forms.CharField(
        label=_("Case reference"),
        required=False,
        max_length=20,
        validators=[
            RegexValidator(r"^[A-Za-z0-9-]+$", _("A case reference looks like EV-ABCD-EF."))
        ],
    )
    date_from = forms.DateField(
        label=_("From (UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To (UTC)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        staff = get_user_model().objects.order_by("username").values_list("pk", "username")
        self.fields["actor"].choices = [
            ("", _("Anyone")),
            (ActorKind.APPLICANT.value, ActorKind.APPLICANT.label),
            (ActorKind.SYSTEM.value, ActorKind.SYSTEM.label),
            (ActorKind.ANONYMOUS.value, ActorKind.ANONYMOUS.label),
            *((f"{STAFF_PREFIX}{pk}", username) for pk, username in staff),
        ]

    def clean_case(self) -> str:
        return self.cleaned_data["case"].strip().upper()

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must not be after the end date."))
        return cleaned

    def is_filtered(self) -> bool:
        return any(self.cleaned_data.get(name) for name in self.fields)


HEADS_MAX_BYTES = 1024 * 1024  # a year of checkpoints every five minutes is about 30 MB: keep
# the upload to the heads that matter (the newest), checked in one query.


class HeadsForm(forms.Form):
    heads = forms.FileField(
        label=_("Signed heads you kept (a file saved from this page earlier)"),
        error_messages={"required": _("Choose the file of signed heads.")},
    )

    def clean_heads(self):
        upload = self.cleaned_data["heads"]
        if upload.size > HEADS_MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 1 MB; keep only the newest signed heads in it.")
            )
        try:
            return signing.statements_parse(upload.read().decode("utf-8"))
        except (signing.StatementFormatError, UnicodeDecodeError) as exc:
            raise forms.ValidationError(
                _("This is not a file of signed heads saved from this page.")
            ) from exc
