"""What needs attention, and who is told of it.

Two ways in, one table (evacuation.models.Notice), so that nobody is told of the same thing
twice:

- an event calls `tell(kind=..., recipients=..., about=...)` in the transaction that records
  it (a message from the applicant: evacuation.services.correspondence); its kind is declared
  once with `event_kind("...")`;
- a kind that comes with time registers a finder, which the sweep (`manage.py notify_sweep`, a
  timer) calls with the current time; it returns (recipient id, about) pairs:

      @finder("checkin_missed")
      def checkins_missed(now):
          return [(s.case.assignee_id, f"checkin:{s.pk}:{s.due_at:%Y%m%d%H}") for s in ...]

`about` is an internal key for this table only (never in a mail): a new `about` is a new
notice, the same one again is nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.roles import CASE_STAFF
from evacuation import rules
from evacuation.choices import State, Urgency
from evacuation.models import (
    Case,
    FundingProposal,
    Notice,
    NoticeMode,
    NoticePreference,
    NoticeStatus,
    ProposalStatus,
)
from evacuation.selectors.followups import checkins_missed, followups_due

URGENT_UNTAKEN = "urgent_untaken"
FUNDING_WAITS = "funding_waits"
CHECKIN_MISSED = "checkin_missed"
FOLLOWUP_DUE = "followup_due"

# What a sweep looks back over: older things were told of already, or are beyond telling.
LOOK_BACK = timedelta(days=14)

Finder = Callable[[datetime], Iterable[tuple[int, str]]]
FINDERS: dict[str, Finder] = {}
KINDS: set[str] = set()


def event_kind(kind: str) -> str:
    """Declares a kind that an event tells of (through `tell`), and returns its code."""
    KINDS.add(kind)
    return kind


def finder(kind: str) -> Callable[[Finder], Finder]:
    """Registers a time-based kind: `function(now)` gives (recipient id, about) pairs."""

    def register(function: Finder) -> Finder:
        FINDERS[kind] = function
        KINDS.add(kind)
        return function

    return register


def tell(*, kind: str, recipients: Iterable[int | None], about: str) -> int:
    """Records that these people are to be told of `about` (once each), and queues the sending
    for when the caller's transaction commits. Returns how many notices are new."""
    if kind not in KINDS:
        raise ValueError(f"Unknown notice kind {kind!r}.")
    new = _notices_add(kind, [(pk, about) for pk in recipients if pk is not None])
    if new:
        from evacuation.notifications import tasks  # the task module imports the sender

        transaction.on_commit(tasks.enqueue_sending)
    return new


def _notices_add(kind: str, pairs: list[tuple[int, str]]) -> int:
    if not pairs:
        return 0
    pairs = list(dict.fromkeys(pairs))
    people = {pk for pk, _about in pairs}
    abouts = {about for _pk, about in pairs}
    told = set(
        Notice.objects.filter(kind=kind, recipient_id__in=people, about__in=abouts).values_list(
            "recipient_id", "about"
        )
    )
    off = set(
        NoticePreference.objects.filter(user_id__in=people, mode=NoticeMode.OFF).values_list(
            "user_id", flat=True
        )
    )
    rows = [
        # Someone who turned notices off is marked as told: turning them on later sends no
        # flood of old news.
        Notice(
            recipient_id=pk,
            kind=kind,
            about=about,
            status=NoticeStatus.MUTED if pk in off else NoticeStatus.PENDING,
        )
        for pk, about in pairs
        if (pk, about) not in told
    ]
    Notice.objects.bulk_create(rows, ignore_conflicts=True)
    return sum(1 for row in rows if row.status == NoticeStatus.PENDING)


def find_due(now: datetime) -> int:
    """Runs every finder; returns how many notices are new."""
    return sum(_notices_add(kind, list(found(now))) for kind, found in FINDERS.items())


APPLICANT_WROTE = event_kind("applicant_wrote")


# --- who is told ---------------------------------------------------------------------------------


def _active_case_staff():
    return get_user_model().objects.filter(is_active=True, role__in=CASE_STAFF)


def on_call_ids() -> list[int]:
    """Those on call (a coordinator's toggle, or NOTIFY_ON_CALL); when nobody is, every active
    coordinator, so that an urgent request is never left with nobody told."""
    staff = [
        user
        for user in _active_case_staff().filter(
            Q(notice_preference__on_call=True) | Q(username__in=settings.NOTIFY_ON_CALL)
        )
        if user.may("view_cases")
    ]
    if not staff:
        staff = [user for user in _active_case_staff() if user.may("approve_funding")]
    return [user.pk for user in staff]


# --- the built-in kinds --------------------------------------------------------------------------


def applicant_wrote(case: Case, about: str) -> int:
    """The applicant wrote, added to their request or sent a file (`about`: "message:41"):
    their case's assignee is told (nobody when it has none yet: an unassigned case is in the
    queue for everyone)."""
    return tell(kind=APPLICANT_WROTE, recipients=[case.assignee_id], about=about)


@finder(URGENT_UNTAKEN)
def urgent_untaken(now: datetime) -> list[tuple[int, str]]:
    """An urgent request nobody has taken NOTIFY_URGENT_AFTER_MINUTES after it arrived."""
    waited = now - timedelta(minutes=settings.NOTIFY_URGENT_AFTER_MINUTES)
    cases = list(
        Case.objects.filter(
            urgency=Urgency.NOW,
            state=State.RECEIVED,
            assignee__isnull=True,
            purged_at__isnull=True,
            created_at__lte=waited,
            created_at__gte=waited - LOOK_BACK,
        ).values_list("pk", flat=True)
    )
    if not cases:
        return []
    people = on_call_ids()
    return [(person, f"case:{pk}") for pk in cases for person in people]


@finder(FUNDING_WAITS)
def funding_waits(now: datetime) -> list[tuple[int, str]]:
    """Funding proposed and waiting: every coordinator who may approve it (four eyes: never the
    one who proposed it or assessed the case, evacuation.rules.may_approve_funding)."""
    proposals = list(
        FundingProposal.objects.filter(
            status=ProposalStatus.PENDING, proposed_at__gte=now - LOOK_BACK
        ).select_related("case")
    )
    if not proposals:
        return []
    approvers = [user for user in _active_case_staff() if user.may("approve_funding")]
    return [
        (user.pk, f"proposal:{proposal.pk}")
        for proposal in proposals
        for user in approvers
        if rules.may_approve_funding(proposal.case, user, pending=proposal)
    ]


@finder(CHECKIN_MISSED)
def checkin_missed(now: datetime) -> list[tuple[int, str]]:
    """A funded case's check-in was missed (evacuation.selectors.followups): its assignee is
    told once per missed check-in (nobody when nobody has the case: the home page shows it)."""
    return [
        (row["assignee_id"], f"checkin:{row['case_id']}:{row['due_at']:%Y%m%d%H%M}")
        for row in checkins_missed(now)
        if row["assignee_id"] is not None
    ]


@finder(FOLLOWUP_DUE)
def followup_due(now: datetime) -> list[tuple[int, str]]:
    """A follow-up is due (or overdue): the case's assignee is told once per follow-up."""
    return [
        (row["assignee_id"], f"followup:{row['followup_id']}")
        for row in followups_due(timezone.localdate(now))
        if row["assignee_id"] is not None
    ]
