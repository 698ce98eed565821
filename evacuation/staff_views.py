"""Staff pages for cases. The 2FA middleware guards /staff/; these views check the role.

Each action on a case is its own POST URL that redirects back to the case page (PRG). What a
person may do now is decided by evacuation.selectors.case_actions, never by a template.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.decorators import capability_required
from evacuation import selectors, services, staff_correspondence_views, staff_forms, workflow
from evacuation.choices import FundingPurpose
from evacuation.forms import OpenCaseForm
from evacuation.models import Case, FundingProposal, ProposalStatus, State
from vault.errors import VaultError, VaultLocked

CASE_CHANGED = gettext_lazy("This case changed while you were looking — reload it.")


@dataclass(frozen=True)
class ActionSpec:
    form: type[staff_forms.CaseSeenForm]
    capability: tuple[str, ...]  # any one of these lets the person reach the form at all
    title: str
    button: str
    done: str
    danger: bool = False


ACTIONS: dict[str, ActionSpec] = {
    "assess": ActionSpec(
        staff_forms.AssessForm,
        ("assess_case",),
        gettext_lazy("Assess"),
        gettext_lazy("Record the assessment"),
        gettext_lazy("The case is assessed."),
    ),
    "propose_funding": ActionSpec(
        staff_forms.ProposeFundingForm,
        ("propose_funding",),
        gettext_lazy("Propose funding"),
        gettext_lazy("Propose"),
        gettext_lazy(
            "Funding proposed. A coordinator who neither assessed nor proposed it must approve it."
        ),
    ),
    "approve_funding": ActionSpec(
        staff_forms.ProposalForm,
        ("approve_funding",),
        gettext_lazy("Approve funding"),
        gettext_lazy("Approve"),
        gettext_lazy("Funding approved. The case is funded."),
    ),
    "reject_funding": ActionSpec(
        staff_forms.RejectFundingForm,
        ("approve_funding", "propose_funding"),
        gettext_lazy("Take back the funding proposal"),
        gettext_lazy("Take back the proposal"),
        gettext_lazy("The funding proposal was taken back."),
        danger=True,
    ),
    "confirm_relocation": ActionSpec(
        staff_forms.RelocationForm,
        ("confirm_relocation",),
        gettext_lazy("Confirm relocation"),
        gettext_lazy("Confirm the relocation"),
        gettext_lazy("Relocation confirmed. The case is closed."),
    ),
    "cancel_funding": ActionSpec(
        staff_forms.CancelFundingForm,
        ("cancel_funding",),
        gettext_lazy("Cancel funding"),
        gettext_lazy("Cancel the funding"),
        gettext_lazy("Funding cancelled. The case is back to assessed."),
        danger=True,
    ),
    "decline": ActionSpec(
        staff_forms.DeclineForm,
        ("decline_case",),
        gettext_lazy("Decline"),
        gettext_lazy("Decline the request"),
        gettext_lazy("The request is declined."),
        danger=True,
    ),
    "withdraw": ActionSpec(
        staff_forms.WithdrawForm,
        ("withdraw_case",),
        gettext_lazy("Withdraw at the applicant's request"),
        gettext_lazy("Withdraw the request"),
        gettext_lazy("The request is withdrawn."),
        danger=True,
    ),
    "take": ActionSpec(
        staff_forms.TakeForm,
        ("take_case",),
        gettext_lazy("Take this case"),
        gettext_lazy("Assign it to me"),
        gettext_lazy("The case is assigned to you."),
    ),
    "reassign": ActionSpec(
        staff_forms.ReassignForm,
        ("reassign_case",),
        gettext_lazy("Reassign"),
        gettext_lazy("Reassign"),
        gettext_lazy("The case is reassigned."),
    ),
    "note": ActionSpec(
        staff_forms.NoteForm,
        ("write_note",),
        gettext_lazy("Add an internal note"),
        gettext_lazy("Add the note"),
        gettext_lazy("Note added. It is stored encrypted."),
    ),
}
ACTION_URL_NAMES = {
    "assess": "assess",
    "propose_funding": "propose",
    "approve_funding": "approve",
    "reject_funding": "reject",
    "confirm_relocation": "relocate",
    "cancel_funding": "cancel_funding",
    "decline": "decline",
    "withdraw": "withdraw",
    "take": "take",
    "reassign": "reassign",
    "note": "note",
}


# --- the queue and the approvals list ------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@capability_required("view_cases")
def queue(request: HttpRequest) -> HttpResponse:
    form = staff_forms.QueueFilterForm(request.GET or None)
    filters = selectors.QueueFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.QueueFilters(
            state=data["state"] or "open",
            urgency=data["urgency"],
            mine=data["mine"],
            unassigned=data["unassigned"],
            overdue=data["overdue"],
        )
    elif request.GET:
        form = staff_forms.QueueFilterForm()  # unknown values: the default view, no errors
    cases = selectors.cases_for_queue(user=request.user, filters=filters)
    counts = selectors.queue_counts()
    paginator = Paginator(cases, selectors.QUEUE_PAGE_SIZE)
    if filters.only_by_state and filters.state in counts:
        paginator.count = counts[filters.state]  # already counted: no second COUNT(*)
    page = paginator.get_page(request.GET.get("page"))
    state_counts = [
        {"value": "open", "label": _("Open"), "count": counts["open"]},
        *[
            {"value": value, "label": label, "count": counts[value]}
            for value, label in State.choices
        ],
        {"value": "all", "label": _("All"), "count": counts["all"]},
    ]
    may_approve = request.user.may("approve_funding")
    context = {
        "page": page,
        "rows": selectors.queue_rows(page.object_list),
        "select_filters": [form["state"], form["urgency"]],
        "checkbox_filters": [form["mine"], form["unassigned"], form["overdue"]],
        "filters": filters,
        "counts": counts,
        "state_counts": state_counts,
        "may_approve": may_approve,
        "waiting": selectors.proposals_waiting_count() if may_approve else 0,
        "assess_within_hours": settings.ASSESS_WITHIN_HOURS,
        "stale_after_days": settings.STALE_AFTER_DAYS,
    }
    return render(request, "evacuation/staff/queue.html", context)


@require_http_methods(["GET", "HEAD"])
@capability_required("approve_funding")
def approvals(request: HttpRequest) -> HttpResponse:
    page = Paginator(selectors.proposals_waiting(), selectors.QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = selectors.proposal_rows(list(page.object_list), user=request.user)
    return render(request, "evacuation/staff/approvals.html", {"page": page, "rows": rows})


# --- the case page -------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required("view_cases")
@sensitive_variables()
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """Facts on GET; the decrypted intake and notes only in the answer to an "Open" POST."""
    if request.method != "POST":
        return _case_page(request, reference)
    if not request.user.may("open_case"):
        raise PermissionDenied
    case = selectors.case_for_opening(reference=reference)
    form = OpenCaseForm(request.POST)
    extra: dict[str, Any] = {"open_form": form}
    if form.is_valid():
        try:
            opened = services.case_open(
                request=request,
                case=case,
                actor=request.user,
                reason=form.cleaned_data["reason"],
            )
            extra["intake"] = selectors.intake_for_display(opened.intake)
            extra["notes"] = opened.notes
            extra["thread"] = opened.messages
        except VaultLocked:
            extra["locked"] = True
        except VaultError:
            extra["unreadable"] = True
    return _case_page(request, reference, extra=extra)


@require_POST
@capability_required("view_cases")
@sensitive_post_parameters("note", "text")
@sensitive_variables()
def case_act(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    spec = ACTIONS[action]
    if not any(request.user.may(capability) for capability in spec.capability):
        raise PermissionDenied
    case = selectors.case_for_action(reference=reference)
    if not _still_as_seen(request, case):
        return _changed(request, reference, action)
    form = spec.form(request.POST, auto_id=f"{action}-%s")
    if not form.is_valid():
        return _case_page(request, reference, bound={action: form})
    try:
        _run(action, request=request, case=case, data=form.cleaned_data)
    except (ConcurrentTransition, TransitionNotAllowed):  # CaseChanged is a ConcurrentTransition
        return _changed(request, reference, action)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _case_page(request, reference, bound={action: form})
    messages.success(request, spec.done)
    return redirect("evacuation_staff:case", reference=reference)


def _still_as_seen(request: HttpRequest, case: Case) -> bool:
    return request.POST.get("seen_state") == case.state and request.POST.get(
        "seen_version"
    ) == workflow.case_version(case)


def _changed(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """409 with the case as it is now. A note's text is kept so nobody has to type it again."""
    messages.error(request, CASE_CHANGED)
    keep = {}
    if action in ("note", "decline"):
        field = "text" if action == "note" else "note"
        keep[action] = {field: request.POST.get(field, "")[: workflow.NOTE_MAX_LENGTH]}
    return _case_page(request, reference, keep=keep, status=409)


