"""Appending to the audit chain. `record()` is the one way an event is written.

Appends never sign: checkpoints are made by the audit signer (audit.signer), a separate process
that alone holds the signing key.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from audit.actions import ALLOWED_DATA
from audit.chain import GENESIS_HASH, event_hash, timestamp
from audit.models import ActorKind, AuditEvent, ChainHead

TARGET_TYPES = frozenset({"", "case", "user", "audit", "vault"})
NAMED_ACTORS = frozenset({ActorKind.APPLICANT, ActorKind.SYSTEM, ActorKind.ANONYMOUS})
MAX_VALUE_LENGTH = 128
# A few keys carry a list of case references ("EV-ABCD-EF,..."): a queue page's worth.
LONG_VALUES = {"references": 600}
MAX_REF_LENGTH = 64


def record(
    *,
    action: str,
    actor: Any,
    target_type: str = "",
    target_ref: str = "",
    data: dict | None = None,
) -> AuditEvent:
    """Appends one event to the chain, inside the caller's transaction.

    `actor` is a staff user or one of "applicant", "system", "anonymous". Anything outside the
    fixed vocabulary (unknown action, data key, value type, target type) raises ValueError, so
    personal data cannot reach the log by accident.
    """
    data = dict(data or {})
    _check(action=action, target_type=target_type, target_ref=target_ref, data=data)
    actor_id, actor_kind, actor_role = _actor(actor)
    # No savepoint: if the append fails, the caller's whole transaction must fail with it.
    with transaction.atomic(savepoint=False):
        event = _append(
            action=str(action),
            actor_id=actor_id,
            actor_kind=actor_kind,
            actor_role=actor_role,
            target_type=target_type,
            target_ref=target_ref,
            data=data,
        )
    return event


def _append(**fields: Any) -> AuditEvent:
    head = _locked_head()
    sequence = head.sequence + 1
    created_at = timezone.now()
    digest = event_hash(
        sequence=sequence,
        created_at=timestamp(created_at),
        prev_hash=head.hash,
        **fields,
    )
    event = AuditEvent.objects.create(
        sequence=sequence,
        created_at=created_at,
        prev_hash=head.hash,
        hash=digest,
        **fields,
    )
    ChainHead.objects.filter(pk=1).update(sequence=sequence, hash=digest)
    return event


def _locked_head() -> ChainHead:
    """The chain head, row-locked until the transaction ends (PostgreSQL; SQLite locks the file)."""
    head = ChainHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # The migration makes the row; this covers a flushed test database. The first append
        # there rebuilds the head from the last event so a half-emptied table cannot fork.
        last = AuditEvent.objects.order_by("-sequence").values_list("sequence", "hash").first()
        sequence, digest = last or (0, GENESIS_HASH)
        ChainHead.objects.bulk_create(
            [ChainHead(pk=1, sequence=sequence, hash=digest)], ignore_conflicts=True
        )
        head = ChainHead.objects.select_for_update().get(pk=1)
    return head


def _actor(actor: Any) -> tuple[int | None, str, str]:
    if isinstance(actor, str):
        if actor not in NAMED_ACTORS:
            raise ValueError(f"Unknown actor {actor!r}.")
        return None, actor, ""
    if isinstance(actor, get_user_model()):
        if actor.pk is None:
            raise ValueError("A staff actor must be saved first.")
        return actor.pk, ActorKind.STAFF, getattr(actor, "role", "") or ""
    if getattr(actor, "is_anonymous", False):
        return None, ActorKind.ANONYMOUS, ""
    raise ValueError("The actor must be a staff user or 'applicant', 'system', 'anonymous'.")


def _check(*, action: str, target_type: str, target_ref: str, data: dict) -> None:
    if action not in ALLOWED_DATA:
        raise ValueError(f"Unknown audit action {action!r}.")
    if target_type not in TARGET_TYPES:
        raise ValueError(f"Unknown target type {target_type!r}.")
    if not isinstance(target_ref, str) or len(target_ref) > MAX_REF_LENGTH:
        raise ValueError("The target reference must be a short string.")
    if any(ch.isspace() or not ch.isprintable() for ch in target_ref):
        raise ValueError("The target reference must not contain spaces or control characters.")
    unknown = set(data) - ALLOWED_DATA[action]
    if unknown:
        raise ValueError(f"{action} does not allow the data keys {sorted(unknown)}.")
    for key, value in data.items():
        if value is None or isinstance(value, bool | int):
            continue
        if not isinstance(value, str):
            raise ValueError(f"Data value for {key!r} must be a string, number, boolean or None.")
        if len(value) > LONG_VALUES.get(key, MAX_VALUE_LENGTH) or not value.isprintable():
            raise ValueError(f"Data value for {key!r} is too long or holds control characters.")
