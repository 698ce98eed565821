"""Reads for follow-ups and check-ins, each in a fixed number of queries.

`followups_due(today)` and `checkins_missed(now)` are what the notifications announce (to the
case's assignee): plain rows with the assignee's id, never anything the applicant wrote.
A check-in is missed once `due_at` plus CHECKIN_GRACE_HOURS has passed without a press.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from evacuation.models import Case, CheckinSchedule, FollowUp, FollowUpKind, FollowUpOutcome, State
from evacuation.models.followups import CHECKIN_EVERY_DAYS_MAX


def checkin_grace() -> timedelta:
    """A traveller with no signal for a few hours is not yet missing (CHECKIN_GRACE_HOURS)."""
    return timedelta(hours=settings.CHECKIN_GRACE_HOURS)


def checkin_missed_at(schedule: CheckinSchedule) -> datetime:
    """The moment a check-in not pressed by then counts as missed."""
    return schedule.due_at + checkin_grace()


def is_missed(schedule: CheckinSchedule | None, case: Case, now: datetime | None = None) -> bool:
    if schedule is None or schedule.stopped_at is not None or case.state != State.FUNDED:
        return False
    if schedule.due_at <= case.state_changed_at:  # due before the case was (again) funded
        return False
    return (now or timezone.now()) > checkin_missed_at(schedule)


@dataclass(frozen=True)
class CaseFollowUps:
    """What the case page shows of its follow-ups and check-ins."""

    open: list[FollowUp]
    schedule: CheckinSchedule | None
    missed: bool
    missed_since: datetime | None
    every_days_max: int = CHECKIN_EVERY_DAYS_MAX


def case_followups(*, case: Case, now: datetime | None = None) -> CaseFollowUps:
    """Two queries: the case's open follow-ups, its check-in schedule."""
    now = now or timezone.now()
    open_ = list(
        FollowUp.objects.filter(case=case, outcome=FollowUpOutcome.OPEN).order_by("due_on", "pk")
    )
    schedule = CheckinSchedule.objects.filter(case=case).first()
    missed = is_missed(schedule, case, now)
    return CaseFollowUps(
        open=open_,
        schedule=schedule,
        missed=missed,
        missed_since=checkin_missed_at(schedule) if missed else None,
    )


def has_open_followup(case: Case) -> bool:
    return FollowUp.objects.filter(case=case, outcome=FollowUpOutcome.OPEN).exists()


def open_followups():
    """Open follow-ups of cases whose data is kept (a purged case has nothing to follow up)."""
    return FollowUp.objects.filter(outcome=FollowUpOutcome.OPEN, case__purged_at__isnull=True)


def followups_due(today: date | None = None, *, limit: int | None = None) -> list[dict[str, Any]]:
    """One query: every open follow-up due on or before `today`, oldest first, each with
    `followup_id`, `case_id`, `reference`, `due_on`, `kind` and `assignee_id`."""
    today = today or timezone.localdate()
    rows = (
        open_followups()
        .filter(due_on__lte=today)
        .order_by("due_on", "pk")
        .values("pk", "case_id", "case__reference", "due_on", "kind", "case__assignee_id")
    )
    if limit is not None:
        rows = rows[:limit]
    return [
        {
            "followup_id": row["pk"],
            "case_id": row["case_id"],
            "reference": row["case__reference"],
            "due_on": row["due_on"],
            "kind": row["kind"],
            "assignee_id": row["case__assignee_id"],
        }
        for row in rows
    ]


def missed_checkins(now: datetime | None = None):
    now = now or timezone.now()
    # A schedule left from an earlier funding (cancelled, then funded again) is not missed: its
    # check-in fell due before the case was funded this time.
    return CheckinSchedule.objects.filter(
        stopped_at__isnull=True,
        due_at__lt=now - checkin_grace(),
        due_at__gt=F("case__state_changed_at"),
        case__state=State.FUNDED,
        case__purged_at__isnull=True,
    )


def checkins_missed(now: datetime | None = None, *, limit: int | None = None) -> list[dict]:
    """One query: every running check-in schedule of a funded case whose check-in is missed,
    longest missed first, each with `case_id`, `reference`, `due_at` (the check-in that was
    missed: an announcement can be made once per `due_at`), `missed_at` and `assignee_id`."""
    rows = (
        missed_checkins(now)
        .order_by("due_at", "pk")
        .values("case_id", "case__reference", "due_at", "case__assignee_id")
    )
    if limit is not None:
        rows = rows[:limit]
    grace = checkin_grace()
    return [
        {
            "case_id": row["case_id"],
            "reference": row["case__reference"],
            "due_at": row["due_at"],
            "missed_at": row["due_at"] + grace,
            "assignee_id": row["case__assignee_id"],
        }
        for row in rows
    ]


KIND_LABELS = dict(FollowUpKind.choices)
