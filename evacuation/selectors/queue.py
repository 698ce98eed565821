"""Reads for the queue and the approvals list.

A fixed number of queries whatever the number of cases: one GROUP BY for the per-state counts
(kept for a few seconds), one count and one page of plain rows (assignee joined, unread
messages as an EXISTS).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from evacuation import rules
from evacuation.choices import FundingPurpose, Urgency
from evacuation.models import (
    OPEN_STATES,
    Case,
    CaseLabel,
    Direction,
    FundingProposal,
    Message,
    ProposalStatus,
    State,
)
from evacuation.selectors.triage import triage_words

if TYPE_CHECKING:
    from accounts.models import User

QUEUE_PAGE_SIZE = 50
QUEUE_COLUMNS = (
    "id",
    "reference",
    "state",
    "urgency",
    "risk_level",
    "created_at",
    "last_staff_action_at",
    "assignee__username",
    "has_unread",
)
TRIAGE_COLUMNS = ("uid", "triage")


@dataclass(frozen=True)
class QueueFilters:
    state: str = "open"  # "open", "all" or one State value
    urgency: str = ""
    mine: bool = False
    unassigned: bool = False
    overdue: bool = False
    reference: str = ""  # as stored ("EV-ABCD-EF"): that case, in whatever state
    label: int | None = None  # a Label's id
    assignee: int | None = None  # a staff user's id


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


def cases_for_queue(
    *, user: User, filters: QueueFilters | None = None, triage: bool = False
) -> QueueRows:
    """Open cases by default, most urgent first and, within an urgency, longest waiting first.
    `triage`: each row carries its uid and sealed triage summary too (selectors.triage)."""
    filters = filters or QueueFilters()
    cases = Case.objects.all()
    if filters.reference:  # looked for by its reference: found whatever its state
        cases = cases.filter(reference=filters.reference)
    elif filters.state == "open":
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
    if filters.label is not None:
        cases = cases.filter(
            Exists(CaseLabel.objects.filter(case=OuterRef("pk"), label_id=filters.label))
        )
    if filters.assignee is not None:
        cases = cases.filter(assignee_id=filters.assignee)
    rows = (
        cases.annotate(has_unread=_unread_from_applicant())
        .order_by("priority", "created_at", "pk")
        # plain rows: the page shows 50 of them and nothing else
        .values(*QUEUE_COLUMNS, *(TRIAGE_COLUMNS if triage else ()))
    )
    return QueueRows(rows, counted=cases)


class QueueRows:
    """The queue's rows for the pager: sliced from the full query, counted on the filtered
    table alone. Counting the row query would count through its join to the assignee (100,000
    cases: about 40 ms on this machine, most of the page); the filters alone count on the
    indexes. The count is the live one: a request that just arrived is on the list."""

    ordered = True

    def __init__(self, rows: QuerySet, *, counted: QuerySet) -> None:
        self.rows = rows
        self.counted = counted

    def count(self) -> int:
        return self.counted.order_by().count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        return self.rows[index]

    def __iter__(self):
        return iter(self.rows)


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
    labels: list[str]
    triage: Any  # selectors.triage.TriageSummary, or None (not shown to this person)


def queue_rows(
    cases: Iterable[dict[str, Any]],
    labels: Mapping[int, list[str]] | None = None,
    triage: Mapping[int, Any] | None = None,
) -> list[QueueRow]:
    """The page's rows as plain words, so the template only prints them (it is the hot loop).
    `labels`: each case's label names by its id (selectors.workspace.labels_for_rows);
    `triage`: each case's triage summary by its id (selectors.triage.summaries)."""
    labels = labels or {}
    triage = triage or {}
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
            labels=labels.get(case["id"], []),
            triage=triage_words(triage[case["id"]]) if case["id"] in triage else None,
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
        mine = rules.is_own_work(case, user, pending=proposal)
        rows.append(
            {
                "proposal": proposal,
                "case": case,
                "amount": number_format(proposal.amount, decimal_pos=2, force_grouping=True),
                "purpose": FundingPurpose(proposal.purpose).label,
                "may_approve": rules.allows("approve_funding", case, user, pending=proposal),
                "why_not": _("You proposed or assessed this.") if mine else "",
            }
        )
    return rows
