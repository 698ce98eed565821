"""Reads for the case pages. No selector returns personal data unless given decrypted intake.

Each page reads a fixed number of queries whatever the number of cases or events: the queue
is one GROUP BY for its counts (kept for a few seconds), one count and one page of rows
(assignee joined, unread messages as an EXISTS); the case page is one row, one slice of the
audit log with its actors joined, one list of funding proposals, and at most one look-up each
for assignee names, the four-eyes check and the staff a coordinator may reassign to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.roles import CASE_STAFF
from audit.actions import Action
from audit.models import ActorKind, AuditEvent
from evacuation.choices import (
    ContactMethod,
    DeclineReason,
    FundingCancelReason,
    FundingPurpose,
    HelpNeeded,
    OpenReason,
    Region,
    RiskLevel,
    Support,
    TravelDocuments,
    Urgency,
    VerifiedBy,
)
from evacuation.forms import IntakeForm
from evacuation.models import (
    OPEN_STATES,
    Case,
    Direction,
    FundingProposal,
    Message,
    ProposalStatus,
    State,
)

if TYPE_CHECKING:
    from accounts.models import User

QUEUE_PAGE_SIZE = 50
TIMELINE_LIMIT = 200
# The applicant checking their status is not casework: the facts show the last time they did.
TIMELINE_QUIET = (Action.CASE_STATUS_VIEWED,)

QUEUE_COLUMNS = (
    "reference",
    "state",
    "urgency",
    "risk_level",
    "created_at",
    "last_staff_action_at",
    "assignee__username",
    "has_unread",
)


# --- the queue -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueFilters:
    state: str = "open"  # "open", "all" or one State value
    urgency: str = ""
    mine: bool = False
    unassigned: bool = False
    overdue: bool = False

    @property
    def only_by_state(self) -> bool:
        return not (self.urgency or self.mine or self.unassigned or self.overdue)


@dataclass(frozen=True)
class Overdue:
    """When the queue marks a case overdue: "in danger now" and still not assessed after
    ASSESS_WITHIN_HOURS, or open with no staff action (counting from its arrival if there was
    none) for STALE_AFTER_DAYS. The rule in its two forms, side by side: a filter for the
    database and a test for one fetched row (cheaper than a CASE in SQL on the hot page).
    """

    urgent_since: datetime
    stale_since: datetime

    @classmethod
    def at(cls, now: datetime | None = None) -> Overdue:
        now = now or timezone.now()
        return cls(
            urgent_since=now - timedelta(hours=settings.ASSESS_WITHIN_HOURS),
            stale_since=now - timedelta(days=settings.STALE_AFTER_DAYS),
        )

    def condition(self) -> Q:
        urgent_waiting = Q(
            urgency=Urgency.NOW, state=State.RECEIVED, created_at__lt=self.urgent_since
        )
        untouched = Q(last_staff_action_at__lt=self.stale_since) | Q(
            last_staff_action_at__isnull=True, created_at__lt=self.stale_since
        )
        return urgent_waiting | (Q(state__in=OPEN_STATES) & untouched)

    def applies(self, case: Mapping[str, Any]) -> bool:
        """`case` holds state, urgency, created_at and last_staff_action_at."""
        if (
            case["urgency"] == Urgency.NOW
            and case["state"] == State.RECEIVED
            and case["created_at"] < self.urgent_since
        ):
            return True
        last_action = case["last_staff_action_at"] or case["created_at"]
        return case["state"] in OPEN_STATES and last_action < self.stale_since


def _unread_from_applicant() -> Exists:
    return Exists(
        Message.objects.filter(
            case=OuterRef("pk"), direction=Direction.FROM_APPLICANT, read_at__isnull=True
        )
    )


def cases_for_queue(*, user: User, filters: QueueFilters | None = None) -> QuerySet:
    """Open cases by default, most urgent first and, within an urgency, longest waiting first."""
    filters = filters or QueueFilters()
    cases = Case.objects.all()
    if filters.state == "open":
        cases = cases.filter(state__in=OPEN_STATES)
    elif filters.state in State.values:
        cases = cases.filter(state=filters.state)
    if filters.urgency in Urgency.values:
        cases = cases.filter(urgency=filters.urgency)
    if filters.mine:
        cases = cases.filter(assignee=user)
    if filters.unassigned:
        cases = cases.filter(assignee__isnull=True)
    if filters.overdue:
        cases = cases.filter(Overdue.at().condition())
    return (
        cases.annotate(has_unread=_unread_from_applicant())
        .order_by("priority", "created_at", "pk")
        .values(*QUEUE_COLUMNS)  # plain rows: the page shows 50 of them and nothing else
    )


def queue_counts() -> dict[str, int]:
    """Cases per state, plus "open" and "all", from one GROUP BY on the state index.

    Counting 100,000 rows costs more than the rest of the page, and the counts are a guide,
    not a ledger: they are kept for QUEUE_COUNTS_SECONDS (the rows below them are always live).
    """

    def count() -> dict[str, int]:
        per_state = dict(Case.objects.order_by().values_list("state").annotate(n=Count("*")))
        counts = {state: per_state.get(state, 0) for state in State.values}
        counts["open"] = sum(counts[state] for state in OPEN_STATES)
        counts["all"] = sum(per_state.values())
        return counts

    if not settings.QUEUE_COUNTS_SECONDS:
        return count()
    return cache.get_or_set("evacuation:queue-counts", count, settings.QUEUE_COUNTS_SECONDS)


class QueueRow(TypedDict):
    """One row of the queue, as plain words. A dict, not an object: the template looks each
    field up fifty times a page, and Django's lookup tries `row[name]` first."""

    reference: str
    url: str
    state: str
    urgency: str
    urgent: bool
    risk_level: int | None
    received: str
    last_staff_action: str
    assignee: str
    overdue: bool
    unread: bool


