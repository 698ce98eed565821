"""Forms for the staff pages. They validate the input; the rules (who may, the funding cap) are
those of evacuation.rules, which the services ask again under the row lock.

Every form that changes a case carries what its user saw (`seen_state`, `seen_version`) so a
case that changed in the meantime is refused instead of being changed blind.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from evacuation import rules
from evacuation.choices import (
    DeclineReason,
    FundingCancelReason,
    FundingPurpose,
    HoldReason,
    OpenReason,
    Region,
    RiskLevel,
    Support,
    Urgency,
    VerifiedBy,
)
from evacuation.models import MESSAGE_MAX_LENGTH, NOTE_MAX_LENGTH, Label, State
from evacuation.models.workspace import LABEL_MAX_LENGTH, TEMPLATE_NAME_MAX_LENGTH
from evacuation.selectors import workspace as workspace_selectors
from evacuation.selectors.case_page import assignable_staff


def _required(message) -> dict:
    return {"required": message}


class CaseSeenForm(forms.Form):
    """What the person saw when the page was drawn; the view compares it with the case now."""

    seen_state = forms.CharField(widget=forms.HiddenInput, max_length=20)
    seen_version = forms.CharField(widget=forms.HiddenInput, max_length=32)

    @classmethod
    def intro(cls, pending) -> str:
        """A line the page shows above the form: what exactly is being decided."""
        return ""

    def __init__(self, *args, case=None, pending=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if case is not None and not self.is_bound:
            self.initial.setdefault("seen_state", case.state)
            self.initial.setdefault("seen_version", case.version)


class AssessForm(CaseSeenForm):
    risk_level = forms.TypedChoiceField(
        label=_("Risk level"),
        choices=RiskLevel.choices,
        coerce=int,
        widget=forms.RadioSelect,
        error_messages=_required(_("Choose a risk level from 1 to 4.")),
    )
    verified_by = forms.ChoiceField(
        label=_("How the request was verified"),
        choices=VerifiedBy.choices,
        widget=forms.RadioSelect,
        error_messages=_required(_("Choose how the request was verified.")),
    )
    support = forms.MultipleChoiceField(
        label=_("Support recommended"),
        choices=Support.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages=_required(_("Choose at least one kind of support to recommend.")),
    )


class DeclineForm(CaseSeenForm):
    reason = forms.ChoiceField(
        label=_("Why is the request declined?"),
        choices=DeclineReason.choices,
        widget=forms.RadioSelect,
        error_messages=_required(_("Choose why the request is declined.")),
    )
    note = forms.CharField(
        label=_("Internal note (optional)"),
        help_text=_("Stored encrypted; only staff who open the case can read it."),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ProposeFundingForm(CaseSeenForm):
    amount = forms.DecimalField(
        label=_("Amount"),
        max_digits=10,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={
            "required": _("Enter the amount."),
            "invalid": _("Enter the amount as a number, for example 1500.00."),
            "min_value": _("The amount must be more than zero."),
            "max_decimal_places": _("Use at most two decimal places."),
            "max_digits": _("The amount is too large."),
            "max_whole_digits": _("The amount is too large."),
        },
    )
    currency = forms.ChoiceField(
        label=_("Currency"),
        error_messages=_required(_("Choose the currency.")),
    )
    purpose = forms.ChoiceField(
        label=_("What the money is for"),
        choices=FundingPurpose.choices,
        widget=forms.RadioSelect,
        error_messages=_required(_("Choose what the money is for.")),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["currency"].choices = [(code, code) for code in rules.funding_currencies()]
        self.fields["amount"].help_text = _(
            "At most %(cap)s in one proposal; a coordinator who did not assess or propose "
            "must approve it."
        ) % {"cap": f"{rules.funding_cap():,.2f}"}

    def clean_amount(self) -> Decimal:
        return rules.funding_amount(self.cleaned_data["amount"])


class ProposalForm(CaseSeenForm):
    """Approving names the proposal its approver saw, so a different one is never approved."""

    proposal = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, pending=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if pending is not None and not self.is_bound:
            self.initial.setdefault("proposal", pending.pk)

    @classmethod
    def intro(cls, pending) -> str:
        if pending is None:
            return ""
        return _("%(amount)s %(currency)s for %(purpose)s, proposed by %(who)s.") % {
            "amount": number_format(pending.amount, decimal_pos=2, force_grouping=True),
            "currency": pending.currency,
            "purpose": FundingPurpose(pending.purpose).label,
            "who": pending.proposed_by.username,
        }


class RejectFundingForm(ProposalForm):
    reason = forms.ChoiceField(
        label=_("Why is the proposal taken back?"),
        choices=FundingCancelReason.choices,
        widget=forms.RadioSelect,
        error_messages=_required(_("Choose a reason.")),
    )


class CancelFundingForm(CaseSeenForm):
    reason = forms.ChoiceField(
        label=_("Why is the funding cancelled?"),
        choices=FundingCancelReason.choices,
        widget=forms.RadioSelect,
        error_messages=_required(_("Choose why the funding is cancelled.")),
    )


class RelocationForm(CaseSeenForm):
    relocated_on = forms.DateField(
        label=_("Date the person arrived"),
        help_text=_("Year-month-day, for example 2025-03-31."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d"],
        error_messages={
            "required": _("Enter the date of the relocation."),
            "invalid": _("Enter the date as year-month-day, for example 2025-03-31."),
        },
    )
    region = forms.ChoiceField(
        label=_("Region (never an address)"),
        choices=Region.choices,
        widget=forms.RadioSelect,
        error_messages=_required(_("Choose the region the person moved to.")),
    )


class WithdrawForm(CaseSeenForm):
    confirm = forms.BooleanField(
        label=_("The applicant asked us to withdraw this request."),
        error_messages=_required(
            _("Withdraw only when the applicant asked for it: tick the box to confirm.")
        ),
    )


class TakeForm(CaseSeenForm):
    pass


class ReassignForm(CaseSeenForm):
    assignee = forms.ModelChoiceField(
        label=_("Give this case to"),
        queryset=None,
        required=False,
        empty_label=_("Nobody (back to the unassigned queue)"),
        error_messages={"invalid_choice": _("Choose an active caseworker or coordinator.")},
    )

    def __init__(self, *args, case=None, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        self.fields["assignee"].queryset = assignable_staff()
        if case is not None and not self.is_bound:
            self.initial.setdefault("assignee", case.assignee_id)


class NoteForm(CaseSeenForm):
    text = forms.CharField(
        label=_("Internal note"),
        help_text=_(
            "Staff only, stored encrypted. The applicant never sees it. Write what colleagues "
            "need to know; it is shown only when the case is opened."
        ),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages=_required(_("Write the note first.")),
    )


class RequestNewCodeForm(CaseSeenForm):
    verified = forms.BooleanField(
        label=_(
            "I have made sure, outside this system (a call, a partner organisation, a referee), "
            "that I am in touch with the applicant themselves."
        ),
        error_messages=_required(
            _("Ask for a new code only after you have made sure it is really the applicant.")
        ),
    )


class ConfirmNewCodeForm(CaseSeenForm):
    checked = forms.BooleanField(
        label=_("I have checked with my colleague why this applicant needs a new code."),
        error_messages=_required(_("Tick the box to confirm that you have checked.")),
    )


class IssueNewCodeForm(CaseSeenForm):
    pass


class CancelNewCodeForm(CaseSeenForm):
    pass


class OpenCaseForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why are you opening this case?"),
        choices=OpenReason.choices,
        widget=forms.RadioSelect,
        error_messages=_required(_("Choose a reason: every opening is recorded with it.")),
    )


class MessageForm(forms.Form):
    text = forms.CharField(
        label=_("Message to the applicant"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=MESSAGE_MAX_LENGTH,
    )


class UploadForm(forms.Form):
    file = forms.FileField(label=_("File (photo or PDF)"))


class HoldForm(forms.Form):
    reason = forms.ChoiceField(label=_("Why keep it"), choices=HoldReason.choices)


QUEUE_STATE_CHOICES = [
    ("open", _("Open cases")),
    *State.choices,
    ("all", _("All cases")),
]


class QueueFilterForm(forms.Form):
    """The queue's GET filters. Anything unknown falls back to the default view."""

    state = forms.ChoiceField(label=_("State"), choices=QUEUE_STATE_CHOICES, required=False)
    urgency = forms.ChoiceField(
        label=_("Urgency"),
        choices=[("", _("Any urgency")), *Urgency.choices],
        required=False,
    )
    mine = forms.BooleanField(label=_("Assigned to me"), required=False)
    unassigned = forms.BooleanField(label=_("Unassigned"), required=False)
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    # Find: a reference (any state; the other filters are then left aside), a label, a person.
    q = forms.CharField(
        label=_("Reference"),
        required=False,
        max_length=40,
        error_messages={"max_length": _("A reference looks like EV-ABCD-EF.")},
    )
    label = forms.ModelChoiceField(
        label=_("Label"),
        queryset=Label.objects.none(),
        required=False,
        empty_label=_("Any label"),
        error_messages={"invalid_choice": _("That label does not exist (any more).")},
    )
    assignee = forms.ModelChoiceField(
        label=_("Assigned to"),
        queryset=None,
        required=False,
        empty_label=_("Anyone"),
        error_messages={"invalid_choice": _("Choose a person from the list.")},
    )

    def __init__(self, *args, labels=None, people=None, **kwargs) -> None:
        """`labels` and `people`: the lists the page already read (one query each)."""
        super().__init__(*args, **kwargs)
        label_field = self.fields["label"]
        label_field.queryset = Label.objects.all()
        if labels is not None:
            label_field.choices = [("", label_field.empty_label)] + [
                (
                    str(label.pk),
                    _("%(name)s (retired)") % {"name": label.name}
                    if label.is_retired
                    else label.name,
                )
                for label in labels
            ]
        assignee_field = self.fields["assignee"]
        assignee_field.queryset = assignable_staff()
        if people is not None:
            assignee_field.choices = [("", assignee_field.empty_label)] + [
                (str(person.pk), person.username) for person in people
            ]

    def clean_q(self) -> str:
        typed = self.cleaned_data["q"].strip()
        if not typed:
            return ""
        reference = workspace_selectors.reference_typed(typed)
        if reference is None:
            raise forms.ValidationError(
                _("A reference looks like EV-ABCD-EF (dashes and capitals are optional).")
            )
        return reference


