"""Staff pages for cases. The 2FA middleware guards /staff/; these views check the role.

Each action on a case is its own POST URL that redirects back to the case page (PRG). Which
actions a person is offered is asked of evacuation.rules, never decided by a template; the
actions themselves are declared once in evacuation.staff.actions.
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
from django.utils.translation import gettext_lazy, pgettext
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.decorators import capability_required
from evacuation import rules
from evacuation.applicant.forms import intake_answers
from evacuation.choices import HoldReason, State
from evacuation.models import NOTE_MAX_LENGTH, Case, FundingProposal, ProposalStatus
from evacuation.selectors import case_page, thread, timeline
from evacuation.selectors import queue as queue_selectors
from evacuation.selectors import triage as triage_selectors
from evacuation.selectors import workspace as workspace_selectors
from evacuation.services import integrity, opening, retention
from evacuation.services import triage as triage_services
from evacuation.staff import forms
from evacuation.staff.actions import BY_NAME, ActionCall, StaffAction
from vault.errors import VaultError, VaultLocked
from vault.session import opening_forget, opening_remember, staff_keys, triage_reader

WORKSPACE_ACTIONS = frozenset({"label", "mark_duplicate"})
CASE_CHANGED = gettext_lazy("This case changed while you were looking — reload it.")
LOCKED = gettext_lazy(
    "Your session cannot open case data (no key grant, or signed in before it was granted). "
    "Nothing was saved."
)


# --- the queue and the approvals list ------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@capability_required("view_cases")
def queue(request: HttpRequest) -> HttpResponse:
    labels = workspace_selectors.labels_all()
    people = list(case_page.assignable_staff())
    form = forms.QueueFilterForm(request.GET or None, labels=labels, people=people)
    filters, search_errors = _queue_filters(form)
    # Triage summaries: the one exception to openings (evacuation/rules.py: TRIAGE).
    reader = triage_reader(request) if rules.may_see_triage(request.user) else None
    cases = queue_selectors.cases_for_queue(
        user=request.user, filters=filters, triage=reader is not None
    )
    counts = queue_selectors.queue_counts()
    # The pager counts the rows it pages through itself: the tabs' counts may be up to
    # QUEUE_COUNTS_SECONDS old, and a request that arrived since must be on the list at once.
    paginator = Paginator(cases, queue_selectors.QUEUE_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = list(page.object_list)
    kept: dict[int, bytes] = {}
    summaries = triage_selectors.summaries(rows, reader, kept)
    if reader is not None and rows:
        shown = [row["reference"] for row in rows if row["id"] in summaries]
        triage_services.triage_shown(actor=request.user, references=shown, kept=kept)
    state_counts = [
        {
            "value": "open",
            "label": pgettext("queue tab: cases still open", "Open"),
            "count": counts["open"],
        },
        *[
            {"value": value, "label": label, "count": counts[value]}
            for value, label in State.choices
        ],
        {"value": "all", "label": _("All"), "count": counts["all"]},
    ]
    may_approve = request.user.may("approve_funding")
    context = {
        "page": page,
        "rows": queue_selectors.queue_rows(
            rows,
            # No label yet, none on any case: the look-up is left out.
            workspace_selectors.labels_for_rows([row["id"] for row in rows]) if labels else {},
            summaries,
        ),
        "triage_shown": reader is not None,
        "select_filters": [form["state"], form["urgency"], form["label"], form["assignee"]],
        "checkbox_filters": [form["mine"], form["unassigned"], form["overdue"]],
        "search": form["q"],
        "search_errors": search_errors,
        "filters": filters,
        "may_manage_labels": request.user.may("manage_labels"),
        "may_manage_templates": request.user.may("manage_templates"),
        "counts": counts,
        "state_counts": state_counts,
        "may_approve": may_approve,
        "waiting": queue_selectors.proposals_waiting_count() if may_approve else 0,
        "assess_within_hours": settings.ASSESS_WITHIN_HOURS,
        "stale_after_days": settings.STALE_AFTER_DAYS,
    }
    return render(request, "evacuation/staff/queue.html", context)


def _queue_filters(form: forms.QueueFilterForm) -> tuple[queue_selectors.QueueFilters, list[str]]:
    """The filters from the fields that are valid; what was wrong with a search field, in words
    (an unknown state or urgency falls back to the default view without a word)."""
    if not form.is_bound:
        return queue_selectors.QueueFilters(), []
    form.is_valid()
    data = form.cleaned_data
    label, assignee = data.get("label"), data.get("assignee")
    filters = queue_selectors.QueueFilters(
        state=data.get("state") or "open",
        urgency=data.get("urgency") or "",
        mine=bool(data.get("mine")),
        unassigned=bool(data.get("unassigned")),
        overdue=bool(data.get("overdue")),
        reference=data.get("q") or "",
        label=label.pk if label else None,
        assignee=assignee.pk if assignee else None,
    )
    errors = [
        str(error) for name in ("q", "label", "assignee") for error in form.errors.get(name, [])
    ]
    return filters, errors


@require_http_methods(["GET", "HEAD"])
@capability_required("approve_funding")
def approvals(request: HttpRequest) -> HttpResponse:
    page = Paginator(queue_selectors.proposals_waiting(), queue_selectors.QUEUE_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = queue_selectors.proposal_rows(list(page.object_list), user=request.user)
    return render(request, "evacuation/staff/approvals.html", {"page": page, "rows": rows})


# --- the case page -------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@capability_required("view_cases")
@sensitive_variables()
def case_detail(request: HttpRequest, reference: str) -> HttpResponse:
    """The facts; the decrypted content too while this person has the case open (an "Open"
    POST with a reason opens it for the rest of their signed-in session)."""
    if request.method != "POST":
        return _case_page(request, reference)
    case = case_page.case_for_opening(reference=reference)
    if not rules.allows("open", case, request.user):
        raise PermissionDenied
    form = forms.OpenCaseForm(request.POST)
    if not form.is_valid():
        return _case_page(request, reference, extra={"open_form": form})
    try:
        opening.case_open(
            case=case,
            actor=request.user,
            keys=staff_keys(request),
            reason=form.cleaned_data["reason"],
        )
    except (integrity.CaseTampered, VaultError) as exc:
        return _case_page(request, reference, extra=_not_shown(exc))
    opening_remember(request, case.uid)
    return redirect("evacuation_staff:case", reference=reference)


@require_POST
@capability_required("view_cases")
def case_close(request: HttpRequest, reference: str) -> HttpResponse:
    """Hides the content again: the next look needs a new opening with a reason."""
    case = case_page.case_for_opening(reference=reference)
    if opening_forget(request, case.uid):
        opening.case_close(case=case, actor=request.user)
        messages.success(
            request, _("The content is hidden again. Seeing it needs a new opening, with a reason.")
        )
    return redirect("evacuation_staff:case", reference=reference)


def _not_shown(exc: Exception) -> dict[str, bool]:
    if isinstance(exc, integrity.CaseTampered):
        return {"tampered": True}
    return {"locked": True} if isinstance(exc, VaultLocked) else {"unreadable": True}


@sensitive_variables()
def _shown(case: Case, user, keys) -> dict[str, Any]:
    """What an open case shows: its content, or why it cannot be shown."""
    try:
        shown = opening.case_shown(case=case, actor=user, keys=keys)
    except (integrity.CaseTampered, VaultError) as exc:
        return _not_shown(exc)
    return {
        "intake": intake_answers(shown.intake),
        # The language the applicant asked to be written to in (the reply templates' default).
        "preferred_language": shown.intake.get("preferred_language") or "",
        "additions": shown.additions,
        "notes": shown.notes,
        "thread": shown.messages,
    }


@require_POST
@capability_required("view_cases")
@sensitive_post_parameters("note", "text")
@sensitive_variables()
def case_act(request: HttpRequest, reference: str, action: str) -> HttpResponse:
    """One declared action (evacuation.staff.actions), run through its service."""
    spec = BY_NAME[action]
    case = case_page.case_for_action(reference=reference)
    if rules.refusal(action, case, request.user) == rules.NOT_YOU:
        raise PermissionDenied
    if not _still_as_seen(request, case):
        return _changed(request, reference, spec)
    keys = staff_keys(request)
    answer = rules.refusal(action, case, request.user, opened=keys.has_opened(case.uid))
    if answer is not None and answer.kind is ValidationError:
        # Not yet (open the case first; a cooling-off period): the page offers no such form
        # now, so the reason is said above it.
        messages.error(request, answer.message)
        return _case_page(request, reference)
    form = spec.form(request.POST, auto_id=f"{action}-%s")
    if not form.is_valid():
        return _case_page(request, reference, bound={action: form})
    call = ActionCall(case=case, actor=request.user, keys=keys, data=form.cleaned_data)
    try:
        result = spec.run(call)
    except (ConcurrentTransition, TransitionNotAllowed):  # CaseChanged is a ConcurrentTransition
        return _changed(request, reference, spec)
    except ValidationError as exc:
        form.add_error(None, exc)
        return _case_page(request, reference, bound={action: form})
    except VaultError:  # no key in this session, or the case's key is gone
        messages.error(request, LOCKED)
        return redirect("evacuation_staff:case", reference=reference)
    if spec.shows:  # shown once, in the answer to this POST: never in a URL or a redirect
        return render(request, spec.shows, {"case": case, "result": result, "done": spec.done})
    messages.success(request, spec.done)
    return redirect("evacuation_staff:case", reference=reference)


def _still_as_seen(request: HttpRequest, case: Case) -> bool:
    return (
        request.POST.get("seen_state") == case.state
        and request.POST.get("seen_version") == case.version
    )


def _changed(request: HttpRequest, reference: str, spec: StaffAction) -> HttpResponse:
    """409 with the case as it is now. A note's text is kept so nobody has to type it again."""
    messages.error(request, CASE_CHANGED)
    keep = {}
    if spec.keeps:
        keep[spec.name] = {spec.keeps: request.POST.get(spec.keeps, "")[:NOTE_MAX_LENGTH]}
    return _case_page(request, reference, keep=keep, status=409)


