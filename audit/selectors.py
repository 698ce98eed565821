"""Reads for the auditor's pages."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from django.db.models import QuerySet

from audit.actions import Action
from audit.forms import STAFF_PREFIX
from audit.models import AuditEvent, Checkpoint


def events_filtered(
    *,
    actor: str = "",
    action: str = "",
    case: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditEvent]:
    events = AuditEvent.objects.select_related("actor")
    if actor.startswith(STAFF_PREFIX):
        events = events.filter(actor_id=int(actor.removeprefix(STAFF_PREFIX)))
    elif actor:
        events = events.filter(actor_kind=actor)
    if action:
        events = events.filter(action=action)
    if case:
        events = events.filter(target_type="case", target_ref=case)
    if date_from:
        events = events.filter(created_at__gte=datetime.combine(date_from, time.min, tzinfo=UTC))
    if date_to:
        end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
        events = events.filter(created_at__lt=end)
    return events


def event_by_sequence(sequence: int) -> AuditEvent | None:
    return AuditEvent.objects.select_related("actor").filter(sequence=sequence).first()


def event_exists(sequence: int) -> bool:
    return AuditEvent.objects.filter(sequence=sequence).exists()


def checkpoints_newest_first() -> QuerySet[Checkpoint]:
    return Checkpoint.objects.order_by("-sequence", "-id")


def last_checkpoint() -> Checkpoint | None:
    return Checkpoint.objects.order_by("-sequence", "-id").first()


def last_verification() -> AuditEvent | None:
    """The latest full verification (verify_audit, run outside any request)."""
    return AuditEvent.objects.filter(action=Action.AUDIT_VERIFIED).order_by("-sequence").first()
