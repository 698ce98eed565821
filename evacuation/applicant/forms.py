"""The applicant's forms. They only validate; the messages tell a person what to change."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django import forms
from django.conf import settings
from django.core.validators import EmailValidator
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from evacuation.choices import (
    LANGUAGE_NAMES,
    ContactMethod,
    HelpNeeded,
    RegionNow,
    TravelDocuments,
    Urgency,
    YesNo,
)
from evacuation.models import MESSAGE_MAX_LENGTH
from vault.receipts import ReceiptMalformed, ReceiptTypo, receipt_parse

PARTY_SIZE_MAX = 20
# The languages the applicant pages offer, each named in itself (settings.LANGUAGES).
LANGUAGE_CHOICES = [(code, LANGUAGE_NAMES.get(code, code)) for code, _name in settings.LANGUAGES]


def _required(message) -> dict:
    return {"required": message}


class IntakeForm(forms.Form):
    name = forms.CharField(
        label=_("Name or alias we should use"),
        help_text=_("It does not have to be your real name."),
        max_length=200,
        error_messages=_required(_("Please tell us what we should call you.")),
    )
    contact_method = forms.ChoiceField(
        label=_("Safest way to reach you"),
        choices=ContactMethod.choices,
        widget=forms.RadioSelect,
        error_messages=_required(_("Please choose how we can reach you safely.")),
    )
    contact_handle = forms.CharField(
        label=_("Your number, username or address for that"),
        help_text=_("For example a phone number or a Signal or Telegram username."),
        max_length=200,
        error_messages=_required(_("Please tell us the number, username or address to use.")),
    )
    country = forms.CharField(
        label=_("Country you are in now"),
        max_length=100,
        error_messages=_required(_("Please tell us which country you are in now.")),
    )
    city = forms.CharField(
        label=_("City or region you are in now"),
        help_text=_("Only if it is safe to say."),
        max_length=100,
        required=False,
    )
    situation = forms.CharField(
        label=_("What is happening, and who is threatening you?"),
        help_text=_(
            "Write as much or as little as you feel safe writing (up to 5,000 characters)."
        ),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages=_required(_("Please tell us briefly what is happening.")),
    )
    urgency = forms.ChoiceField(
        label=_("How urgent is it?"),
        choices=Urgency.choices,
        widget=forms.RadioSelect,
        error_messages=_required(_("Please choose how urgent it is.")),
    )
    party_size = forms.IntegerField(
        label=_("How many people would travel, including you?"),
        min_value=1,
        max_value=PARTY_SIZE_MAX,
        initial=1,
        error_messages={
            "required": _("Please tell us how many people would travel, including you."),
            "invalid": _("Please write the number of people as a whole number, for example 2."),
            "min_value": _("The number of people must be at least 1 (you)."),
            "max_value": _(
                "For more than %(limit_value)s people, write 20 here and explain in the "
                "description."
            ),
        },
    )
    travel_documents = forms.ChoiceField(
        label=_("Travel documents"),
        choices=TravelDocuments.choices,
        widget=forms.RadioSelect,
        error_messages=_required(_("Please tell us which travel documents you have.")),
    )
    help_needed = forms.MultipleChoiceField(
        label=_("What help do you need?"),
        help_text=_("Choose everything that applies."),
        choices=HelpNeeded.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages=_required(_("Please choose at least one kind of help.")),
    )
    # Triage (issue 19): coarse answers from fixed lists, sealed apart so that the queue can
    # show them without opening the case (vault.triage); each may be left unanswered.
    region_now = forms.ChoiceField(
        label=_("Where are you now?"),  # regions only: never a country or a city
        choices=RegionNow.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    children = forms.ChoiceField(
        label=_("Are there children among the people who would travel?"),
        choices=YesNo.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    preferred_language = forms.ChoiceField(
        label=_("In which language should we write to you?"),
        choices=[("", "—"), *LANGUAGE_CHOICES],
        required=False,
    )
    preferred_language.choices_named_in_themselves = True
    referred = forms.ChoiceField(
        label=_("Did a partner organisation send you to us?"),
        choices=YesNo.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    voucher = forms.CharField(
        label=_("A person or organisation who can vouch for you (optional)"),
        help_text=_("A name and a way to reach them. We contact them carefully, only to check."),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    consent = forms.BooleanField(
        label=_("I agree that my answers are kept encrypted for as long as described above."),
        error_messages=_required(
            _("We can only accept your request if you agree to how it is kept.")
        ),
    )

    def clean_contact_handle(self) -> str:
        handle = self.cleaned_data["contact_handle"].strip()
        if self.data.get("contact_method") == ContactMethod.EMAIL:
            EmailValidator(message=_("This does not look like an e-mail address."))(handle)
        return handle

    @cached_property
    def rendered(self) -> dict[str, SafeString]:
        """Each question's block as the page shows it (the name of a field), and the consent
        box alone ("consent_input"). Written out here rather than through a template per
        field and per widget: the form page is on every intake's path, and the templates were
        most of its CPU. Read after validation (the errors are part of it)."""
        blocks = {name: field_block(self[name]) for name in self.fields if name != "consent"}
        blocks["consent_input"] = widget_html(self["consent"])
        return blocks

    @classmethod
    def blank(cls) -> IntakeForm:
        """The empty form, as every GET of the page shows it: the same in each language, so it
        is made and written out once per language and only read afterwards."""
        return _blank_intake(get_language())


@lru_cache(maxsize=32)
def _blank_intake(language: str) -> IntakeForm:
    # `language` is the active one (the cache's key): the labels are written out in it.
    form = IntakeForm()
    form.rendered  # noqa: B018 (written out now, in this language)
    return form


class ReceiptCodeForm(forms.Form):
    """The code's shape and check digit are checked here, before any case is looked at: a
    mistyped digit is told apart from a wrong code without revealing anything."""

    code = forms.CharField(
        label=_("Your receipt code"),
        help_text=_("24 digits, in six groups of four, for example 1234-5678-9012-3456-7890-1234."),
        max_length=64,
        error_messages=_required(_("Please enter your receipt code.")),
    )

    def clean_code(self):
        try:
            return receipt_parse(self.cleaned_data["code"])
        except ReceiptMalformed:
            raise forms.ValidationError(
                _("A receipt code has 24 digits, in six groups of four. Please check it."),
                code="malformed",
            ) from None
        except ReceiptTypo:
            raise forms.ValidationError(
                _(
                    "One of the digits does not fit: a digit may be mistyped or two swapped. "
                    "Please compare each group with your note."
                ),
                code="typo",
            ) from None


class ApplicantMessageForm(forms.Form):
    text = forms.CharField(
        label=_("Your message"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MESSAGE_MAX_LENGTH,
        error_messages=_required(_("Write a message first.")),
    )


# --- the intake form's markup ------------------------------------------------------------------
# The same markup as Django's widget templates (django/forms/widgets/input.html, textarea.html,
# attrs.html) and the field block the intake page used to include per field: the attributes
# come from Django itself (BoundField.build_widget_attrs, Widget.get_context: required,
# aria-invalid, aria-describedby, checked, min/max), only the string is put together here, and
# everything that is not our own markup goes through conditional_escape, as autoescape would.


def _attrs_html(attrs: dict) -> str:
    return "".join(
        f" {name}" if value is True else f' {name}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


def _input_html(widget: dict) -> str:
    value = widget["value"]
    value = "" if value is None else f' value="{conditional_escape(str(value))}"'
    return (
        f'<input type="{widget["type"]}" name="{conditional_escape(widget["name"])}"'
        f"{value}{_attrs_html(widget['attrs'])}>"
    )


def widget_html(field: forms.BoundField) -> SafeString:
    """One field's input (or textarea), as `{{ field }}` renders it."""
    widget = field.field.widget
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
    if isinstance(widget, forms.Select):
        chosen = {str(v) for v in context["value"]}
        named_in_itself = getattr(field.field, "choices_named_in_themselves", False)
        options = "".join(
            f'<option value="{conditional_escape(str(value))}"'
            + (f' lang="{conditional_escape(str(value))}"' if named_in_itself and value else "")
            + (" selected" if str(value) in chosen else "")
            + f">{conditional_escape(label)}</option>"
            for value, label in field.field.choices
        )
        return mark_safe(  # noqa: S308 (every part is escaped)
            f'<select name="{conditional_escape(context["name"])}"'
            f"{_attrs_html(context['attrs'])}>{options}</select>"
        )
    if isinstance(widget, forms.Textarea):
        value = context["value"]
        return mark_safe(  # noqa: S308 (every part is escaped above or ours)
            f'<textarea name="{conditional_escape(context["name"])}"'
            f"{_attrs_html(context['attrs'])}>\n"
            f"{conditional_escape(value) if value else ''}</textarea>"
        )
    return mark_safe(_input_html(context))  # noqa: S308 (every part is escaped)