@sensitive_variables()
def _run(action: str, *, request: HttpRequest, case: Case, data: dict[str, Any]) -> None:
    common = {"case": case, "actor": request.user, "seen_version": data["seen_version"]}
    if action == "assess":
        workflow.case_assess(
            **common,
            risk_level=data["risk_level"],
            verified_by=data["verified_by"],
            support=data["support"],
        )
    elif action == "decline":
        workflow.case_decline(request=request, **common, reason=data["reason"], note=data["note"])
    elif action == "propose_funding":
        workflow.funding_propose(
            **common, amount=data["amount"], currency=data["currency"], purpose=data["purpose"]
        )
    elif action == "approve_funding":
        workflow.funding_approve(**common, proposal_id=data["proposal"])
    elif action == "reject_funding":
        workflow.funding_reject(**common, reason=data["reason"], proposal_id=data["proposal"])
    elif action == "cancel_funding":
        workflow.funding_cancel(**common, reason=data["reason"])
    elif action == "confirm_relocation":
        workflow.case_confirm_relocation(
            **common, relocated_on=data["relocated_on"], region=data["region"]
        )
    elif action == "withdraw":
        workflow.case_withdraw(**common)
    elif action == "take":
        workflow.case_take(**common)
    elif action == "reassign":
        workflow.case_reassign(**common, assignee=data["assignee"])
    elif action == "note":
        workflow.note_add(request=request, **common, text=data["text"])
    else:  # pragma: no cover - the URLconf names every action
        raise ValueError(action)


