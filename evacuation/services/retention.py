"""Keeping personal data only as long as it is needed, then destroying it for good.

A case is purged by crypto-shredding: its ciphertexts (intake, notes, messages, files) are deleted
and so is every wrapped copy of its data key, so even a backup of the database taken earlier can
no longer be opened once its keys are gone from every later copy. What stays (reference, state,
dates, urgency and the codes staff chose) is what statistics need and holds nothing personal.

Rules (settings): cases that ended (relocated, declined, withdrawn) more than RETENTION_DAYS ago,
and requests still `received` with no staff action for UNTOUCHED_DAYS. Never purged: a case a
coordinator put on hold, a case with an open follow-up (until it is done or dismissed), and a
case whose applicant wrote in the last RECENT_MESSAGE_DAYS. An
applicant may ask for everything to go at once: then only a hold keeps it, until released.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.actions import Action
from core.db import scrub_deleted
from evacuation import rules
from evacuation.choices import HoldReason
from evacuation.models import (
    CLOSED_STATES,
    Addition,
    Attachment,
    Case,
    Direction,
    FollowUp,
    FollowUpOutcome,
    Message,
    Note,
    State,
)
from evacuation.services.casework import case_withdraw
from evacuation.services.events import case_event
from vault import cases as vault_cases
from vault.models import ApplicantKey, CaseKey

logger = logging.getLogger(__name__)

RULE_ENDED = "ended"
RULE_UNTOUCHED = "untouched"
RULE_ASKED = "asked"  # the applicant asked for everything to be deleted now


def deletion_date(case: Case) -> date | None:
    """The day from which the case's data is due to go, or None while it is kept (open, on
    hold, already purged). A message from the applicant postpones it, as it does the purge."""
    if case.hold_reason or case.is_purged:
        return None
    if case.delete_requested_at is not None:
        return timezone.localdate(case.delete_requested_at)
    if case.state in CLOSED_STATES:
        due = case.state_changed_at + timedelta(days=settings.RETENTION_DAYS)
    elif case.state == State.RECEIVED:
        since = case.last_staff_action_at or case.created_at
        due = since + timedelta(days=settings.UNTOUCHED_DAYS)
    else:
        return None
    if FollowUp.objects.filter(case=case, outcome=FollowUpOutcome.OPEN).exists():
        return None  # kept until the follow-up is done or dismissed
    wrote = case.messages.filter(direction=Direction.FROM_APPLICANT).aggregate(
        last=Max("created_at")
    )["last"]
    if wrote is not None:
        due = max(due, wrote + timedelta(days=settings.RECENT_MESSAGE_DAYS))
    return timezone.localdate(due)


def retention_due(now: datetime | None = None) -> QuerySet[Case]:
    """Cases whose data may be destroyed now (`rule_for` says which rule applies)."""
    now = now or timezone.now()
    ended = Q(
        state__in=CLOSED_STATES, state_changed_at__lt=now - timedelta(days=settings.RETENTION_DAYS)
    )
    untouched = Q(state=State.RECEIVED, since__lt=now - timedelta(days=settings.UNTOUCHED_DAYS))
    wrote_recently = Exists(
        Message.objects.filter(
            case=OuterRef("pk"),
            direction=Direction.FROM_APPLICANT,
            created_at__gte=now - timedelta(days=settings.RECENT_MESSAGE_DAYS),
        )
    )
    # An open follow-up (evacuation.models.followups) keeps the case until it is done or
    # dismissed; only a coordinator's hold stands against the applicant's own request.
    followed_up = Exists(FollowUp.objects.filter(case=OuterRef("pk"), outcome=FollowUpOutcome.OPEN))
    asked = Q(delete_requested_at__isnull=False)
    return (
        Case.objects.annotate(since=Coalesce("last_staff_action_at", "created_at"))
        .filter(((ended | untouched) & ~wrote_recently & ~followed_up) | asked)
        .filter(purged_at__isnull=True, hold_reason="")
        .only("id", "uid", "reference", "state", "state_changed_at", "created_at")
        .order_by("pk")
    )


def rule_for(case: Case) -> str:
    if case.delete_requested_at is not None:
        return RULE_ASKED
    return RULE_ENDED if case.state in CLOSED_STATES else RULE_UNTOUCHED


def case_delete_now(*, case: Case) -> bool:
    """The applicant withdraws and asks for everything to be deleted at once. Returns True when
    it was shredded now; False when a coordinator's hold keeps it (it goes when the hold ends)."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.is_open:
            case_withdraw(case=locked, actor=rules.APPLICANT)
        Case.objects.filter(pk=locked.pk).update(delete_requested_at=timezone.now())
    return case_purge(case=locked, rule=RULE_ASKED)


def case_purge(*, case: Case, rule: str) -> bool:
    """Destroys every ciphertext of the case and every copy of its key, in one transaction.

    The rules are asked again under the row lock: between the listing and this moment a
    coordinator may have put the case on hold, staff may have acted or the applicant written.
    Returns False (nothing done, nothing recorded) for a case no longer due."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if not retention_due().filter(pk=locked.pk).exists():
            return False
        case_shred(locked, rule=rule)
    return True


def case_shred(locked: Case, *, rule: str) -> None:
    """The shredding itself, inside the caller's transaction and under its row lock: every
    ciphertext and every copy of the key go, and the purge is recorded. case_purge decides
    whether a case is due; a restore (services.backup) re-applies purges already decided."""
    locked.notes.all().delete()
    locked.messages.all().delete()
    locked.attachments.all().delete()
    locked.additions.all().delete()
    vault_cases.case_keys_shred(case_uid=str(locked.uid))
    now = timezone.now()
    # updated_at moves too: a staff form drawn before the purge is refused as stale.
    Case.objects.filter(pk=locked.pk).update(
        payload=b"", seen=b"", triage=b"", purged_at=now, updated_at=now
    )
    case_event(
        locked,
        Action.CASE_PURGED,
        actor="system",
        data={"final_state": locked.state, "rule": rule},
    )


def storage_scrub() -> bool:
    """After purges: no byte of what was shredded stays in the database's own files
    (core.db.scrub_deleted). Outside any transaction. The shredding itself is already done and
    cannot be undone, so a scrub that fails (a busy database) is logged and left to the next
    purge_expired, never shown as an error. Returns whether it ran."""
    tables = (Case, Note, Message, Attachment, Addition, CaseKey, ApplicantKey)
    try:
        scrub_deleted(model._meta.db_table for model in tables)
    except (DatabaseError, TransactionManagementError):
        logger.warning("The database files could not be scrubbed now; purge_expired will.")
        return False
    return True


def case_hold_set(*, case: Case, actor, reason: str) -> None:
    rules.check("hold", case, actor)
    if reason not in HoldReason.values:
        raise ValidationError(_("Choose why this case must be kept."), code="reason")
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(
            hold_reason=reason, held_by=actor, held_at=timezone.now()
        )
        case_event(case, Action.CASE_HOLD_SET, actor=actor, data={"reason": reason})


def case_hold_release(*, case: Case, actor) -> None:
    if not rules.staff_may(actor, "hold_case"):
        raise PermissionDenied
    with transaction.atomic():
        released = Case.objects.filter(pk=case.pk).exclude(hold_reason="")
        if not released.update(hold_reason="", held_by=None, held_at=None):
            return
        case_event(case, Action.CASE_HOLD_RELEASED, actor=actor)