# --- the workspace: labels, reply templates, duplicates ------------------------------------------


class LabelCaseForm(CaseSeenForm):
    """The labels on a case: every label in use, those on the case ticked."""

    labels = forms.ModelMultipleChoiceField(
        label=_("Tick the labels this case should carry"),
        queryset=Label.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "For the state of the work only, never facts about the person: all staff see them."
        ),
        error_messages={
            "invalid_choice": _("Choose labels from the list; one of them was retired."),
            "invalid_pk_value": _("Choose labels from the list; one of them was retired."),
        },
    )

    def __init__(self, *args, case=None, **kwargs) -> None:
        super().__init__(*args, case=case, **kwargs)
        field = self.fields["labels"]
        field.queryset = Label.objects.filter(retired_at__isnull=True)
        # Read once for the page (the field would read its queryset again to draw the boxes).
        field.choices = [(label.pk, label.name) for label in workspace_selectors.labels_in_use()]
        self.has_labels = bool(field.choices)
        if case is not None and not self.is_bound:
            self.initial.setdefault(
                "labels", [label.pk for label in workspace_selectors.case_labels(case=case)]
            )


class MarkDuplicateForm(CaseSeenForm):
    original = forms.CharField(
        label=_("Reference of the request that goes on"),
        max_length=40,
        help_text=_(
            "This request is closed (declined: duplicate) and the two are linked on both staff "
            "pages. The applicant is not told: write to them here which request goes on. Their "
            "code never opens the other request."
        ),
        error_messages={
            "required": _("Type the other case's reference, for example EV-ABCD-EF."),
            "max_length": _("Type the other case's reference, for example EV-ABCD-EF."),
        },
    )

    def clean_original(self) -> str:
        reference = workspace_selectors.reference_typed(self.cleaned_data["original"])
        if reference is None:
            raise forms.ValidationError(
                _("Type the other case's reference, for example EV-ABCD-EF.")
            )
        return reference


class LabelForm(forms.Form):
    name = forms.CharField(
        label=_("Label"),
        max_length=LABEL_MAX_LENGTH,
        error_messages={
            "required": _("Write the label's name."),
            "max_length": _("Keep the name to %(limit_value)d characters or fewer."),
        },
    )


class TemplateForm(forms.Form):
    """A reply template: its name and one text per language the applicant pages offer."""

    name = forms.CharField(
        label=_("Name (staff see it, applicants do not)"),
        max_length=TEMPLATE_NAME_MAX_LENGTH,
        error_messages={
            "required": _("Write the template's name."),
            "max_length": _("Keep the name to %(limit_value)d characters or fewer."),
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for code, name in workspace_selectors.template_languages():
            self.fields[f"text_{code}"] = forms.CharField(
                label=name,
                required=False,
                max_length=MESSAGE_MAX_LENGTH,
                widget=forms.Textarea(attrs={"rows": 4, "lang": code}),
                strip=True,
            )

    def texts(self) -> dict[str, str]:
        return {
            code: self.cleaned_data.get(f"text_{code}", "")
            for code, _name in workspace_selectors.template_languages()
        }