def field_block(field: forms.BoundField) -> SafeString:
    """A question: its label (a legend for a group of choices), help, first error, input."""
    auto_id = field.auto_id
    label = conditional_escape(field.label)
    if field.field.required:
        label += f' <span class="required">({conditional_escape(gettext("required"))})</span>'
    help_text = field.help_text
    error = field.errors[0] if field.errors else None
    help_html = (
        f'<p class="help" id="{auto_id}_helptext">{conditional_escape(help_text)}</p>'
        if help_text
        else ""
    )
    error_html = (
        f'<p class="errorlist" id="{auto_id}_error">{conditional_escape(error)}</p>'
        if error is not None
        else ""
    )
    widget = field.field.widget
    if getattr(widget, "input_type", None) == "radio" or getattr(
        widget, "allow_multiple_selected", False
    ):
        described = " ".join(
            part
            for part in (
                f"{auto_id}_helptext" if help_text else "",
                f"{auto_id}_error" if error is not None else "",
            )
            if part
        )
        described = f' aria-describedby="{described}"' if described else ""
        # Languages are each named in themselves, so each label says which language it is in.
        named_in_itself = getattr(field.field, "choices_named_in_themselves", False)
        choices = "".join(
            f'<label for="{conditional_escape(choice.id_for_label)}">'
            f"{_input_html(choice.data)} "
            + (
                f'<span lang="{conditional_escape(choice.data["value"])}">'
                f"{conditional_escape(choice.choice_label)}</span>"
                if named_in_itself
                else conditional_escape(choice.choice_label)
            )
            + "</label>"
            for choice in field
        )
        inner = (
            f'<fieldset id="{auto_id}"{described}>\n    <legend>{label}</legend>\n    '
            f"{help_html}\n    {error_html}\n    {choices}\n  </fieldset>"
        )
    else:
        inner = (
            f'<label for="{field.id_for_label}">{label}</label>\n  {help_html}\n  '
            f"{error_html}\n  {widget_html(field)}"
        )
    has_error = " has-error" if error is not None else ""
    return mark_safe(  # noqa: S308 (every part is escaped above or ours)
        f'<div class="field{has_error}">\n  {inner}\n</div>'
    )


_CHOICE_LABELS = {
    "contact_method": dict(ContactMethod.choices),
    "travel_documents": dict(TravelDocuments.choices),
    "help_needed": dict(HelpNeeded.choices),
    "region_now": dict(RegionNow.choices),
    "children": dict(YesNo.choices),
    "preferred_language": dict(LANGUAGE_CHOICES),
    "referred": dict(YesNo.choices),
}


def intake_answers(intake: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs in the order the form asked them, codes as words: what the staff
    page shows when a case is opened, and what the applicant reads back on their status page."""
    rows = []
    for name, field in IntakeForm.base_fields.items():
        if name == "consent" or name not in intake:
            continue
        value = intake[name]
        if value in (None, "", []) and not field.required:
            continue  # an optional question left unanswered: nothing to read back
        labels = _CHOICE_LABELS.get(name)
        if labels and isinstance(value, list):
            value = "; ".join(str(labels.get(v, v)) for v in value)
        elif labels:
            value = labels.get(value, value)
        rows.append((str(field.label), "" if value is None else str(value)))
    return rows
