"""The auditor's "needs a look" list, read from audit events only (no applicant data):

- account changes made in the app (created, re-roled, reset, a new authenticator) followed by
  funding activity by the same people: the person changed, or the administrator who made it;
- days on which one person opened an unusual number of cases (AUDIT_OPENINGS_PER_DAY);
- a per-person access report: which cases a person opened, when, with which reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent

LOOK_BACK_DAYS = 30  # how far back the list looks
FOLLOW_DAYS = 14  # funding activity this soon after an account change is listed
ROW_LIMIT = 200

ACCOUNT_CHANGES = (
    Action.STAFF_CREATED,
    Action.STAFF_ROLE_CHANGED,
    Action.PASSWORD_RESET,
    Action.STAFF_2FA_RESET,
    Action.ENROLMENT_LINK_USED,
    Action.TOTP_REPLACED,
)
FUNDING = (Action.FUNDING_PROPOSED, Action.FUNDING_APPROVED, Action.FUNDING_CANCELLED)


@dataclass(frozen=True)
class ChangeThenFunding:
    change: AuditEvent
    changed_user_id: int | None
    funding: AuditEvent


def _since() -> datetime:
    return timezone.now() - timedelta(days=LOOK_BACK_DAYS)


def changes_then_funding() -> list[ChangeThenFunding]:
    """Each account change in the last LOOK_BACK_DAYS, with the funding events within
    FOLLOW_DAYS after it by the person changed or by whoever made the change."""
    changes = (
        AuditEvent.objects.filter(
            # A change made in the app, or on the server (setrole, resetstaff); creating an
            # account on the server (createstaff, how every install starts) is not listed.
            Q(actor__isnull=False) | ~Q(action=Action.STAFF_CREATED),
            action__in=ACCOUNT_CHANGES,
            target_type="user",
            created_at__gte=_since(),
        )
        .select_related("actor")
        .order_by("sequence")[:ROW_LIMIT]
    )
    rows: list[ChangeThenFunding] = []
    for change in changes:
        try:
            changed = int(change.target_ref)
        except ValueError:
            continue
        people = {changed} | ({change.actor_id} if change.actor_id else set())
        funding = (
            AuditEvent.objects.filter(
                action__in=FUNDING,
                actor_id__in=people,
                sequence__gt=change.sequence,
                created_at__lte=change.created_at + timedelta(days=FOLLOW_DAYS),
            )
            .select_related("actor")
            .order_by("sequence")[:ROW_LIMIT]
        )
        rows += [ChangeThenFunding(change, changed, event) for event in funding]
        if len(rows) >= ROW_LIMIT:
            break
    return rows[:ROW_LIMIT]


def busy_openers() -> list[dict]:
    """(actor, day, count) where one person opened more than AUDIT_OPENINGS_PER_DAY cases in a
    day (UTC), newest day first."""
    threshold = settings.AUDIT_OPENINGS_PER_DAY
    return list(
        AuditEvent.objects.filter(
            action=Action.CASE_OPENED, actor__isnull=False, created_at__gte=_since()
        )
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_fixed_timezone(0)))
        .values("actor_id", "actor__username", "day")
        .annotate(count=Count("id"))
        .filter(count__gt=threshold)
        .order_by("-day", "-count")[:ROW_LIMIT]
    )


def staff_people() -> list[tuple[int, str]]:
    return list(get_user_model().objects.order_by("username").values_list("pk", "username"))


def openings_by(*, user_id: int, limit: int = 500) -> list[AuditEvent]:
    """The cases a person opened (case.opened events), newest first: when, which, why."""
    return list(
        AuditEvent.objects.filter(action=Action.CASE_OPENED, actor_id=user_id).order_by(
            "-sequence"
        )[:limit]
    )