def queue_rows(cases: Iterable[dict[str, Any]]) -> list[QueueRow]:
    """The page's rows as plain words, so the template only prints them (it is the hot loop)."""
    states = {value: str(label) for value, label in State.choices}
    urgencies = {value: str(label) for value, label in Urgency.choices}
    case_url = reverse("evacuation_staff:case", args=["REFERENCE"]).replace("REFERENCE", "{}")
    zone = timezone.get_current_timezone()
    overdue = Overdue.at()
    return [
        QueueRow(
            reference=case["reference"],
            url=case_url.format(case["reference"]),
            state=states.get(case["state"], case["state"]),
            urgency=urgencies.get(case["urgency"], case["urgency"]),
            urgent=case["urgency"] == Urgency.NOW,
            risk_level=case["risk_level"],
            received=_queue_time(case["created_at"], zone),
            last_staff_action=_queue_time(case["last_staff_action_at"], zone),
            assignee=case["assignee__username"] or "",
            overdue=overdue.applies(case),
            unread=case["has_unread"],
        )
        for case in cases
    ]


def _queue_time(moment: datetime | None, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else ""


def proposals_waiting() -> QuerySet[FundingProposal]:
    """Pending funding proposals, the most urgent case first (coordinators approve these)."""
    return (
        FundingProposal.objects.filter(status=ProposalStatus.PENDING, case__state=State.ASSESSED)
        .select_related("case", "proposed_by", "case__assessed_by")
        .only(
            "amount",
            "currency",
            "purpose",
            "proposed_at",
            "proposed_by__username",
            "case__reference",
            "case__urgency",
            "case__priority",
            "case__risk_level",
            "case__state",
            "case__assessed_by__username",
        )
        .order_by("case__priority", "proposed_at", "pk")
    )


def proposals_waiting_count() -> int:
    return FundingProposal.objects.filter(
        status=ProposalStatus.PENDING, case__state=State.ASSESSED
    ).count()


def proposal_rows(proposals: list[FundingProposal], *, user: User) -> list[dict[str, Any]]:
    """The approvals list, each row saying whether this user may approve it (four eyes)."""
    rows = []
    for proposal in proposals:
        case = proposal.case
        mine = proposal.proposed_by_id == user.pk or case.assessed_by_id == user.pk
        rows.append(
            {
                "proposal": proposal,
                "case": case,
                "amount": number_format(proposal.amount, decimal_pos=2, force_grouping=True),
                "purpose": FundingPurpose(proposal.purpose).label,
                "may_approve": user.may("approve_funding") and not mine,
                "why_not": _("You proposed or assessed this.") if mine else "",
            }
        )
    return rows


# --- one case ------------------------------------------------------------------------------------


def case_for_page(*, reference: str) -> Case:
    """The whole row (codes and dates, the payload stays unread) with the staff it names."""
    return get_object_or_404(
        Case.objects.select_related("assignee", "assessed_by", "held_by").defer("payload"),
        reference=reference,
    )


def case_for_opening(*, reference: str) -> Case:
    return get_object_or_404(
        Case.objects.select_related("assignee", "assessed_by"), reference=reference
    )


def case_for_action(*, reference: str) -> Case:
    return get_object_or_404(Case.objects.defer("payload"), reference=reference)


def case_fact_rows(case: Case) -> list[tuple[str, str]]:
    """What staff chose for the case, codes turned into words (nothing the applicant wrote)."""
    rows: list[tuple[str, str]] = []
    if case.risk_level:
        rows.append((_("Risk level"), str(RiskLevel(case.risk_level).label)))
    if case.verified_by:
        rows.append((_("Verified through"), _label(VerifiedBy, case.verified_by)))
    if case.support:
        rows.append(
            (_("Support recommended"), "; ".join(_label(Support, code) for code in case.support))
        )
    if case.assessed_at:
        who = case.assessed_by.username if case.assessed_by else ""
        rows.append((_("Assessed"), f"{_when(case.assessed_at)} · {who}"))
    if case.decline_reason:
        rows.append((_("Reason for declining"), _label(DeclineReason, case.decline_reason)))
    if case.relocated_on:
        rows.append((_("Relocated on"), case.relocated_on.isoformat()))
    if case.relocation_region:
        rows.append((_("Region"), _label(Region, case.relocation_region)))
    return rows


def case_proposals(*, case: Case) -> list[FundingProposal]:
    return list(
        case.funding_proposals.select_related("proposed_by", "decided_by").order_by(
            "-proposed_at", "-pk"
        )
    )


def assignable_staff() -> QuerySet[User]:
    """Active caseworkers and coordinators: the people a case may be handed to."""
    return (
        get_user_model()
        .objects.filter(is_active=True, role__in=CASE_STAFF)
        .only("pk", "username", "role")
        .order_by("username")
    )


def case_actions(*, case: Case, user: User, proposals: list[FundingProposal]) -> list[str]:
    """What this user may do to this case now, from the state machine and the role table.

    Names are the transitions (assess, decline, approve_funding, cancel_funding,
    confirm_relocation, withdraw) and propose_funding, reject_funding, take, reassign, note.
    """
    available = [t.name for t in case.get_available_user_state_transitions(user)]
    pending = next((p for p in proposals if p.status == ProposalStatus.PENDING), None)
    actions = []
    if case.is_open and case.assignee_id is None and user.may("take_case"):
        actions.append("take")
    actions += [name for name in ("assess", "approve_funding") if name in available]
    if case.state == State.ASSESSED and pending is None and user.may("propose_funding"):
        actions.append("propose_funding")
    if pending is not None and (
        user.may("approve_funding")
        or (user.may("propose_funding") and pending.proposed_by_id == user.pk)
    ):
        actions.append("reject_funding")
    actions += [
        name
        for name in ("confirm_relocation", "cancel_funding", "decline", "withdraw")
        if name in available
    ]
    if case.is_open and user.may("reassign_case"):
        actions.append("reassign")
    if not case.is_purged and user.may("write_note"):
        actions.append("note")
    return actions


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    who: str
    role: str
    what: str
    details: str


def case_timeline(*, case: Case) -> tuple[list[TimelineEntry], bool]:
    """The case's history from the audit log, oldest first: the latest TIMELINE_LIMIT events and
    whether older ones were left out."""
    events = list(
        AuditEvent.objects.filter(target_type="case", target_ref=case.reference)
        .exclude(action__in=TIMELINE_QUIET)
        .select_related("actor")
        .only(
            "sequence",
            "created_at",
            "actor_kind",
            "actor_role",
            "action",
            "data",
            "actor__username",
        )
        .order_by("-sequence")[: TIMELINE_LIMIT + 1]
    )
    more = len(events) > TIMELINE_LIMIT
    events = events[:TIMELINE_LIMIT][::-1]
    assignee_ids = {e.data.get("assignee") for e in events if e.action == Action.CASE_ASSIGNED} - {
        None
    }
    names = (
        dict(get_user_model().objects.filter(pk__in=assignee_ids).values_list("pk", "username"))
        if assignee_ids
        else {}
    )
    return [_timeline_entry(event, names) for event in events], more


def _timeline_entry(event: AuditEvent, names: dict[int, str]) -> TimelineEntry:
    if event.actor_kind == ActorKind.STAFF and event.actor is not None:
        who = event.actor.username
    else:
        who = str(ActorKind(event.actor_kind).label) if event.actor_kind in ActorKind.values else ""
    role = str(Role(event.actor_role).label) if event.actor_role in Role.values else ""
    try:
        what = str(Action(event.action).label)
    except ValueError:
        what = event.action
    return TimelineEntry(
        at=event.created_at,
        who=who,
        role=role,
        what=what,
        details=_event_details(event.action, event.data or {}, names),
    )


def _event_details(action: str, data: dict[str, Any], names: dict[int, str]) -> str:
    if action == Action.CASE_RECEIVED:
        return _label(Urgency, data.get("urgency"))
    if action == Action.CASE_OPENED:
        return _label(OpenReason, data.get("reason"))
    if action == Action.CASE_ASSESSED:
        level = data.get("risk_level")
        parts = [
            str(RiskLevel(level).label) if level in RiskLevel.values else "",
            _label(VerifiedBy, data.get("verified_by")),
            "; ".join(
                _label(Support, code) for code in str(data.get("support") or "").split(",") if code
            ),
        ]
        return " · ".join(part for part in parts if part)
    if action == Action.CASE_DECLINED:
        reason = _label(DeclineReason, data.get("reason"))
        with_note = _("with an internal note")
        return f"{reason} · {with_note}" if data.get("has_note") else reason
    if action in (Action.FUNDING_PROPOSED, Action.FUNDING_APPROVED):
        return (
            f"{data.get('amount', '')} {data.get('currency', '')} · "
            f"{_label(FundingPurpose, data.get('purpose'))}"
        )
    if action == Action.FUNDING_CANCELLED:
        return _label(FundingCancelReason, data.get("reason"))
    if action == Action.CASE_RELOCATED:
        return _label(Region, data.get("region"))
    if action == Action.CASE_WITHDRAWN:
        return _("at the applicant's request") if data.get("by") == "staff" else ""
    if action == Action.CASE_ASSIGNED:
        assignee = data.get("assignee")
        if assignee is None:
            return _("to nobody")
        return _("to %(name)s") % {"name": names.get(assignee, "#" + str(assignee))}
    if action == Action.MESSAGE_SENT:
        return _label(Direction, data.get("direction"))
    return ""


def _label(choices: Any, code: Any) -> str:
    if code in (None, ""):
        return ""
    try:
        return str(choices(code).label)
    except ValueError:
        return str(code)


def _when(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M UTC")


_CHOICE_LABELS = {
    "contact_method": dict(ContactMethod.choices),
    "travel_documents": dict(TravelDocuments.choices),
    "help_needed": dict(HelpNeeded.choices),
}


def intake_for_display(intake: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) pairs in form order, with codes turned back into words."""
    rows = []
    for name, field in IntakeForm.base_fields.items():
        if name == "consent" or name not in intake:
            continue
        value = intake[name]
        labels = _CHOICE_LABELS.get(name)
        if labels and isinstance(value, list):
            value = "; ".join(str(labels.get(v, v)) for v in value)
        elif labels:
            value = labels.get(value, value)
        rows.append((str(field.label), "" if value is None else str(value)))
    return rows
