"""The staff home page as a working day: what needs this person now, in a fixed number of
queries however many cases there are (one per list, each cut at HOME_LIST_LIMIT rows).

Every row is a reference, codes and dates: nothing here reads a ciphertext.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Max, Min, Q
from django.urls import reverse
from django.utils import timezone

from evacuation import rules
from evacuation.choices import Urgency, label
from evacuation.models import (
    OPEN_STATES,
    Case,
    Direction,
    FollowUpKind,
    FundingProposal,
    Message,
    ProposalStatus,
    State,
)
from evacuation.selectors import followups as followup_selectors
from evacuation.selectors.queue import Overdue

if TYPE_CHECKING:
    from accounts.models import User

HOME_LIST_LIMIT = 20


@dataclass
class HomeList:
    rows: list[dict[str, Any]] = field(default_factory=list)
    more: bool = False  # there are more than HOME_LIST_LIMIT


def _cut(rows: list[dict[str, Any]]) -> HomeList:
    return HomeList(rows=rows[:HOME_LIST_LIMIT], more=len(rows) > HOME_LIST_LIMIT)


def _url(reference: str) -> str:
    return reverse("evacuation_staff:case", args=[reference])


def _mine_or_nobodys(user: User, prefix: str = "") -> Q:
    return Q(**{f"{prefix}assignee": user}) | Q(**{f"{prefix}assignee__isnull": True})


def my_cases(user: User) -> HomeList:
    rows = (
        Case.objects.filter(assignee=user, state__in=OPEN_STATES)
        .order_by("priority", "created_at", "pk")
        .values("reference", "state", "urgency", "created_at", "last_staff_action_at")[
            : HOME_LIST_LIMIT + 1
        ]
    )
    return _cut(
        [
            {
                **row,
                "url": _url(row["reference"]),
                "state_label": label(State, row["state"]),
                "urgent": row["urgency"] == Urgency.NOW,
            }
            for row in rows
        ]
    )


def my_unread(user: User) -> HomeList:
    """Cases assigned to me with applicant messages nobody on staff has read yet."""
    rows = (
        Message.objects.filter(
            case__assignee=user, direction=Direction.FROM_APPLICANT, read_at__isnull=True
        )
        .values("case__reference")
        .annotate(count=Count("pk"), first=Min("created_at"), last=Max("created_at"))
        .order_by("first", "case__reference")[: HOME_LIST_LIMIT + 1]
    )
    return _cut(
        [
            {
                "reference": row["case__reference"],
                "url": _url(row["case__reference"]),
                "count": row["count"],
                "first": row["first"],
                "last": row["last"],
            }
            for row in rows
        ]
    )


def followups_due(user: User, today: date) -> HomeList:
    """Open follow-ups due today or earlier on my cases and on cases nobody has taken."""
    rows = (
        followup_selectors.open_followups()
        .filter(_mine_or_nobodys(user, "case__"), due_on__lte=today)
        .order_by("due_on", "pk")
        .values("case__reference", "due_on", "kind")[: HOME_LIST_LIMIT + 1]
    )
    return _cut(
        [
            {
                "reference": row["case__reference"],
                "url": _url(row["case__reference"]),
                "due_on": row["due_on"],
                "kind": label(FollowUpKind, row["kind"]),
                "late": row["due_on"] < today,
            }
            for row in rows
        ]
    )


def funding_to_approve(user: User) -> HomeList:
    """Pending proposals this coordinator may approve: four eyes (rules.may_approve_funding)
    leaves out what they proposed or assessed themselves."""
    if not rules.staff_may(user, "approve_funding"):
        return HomeList()
    proposals = (
        FundingProposal.objects.filter(status=ProposalStatus.PENDING, case__state=State.ASSESSED)
        .exclude(proposed_by=user)
        .exclude(case__assessed_by=user)
        .select_related("case")
        .only(
            "amount",
            "currency",
            "proposed_at",
            "proposed_by_id",
            "case__reference",
            "case__state",
            "case__assessed_by_id",
            "case__priority",
        )
        .order_by("case__priority", "proposed_at", "pk")[: HOME_LIST_LIMIT + 1]
    )
    return _cut(
        [
            {
                "reference": p.case.reference,
                "url": _url(p.case.reference),
                "amount": p.amount,
                "currency": p.currency,
                "proposed_at": p.proposed_at,
            }
            for p in proposals
            if not rules.is_own_work(p.case, user, pending=p)
        ]
    )


def overdue(user: User, now: datetime) -> HomeList:
    """My cases and cases nobody has taken that the queue marks overdue, and my funded cases
    whose applicant missed a check-in (two queries)."""
    rule = Overdue.at(now)
    late = list(
        Case.objects.filter(rule.condition())
        .filter(_mine_or_nobodys(user))
        .order_by("priority", "created_at", "pk")
        .values("reference", "state", "urgency", "created_at", "last_staff_action_at")[
            : HOME_LIST_LIMIT + 1
        ]
    )
    missed = list(
        followup_selectors.missed_checkins(now)
        .filter(_mine_or_nobodys(user, "case__"))
        .order_by("due_at", "pk")
        .values("case__reference", "due_at")[: HOME_LIST_LIMIT + 1]
    )
    grace = followup_selectors.checkin_grace()
    rows: dict[str, dict[str, Any]] = {}
    for row in missed:
        rows[row["case__reference"]] = {
            "reference": row["case__reference"],
            "url": _url(row["case__reference"]),
            "checkin_missed": row["due_at"] + grace,
            "since": row["due_at"],
        }
    for row in late:
        urgent = row["urgency"] == Urgency.NOW and row["state"] == State.RECEIVED
        entry = rows.setdefault(
            row["reference"], {"reference": row["reference"], "url": _url(row["reference"])}
        )
        entry.update(
            urgent_unassessed=urgent,
            last_action=row["last_staff_action_at"] or row["created_at"],
            since=entry.get("since") or row["last_staff_action_at"] or row["created_at"],
        )
    return _cut(list(rows.values()))


def urgent_untaken() -> HomeList:
    """New "in danger now" requests nobody has taken yet, longest waiting first."""
    rows = (
        Case.objects.filter(urgency=Urgency.NOW, state=State.RECEIVED, assignee__isnull=True)
        .order_by("created_at", "pk")
        .values("reference", "created_at")[: HOME_LIST_LIMIT + 1]
    )
    return _cut([{**row, "url": _url(row["reference"])} for row in rows])


@dataclass
class WorkingDay:
    mine: HomeList
    unread: HomeList
    followups: HomeList
    approvals: HomeList
    overdue: HomeList
    urgent: HomeList
    may_approve: bool


def working_day(*, user: User, now: datetime | None = None) -> WorkingDay:
    """Seven queries at most, whatever the number of cases."""
    now = now or timezone.now()
    return WorkingDay(
        mine=my_cases(user),
        unread=my_unread(user),
        followups=followups_due(user, timezone.localdate(now)),
        approvals=funding_to_approve(user),
        overdue=overdue(user, now),
        urgent=urgent_untaken(),
        may_approve=rules.staff_may(user, "approve_funding"),
    )
