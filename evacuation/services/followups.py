"""Follow-ups and check-ins (issue 19): every write one transaction with its audit event.

- `followup_set` / `followup_close`: case staff set a "follow up on" day on a case, and mark it
  done or dismiss it. An open follow-up keeps the case from the retention purge.
- `followups_after_relocation`: the relocation makes follow-ups at 30 and 90 days, inside the
  relocation's own transaction and recorded on its event
  (evacuation.services.casework.case_confirm_relocation).
- `checkins_set` / `checkins_stop`: while a funded case is in transit, its caseworker asks the
  applicant to check in every N days; `checkin_record` is the applicant's "I am safe".

The audit events carry dates, kinds and counts, never anything the applicant wrote.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actions import Action
from evacuation import rules
from evacuation.choices import State
from evacuation.models import Case, CheckinSchedule, FollowUp, FollowUpKind, FollowUpOutcome
from evacuation.models.followups import CHECKIN_EVERY_DAYS_MAX
from evacuation.services.events import case_event

if TYPE_CHECKING:
    from accounts.models import User

# How far ahead a follow-up may be set: far enough for any plan, near enough to catch a typo
# in the year (it would hold the case against the purge for that long).
FOLLOWUP_MAX_AHEAD_DAYS = 366
AFTER_RELOCATION = ((30, FollowUpKind.AFTER_RELOCATION_30), (90, FollowUpKind.AFTER_RELOCATION_90))
DAYS_RANGE = gettext_lazy("Check-ins can be every 1 to 30 days.")  # CHECKIN_EVERY_DAYS_MAX
# The furthest any time zone is ahead of UTC: "today" for someone east of the server.
_AHEAD_OF_UTC = timedelta(hours=14)
_BEHIND_UTC = timedelta(hours=12)


def _may(actor: User, case: Case) -> None:
    """Case staff (caseworkers and coordinators), on a case whose data is still kept."""
    if not rules.staff_may(actor, "view_cases"):
        raise PermissionDenied
    if case.is_purged:
        raise ValidationError(_("The data of this request has been deleted."))


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().defer("payload").get(pk=case.pk)


# --- follow-ups ----------------------------------------------------------------------------------


def followup_set(*, case: Case, actor: User, due_on: date) -> FollowUp:
    """A day on which to look at the case again (from today, at most a year ahead)."""
    if not isinstance(due_on, date):
        raise ValidationError(_("Enter the day to follow up on."))
    now = timezone.now()
    if due_on < (now - _BEHIND_UTC).date():
        raise ValidationError(_("The follow-up day cannot be in the past."))
    if due_on > (now + _AHEAD_OF_UTC).date() + timedelta(days=FOLLOWUP_MAX_AHEAD_DAYS):
        raise ValidationError(_("Set the follow-up at most a year ahead."))
    with transaction.atomic():
        locked = _locked(case)
        _may(actor, locked)
        followup = FollowUp.objects.create(
            case=locked, kind=FollowUpKind.SET, due_on=due_on, created_by=actor, created_at=now
        )
        case_event(
            locked,
            Action.FOLLOWUP_SET,
            actor=actor,
            data={"kind": followup.kind, "due_on": due_on.isoformat()},
        )
    return followup


def followup_close(*, case: Case, actor: User, followup_id: int, outcome: str) -> FollowUp:
    """Marks an open follow-up of this case done, or dismisses it."""
    if outcome not in (FollowUpOutcome.DONE, FollowUpOutcome.DISMISSED):
        raise ValidationError(_("Choose whether the follow-up is done or dismissed."))
    with transaction.atomic():
        locked = _locked(case)
        if not rules.staff_may(actor, "view_cases"):
            raise PermissionDenied
        followup = (
            FollowUp.objects.select_for_update()
            .filter(pk=followup_id, case=locked, outcome=FollowUpOutcome.OPEN)
            .first()
        )
        if followup is None:
            raise ValidationError(_("This follow-up is already closed."))
        followup.outcome = outcome
        followup.closed_at = timezone.now()
        followup.closed_by = actor
        followup.save(update_fields=["outcome", "closed_at", "closed_by"])
        action = (
            Action.FOLLOWUP_DONE if outcome == FollowUpOutcome.DONE else (Action.FOLLOWUP_DISMISSED)
        )
        case_event(
            locked,
            action,
            actor=actor,
            data={"kind": followup.kind, "due_on": followup.due_on.isoformat()},
        )
    return followup


def followups_after_relocation(*, case: Case, actor: User, relocated_on: date) -> list[FollowUp]:
    """Inside the relocation's transaction, which records them on its own event (case.relocated,
    `followups_due`): follow-ups 30 and 90 days after it; the check-ins end (the journey is
    over)."""
    made = FollowUp.objects.bulk_create(
        [
            FollowUp(
                case=case, kind=kind, due_on=relocated_on + timedelta(days=days), created_by=actor
            )
            for days, kind in AFTER_RELOCATION
        ]
    )
    CheckinSchedule.objects.filter(case=case, stopped_at__isnull=True).update(
        stopped_at=timezone.now()
    )
    return made


# --- check-ins -----------------------------------------------------------------------------------


def checkins_set(*, case: Case, actor: User, every_days: int) -> CheckinSchedule:
    """(Re)starts the check-ins of a funded case: the first is due `every_days` from now."""
    if not isinstance(every_days, int) or not 1 <= every_days <= CHECKIN_EVERY_DAYS_MAX:
        raise ValidationError(DAYS_RANGE)
    with transaction.atomic():
        locked = _locked(case)
        _may(actor, locked)
        if locked.state != State.FUNDED:
            raise ValidationError(_("Check-ins are for funded cases, while the person travels."))
        now = timezone.now()
        schedule, _made = CheckinSchedule.objects.select_for_update().update_or_create(
            case=locked,
            defaults={
                "every_days": every_days,
                "started_at": now,
                "set_by": actor,
                "due_at": now + timedelta(days=every_days),
                "stopped_at": None,
            },
        )
        case_event(locked, Action.CHECKINS_SET, actor=actor, data={"every_days": every_days})
    return schedule


def checkins_stop(*, case: Case, actor: User) -> bool:
    """Ends the check-ins; False when none were running."""
    with transaction.atomic():
        locked = _locked(case)
        if not rules.staff_may(actor, "view_cases"):
            raise PermissionDenied
        stopped = CheckinSchedule.objects.filter(case=locked, stopped_at__isnull=True).update(
            stopped_at=timezone.now()
        )
        if stopped:
            case_event(locked, Action.CHECKINS_STOPPED, actor=actor)
    return bool(stopped)


def checkin_running(case: Case) -> CheckinSchedule | None:
    """The schedule the applicant's "I am safe" answers, or None (none, stopped, not funded)."""
    if case.state != State.FUNDED or case.is_purged:
        return None
    return CheckinSchedule.objects.filter(case=case, stopped_at__isnull=True).first()


def checkin_record(*, case: Case, now: datetime | None = None) -> CheckinSchedule:
    """The applicant pressed "I am safe": one check-in, and the next is due N days from now.
    ValidationError when the case has no running schedule (stopped or no longer funded)."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = _locked(case)
        schedule = (
            CheckinSchedule.objects.select_for_update()
            .filter(case=locked, stopped_at__isnull=True)
            .first()
        )
        if schedule is None or locked.state != State.FUNDED or locked.is_purged:
            raise ValidationError(_("Check-ins are not asked for on this request now."))
        schedule.last_checkin_at = now
        schedule.checkins += 1
        schedule.due_at = now + timedelta(days=schedule.every_days)
        schedule.save(update_fields=["last_checkin_at", "checkins", "due_at"])
        # The day (never the time) the applicant last acted, as a message does.
        Case.objects.filter(pk=locked.pk).update(last_applicant_activity_on=timezone.localdate(now))
        case_event(
            locked,
            Action.CHECKIN_RECORDED,
            actor=rules.APPLICANT,
            data={"checkins": schedule.checkins},
        )
    return schedule
