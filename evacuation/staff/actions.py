"""Every staff action on a case, declared once: its form, its service, its URL and its words.

The URLs (evacuation.staff.urls), the case page's forms and the dispatch in
`evacuation.staff.views.case_act` are all built from `ACTIONS`. Who is offered an action, and
when, is `evacuation.rules` under the same name. To add an action: a rule there, a service, a
form, and one entry here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from evacuation.services import casework, receipts, workspace
from evacuation.staff import forms

if TYPE_CHECKING:
    from accounts.models import User
    from evacuation.models import Case
    from vault.session import StaffKeys


@dataclass(frozen=True)
class ActionCall:
    """What the dispatch hands an action's `run`: the case as loaded, who acts, with which keys,
    and the form's cleaned data (which holds the `seen_version` the page was drawn with)."""

    case: Case
    actor: User
    keys: StaffKeys
    data: dict[str, Any]

    @property
    def common(self) -> dict[str, Any]:
        return {"case": self.case, "actor": self.actor, "seen_version": self.data["seen_version"]}


@dataclass(frozen=True)
class StaffAction:
    name: str  # the rule in evacuation.rules, and the form's id on the page
    segment: str  # POST /staff/cases/<reference>/<segment>/
    url_name: str
    form: type[forms.CaseSeenForm]
    run: Callable[[ActionCall], object]
    title: Promise
    button: Promise
    done: Promise
    danger: bool = False
    keeps: str = ""  # a text field given back when the case changed under the person
    shows: str = ""  # a template that shows what `run` returned, instead of going back