@dataclass(frozen=True)
class ActionForm:
    name: str
    url: str
    title: str
    button: str
    danger: bool
    form: Any
    intro: str = ""


def _case_page(
    request: HttpRequest,
    reference: str,
    *,
    extra: dict[str, Any] | None = None,
    bound: dict[str, Any] | None = None,
    keep: dict[str, dict[str, str]] | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    case = selectors.case_for_page(reference=reference)
    proposals = selectors.case_proposals(case=case)
    pending = next((p for p in proposals if p.status == ProposalStatus.PENDING), None)
    names = selectors.case_actions(case=case, user=user, proposals=proposals)
    forms = [
        _action_form(name, case, pending, (bound or {}).get(name), (keep or {}).get(name))
        for name in names
    ]
    timeline, timeline_cut = selectors.case_timeline(case=case)
    context = {
        "case": case,
        "fact_rows": selectors.case_fact_rows(case),
        "actions": forms,
        "proposals": [_proposal_row(p) for p in proposals],
        "timeline": timeline,
        "timeline_cut": timeline_cut,
        "timeline_limit": selectors.TIMELINE_LIMIT,
        "may_open": user.may("open_case"),
        "open_form": OpenCaseForm(),
        "note_count": case.notes.count(),
        **staff_correspondence_views.panel_context(case, user),
        **(extra or {}),
    }
    return render(request, "evacuation/staff/case.html", context, status=status)


def _action_form(
    name: str,
    case: Case,
    pending: FundingProposal | None,
    bound: Any | None,
    keep: dict[str, str] | None,
) -> ActionForm:
    spec = ACTIONS[name]
    if bound is not None:
        form = bound
    else:
        initial: dict[str, Any] = dict(keep or {})
        if name in ("approve_funding", "reject_funding") and pending is not None:
            initial["proposal"] = pending.pk
        if name == "reassign":
            initial["assignee"] = case.assignee_id
        form = spec.form(case=case, initial=initial, auto_id=f"{name}-%s")
    intro = ""
    if name in ("approve_funding", "reject_funding") and pending is not None:
        intro = _("%(amount)s %(currency)s for %(purpose)s, proposed by %(who)s.") % {
            "amount": number_format(pending.amount, decimal_pos=2, force_grouping=True),
            "currency": pending.currency,
            "purpose": FundingPurpose(pending.purpose).label,
            "who": pending.proposed_by.username,
        }
    return ActionForm(
        name=name,
        url=reverse(f"evacuation_staff:{ACTION_URL_NAMES[name]}", args=[case.reference]),
        title=str(spec.title),
        button=str(spec.button),
        danger=spec.danger,
        form=form,
        intro=intro,
    )


def _proposal_row(proposal: FundingProposal) -> dict[str, Any]:
    return {
        "amount": number_format(proposal.amount, decimal_pos=2, force_grouping=True),
        "currency": proposal.currency,
        "purpose": proposal.get_purpose_display(),
        "status": proposal.get_status_display(),
        "pending": proposal.status == ProposalStatus.PENDING,
        "proposed_by": proposal.proposed_by.username,
        "proposed_at": proposal.proposed_at,
        "decided_by": proposal.decided_by.username if proposal.decided_by else "",
        "decided_at": proposal.decided_at,
        "cancel_reason": proposal.get_cancel_reason_display() if proposal.cancel_reason else "",
    }