@dataclass(frozen=True)
class ActionForm:
    name: str
    url: str
    title: str
    button: str
    danger: bool
    form: Any
    intro: str


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
    case = case_page.case_for_page(reference=reference)
    keys = staff_keys(request)
    opened = keys.has_opened(case.uid) and not case.is_purged and rules.allows("open", case, user)
    proposals = case_page.case_proposals(case=case)
    pending = next((p for p in proposals if p.status == ProposalStatus.PENDING), None)
    answers = {
        spec.name: rules.refusal(spec.name, case, user, pending=pending, opened=opened)
        for spec in BY_NAME.values()
    }
    actions = [
        _action_form(spec, case, pending, (bound or {}).get(spec.name), (keep or {}).get(spec.name))
        for spec in BY_NAME.values()
        if answers[spec.name] is None
    ]
    after_opening = [
        str(spec.title)
        for spec in BY_NAME.values()
        if answers[spec.name] is not None and answers[spec.name].needs_opening
    ]
    for name, title in (("message", _("Message the applicant")), ("download", _("Download files"))):
        answer = rules.refusal(name, case, user, opened=opened)
        if answer is not None and answer.needs_opening:
            after_opening.append(str(title))
    history, history_cut = timeline.case_timeline(case=case)
    may_message = rules.allows("message", case, user, opened=opened)
    reply_templates = workspace_selectors.templates_in_use() if may_message else []
    content = _shown(case, user, keys) if opened else {}
    context = {
        "case": case,
        "opened": opened,
        "after_opening": after_opening,
        "fact_rows": case_page.case_fact_rows(case),
        # The workspace's actions (labels, duplicates) stand with the labels and links they change.
        "actions": [action for action in actions if action.name not in WORKSPACE_ACTIONS],
        "workspace_actions": {
            action.name: action for action in actions if action.name in WORKSPACE_ACTIONS
        },
        "proposals": [_proposal_row(p) for p in proposals],
        "timeline": history,
        "timeline_cut": history_cut,
        "timeline_limit": timeline.TIMELINE_LIMIT,
        "may_open": rules.allows("open", case, user),
        "open_form": forms.OpenCaseForm(),
        "note_count": case.notes.count(),
        "files": thread.case_files(case=case),
        "may_message": may_message,
        "may_download": rules.allows("download", case, user, opened=opened),
        **_reply_form(request, reply_templates, content.get("preferred_language", "")),
        "labels": workspace_selectors.case_labels(case=case),
        "duplicates": workspace_selectors.case_duplicates(case=case),
        "upload_form": forms.UploadForm(),
        "may_hold": rules.allows("hold", case, user),
        "hold_form": forms.HoldForm(),
        "deletion_date": retention.deletion_date(case),
        "hold_label": HoldReason(case.hold_reason).label if case.hold_reason else "",
        **content,
        **(extra or {}),
    }
    return render(request, "evacuation/staff/case.html", context, status=status)