ACTIONS: tuple[StaffAction, ...] = (
    StaffAction(
        "take",
        "take",
        "take",
        forms.TakeForm,
        lambda call: casework.case_take(**call.common),
        _("Take this case"),
        _("Assign it to me"),
        _("The case is assigned to you."),
    ),
    StaffAction(
        "assess",
        "assess",
        "assess",
        forms.AssessForm,
        lambda call: casework.case_assess(
            **call.common,
            keys=call.keys,
            risk_level=call.data["risk_level"],
            verified_by=call.data["verified_by"],
            support=call.data["support"],
        ),
        _("Assess"),
        _("Record the assessment"),
        _("The case is assessed."),
    ),
    StaffAction(
        "approve_funding",
        "approve",
        "approve",
        forms.ProposalForm,
        lambda call: casework.funding_approve(**call.common, proposal_id=call.data["proposal"]),
        _("Approve funding"),
        _("Approve"),
        _("Funding approved. The case is funded."),
    ),
    StaffAction(
        "propose_funding",
        "propose",
        "propose",
        forms.ProposeFundingForm,
        lambda call: casework.funding_propose(
            **call.common,
            keys=call.keys,
            amount=call.data["amount"],
            currency=call.data["currency"],
            purpose=call.data["purpose"],
        ),
        _("Propose funding"),
        _("Propose"),
        _("Funding proposed. A coordinator who neither assessed nor proposed it must approve it."),
    ),
    StaffAction(
        "reject_funding",
        "reject",
        "reject",
        forms.RejectFundingForm,
        lambda call: casework.funding_reject(
            **call.common, reason=call.data["reason"], proposal_id=call.data["proposal"]
        ),
        _("Take back the funding proposal"),
        _("Take back the proposal"),
        _("The funding proposal was taken back."),
        danger=True,
    ),
    StaffAction(
        "confirm_relocation",
        "relocate",
        "relocate",
        forms.RelocationForm,
        lambda call: casework.case_confirm_relocation(
            **call.common, relocated_on=call.data["relocated_on"], region=call.data["region"]
        ),
        _("Confirm relocation"),
        _("Confirm the relocation"),
        _("Relocation confirmed. The case is closed."),
    ),
    StaffAction(
        "cancel_funding",
        "cancel-funding",
        "cancel_funding",
        forms.CancelFundingForm,
        lambda call: casework.funding_cancel(**call.common, reason=call.data["reason"]),
        _("Cancel funding"),
        _("Cancel the funding"),
        _("Funding cancelled. The case is back to assessed."),
        danger=True,
    ),
    StaffAction(
        "decline",
        "decline",
        "decline",
        forms.DeclineForm,
        lambda call: casework.case_decline(
            **call.common, keys=call.keys, reason=call.data["reason"], note=call.data["note"]
        ),
        _("Decline"),
        _("Decline the request"),
        _("The request is declined."),
        danger=True,
        keeps="note",
    ),
    StaffAction(
        "withdraw",
        "withdraw",
        "withdraw",
        forms.WithdrawForm,
        lambda call: casework.case_withdraw(**call.common),
        _("Withdraw at the applicant's request"),
        _("Withdraw the request"),
        _("The request is withdrawn."),
        danger=True,
    ),
    StaffAction(
        "reassign",
        "reassign",
        "reassign",
        forms.ReassignForm,
        lambda call: casework.case_reassign(**call.common, assignee=call.data["assignee"]),
        _("Reassign"),
        _("Reassign"),
        _("The case is reassigned."),
    ),
    StaffAction(
        "note",
        "notes",
        "note",
        forms.NoteForm,
        lambda call: casework.note_add(**call.common, keys=call.keys, text=call.data["text"]),
        _("Add an internal note"),
        _("Add the note"),
        _("Note added. It is stored encrypted."),
        keeps="text",
    ),
    StaffAction(
        "request_new_code",
        "new-code",
        "request_new_code",
        forms.RequestNewCodeForm,
        lambda call: receipts.code_replacement_request(case=call.case, actor=call.actor),
        _("Replace a lost receipt code"),
        _("Ask for a new code"),
        _("A new code is asked for. A coordinator must confirm it; then you issue it here."),
    ),
    StaffAction(
        "confirm_new_code",
        "new-code/confirm",
        "confirm_new_code",
        forms.ConfirmNewCodeForm,
        lambda call: receipts.code_replacement_confirm(case=call.case, actor=call.actor),
        _("Confirm a new receipt code"),
        _("Confirm"),
        _("Confirmed. The colleague who asked can now issue the new code."),
    ),
    StaffAction(
        "issue_new_code",
        "new-code/issue",
        "issue_new_code",
        forms.IssueNewCodeForm,
        lambda call: receipts.code_replacement_issue(
            case=call.case, actor=call.actor, keys=call.keys
        ),
        _("Issue the new receipt code"),
        _("Issue the code now"),
        _("The new code is issued; the old one no longer works."),
        shows="evacuation/staff/new_code.html",
    ),
    StaffAction(
        "cancel_new_code",
        "new-code/cancel",
        "cancel_new_code",
        forms.CancelNewCodeForm,
        lambda call: receipts.code_replacement_cancel(case=call.case, actor=call.actor),
        _("Cancel the new receipt code"),
        _("Cancel it"),
        _("Cancelled. The applicant's code is unchanged."),
        danger=True,
    ),
    # The workspace (evacuation.services.workspace).
    StaffAction(
        "label",
        "labels",
        "label",
        forms.LabelCaseForm,
        lambda call: workspace.case_labels_set(
            **call.common, labels=[label.pk for label in call.data["labels"]]
        ),
        _("Labels"),
        _("Save the labels"),
        _("The labels are saved."),
    ),
    StaffAction(
        "mark_duplicate",
        "duplicate",
        "mark_duplicate",
        forms.MarkDuplicateForm,
        lambda call: workspace.case_mark_duplicate(
            **call.common, keys=call.keys, original=call.data["original"]
        ),
        _("Close as a duplicate"),
        _("Close as a duplicate"),
        _("Closed as a duplicate and linked. Tell the applicant which request goes on."),
        danger=True,
        keeps="original",
    ),
)
BY_NAME = {action.name: action for action in ACTIONS}