def _reply_form(request: HttpRequest, reply_templates: list, preferred: str = "") -> dict:
    """The reply form, filled from a reply template when the page was asked for one
    (GET ?template=<id>&language=<code>: no script, the server fills the textarea). The
    language is the one asked for, else the applicant's preferred one, else the page's."""
    languages = workspace_selectors.template_languages()
    codes = [code for code, _name in languages]
    wanted = request.GET.get("language", "") if request.method == "GET" else ""
    fallback = preferred if preferred in codes else request.LANGUAGE_CODE
    language = wanted if wanted in codes else (fallback if fallback in codes else codes[0])
    context: dict[str, Any] = {
        "message_form": forms.MessageForm(),
        "reply_templates": reply_templates,
        "template_languages": languages,
        "template_language": language,
        "template_chosen": None,
        "template_note": "",
    }
    asked = request.GET.get("template", "") if request.method == "GET" else ""
    if not asked or not reply_templates:
        return context
    chosen = next((t for t in reply_templates if str(t.pk) == asked), None)
    if chosen is None:
        context["template_note"] = _("That reply template is no longer offered; choose another.")
        return context
    names = dict(languages)
    context["template_chosen"] = chosen
    text = chosen.texts.get(language, "")
    if not text:
        context["template_note"] = _(
            "“%(name)s” has no text in %(language)s yet. Choose another language, or ask a "
            "coordinator to add it."
        ) % {"name": chosen.name, "language": names.get(language, language)}
        return context
    context["message_form"] = forms.MessageForm(initial={"text": text})
    context["template_note"] = _(
        "“%(name)s” (%(language)s) is in the reply below: read it through and make it fit "
        "before you send it."
    ) % {"name": chosen.name, "language": names.get(language, language)}
    return context


def _action_form(
    spec: StaffAction,
    case: Case,
    pending: FundingProposal | None,
    bound: Any | None,
    keep: dict[str, str] | None,
) -> ActionForm:
    if bound is None:
        bound = spec.form(
            case=case, pending=pending, initial=dict(keep or {}), auto_id=f"{spec.name}-%s"
        )
    return ActionForm(
        name=spec.name,
        url=reverse(f"evacuation_staff:{spec.url_name}", args=[case.reference]),
        title=str(spec.title),
        button=str(spec.button),
        danger=spec.danger,
        form=bound,
        intro=spec.form.intro(pending),
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
