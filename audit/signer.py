"""The audit signer: the one process that holds the checkpoint key.

It runs apart from the web app (`manage.py audit_signer`, in production as its own operating-
system user that alone can read the key file), and it does not sign whatever head it is shown:
- it keeps the last (sequence, hash) it signed in a directory of its own, and refuses a chain
  that does not extend it (a rewritten, truncated or rolled-back chain gets no signature, even
  from someone who controls the web app and owns the database);
- before signing it verifies every event between its last signature and the new head.
Checkpoints come on time as well as on count: AUDIT_CHECKPOINT_SECONDS after something was
appended (or at once after AUDIT_CHECKPOINT_EVERY events), and at least once a day, so even a
quiet chain's head is fresh and signed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audit import signing
from audit.chain import GENESIS_HASH, timestamp
from audit.models import AuditEvent, ChainHead, Checkpoint
from audit.verify import verify_events_after

STATE_FILE = "last_signed.json"


class SignerRefused(Exception):
    """The chain does not extend what the signer last signed: nothing is signed."""


@dataclass(frozen=True)
class Signed:
    sequence: int
    hash: str
    signed_at: datetime


def state_path() -> Path:
    directory = settings.AUDIT_SIGNER_STATE_DIR
    if not directory:
        raise signing.SigningKeyError("AUDIT_SIGNER_STATE_DIR is not set.")
    return Path(directory) / STATE_FILE


def last_signed() -> Signed | None:
    path = state_path()
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return Signed(
        int(data["sequence"]), str(data["hash"]), datetime.fromisoformat(data["signed_at"])
    )


def _remember(signed: Signed) -> None:
    """Written to a temporary file and renamed, so a crash never leaves half a state."""
    path = state_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump(
            {
                "sequence": signed.sequence,
                "hash": signed.hash,
                "signed_at": timestamp(signed.signed_at),
            },
            handle,
        )
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def due(head: int, last: Signed | None, now: datetime) -> bool:
    """Whether a checkpoint is due: on count, on time after an append, or daily."""
    if last is None:
        return True
    age = now - last.signed_at
    if head > last.sequence:
        if head - last.sequence >= settings.AUDIT_CHECKPOINT_EVERY:
            return True
        if age >= timedelta(seconds=settings.AUDIT_CHECKPOINT_SECONDS):
            return True
    return age >= timedelta(seconds=settings.AUDIT_CHECKPOINT_DAILY_SECONDS)


def _extends(last: Signed | None, head_sequence: int, head_hash: str) -> None:
    """Raises SignerRefused unless the events since `last` are intact and lead to the head."""
    start = (last.sequence, last.hash) if last else (0, GENESIS_HASH)
    if head_sequence < start[0]:
        raise SignerRefused(
            f"The chain ends at {head_sequence}, before {start[0]}, which was signed: "
            "events were deleted or an older copy of the database was restored."
        )
    if last is not None and last.sequence > 0:
        stored = AuditEvent.objects.filter(sequence=last.sequence).values_list("hash", flat=True)
        if list(stored) != [last.hash]:
            raise SignerRefused(
                f"Event {last.sequence}, which was signed, is gone or changed: "
                "the chain was rewritten."
            )
    result = verify_events_after(start)
    if not result.ok:
        raise SignerRefused(f"Not signed: {result.summary()}")
    reached = result.last_sequence if result.checked else start[0]
    if reached != head_sequence or (result.checked and result.last_hash != head_hash):
        raise SignerRefused(
            f"The chain head says {head_sequence}, but the events end at {reached}."
        )


def sign_if_due(*, now: datetime | None = None, force: bool = False) -> Checkpoint | None:
    """Signs the head when a checkpoint is due (or `force`) and the chain extends the last one
    signed. Raises SignerRefused, or signing.SigningKeyError without a usable key."""
    now = now or timezone.now()
    key = signing.signing_key()
    last = last_signed()
    head = ChainHead.objects.values_list("sequence", "hash").first() or (0, GENESIS_HASH)
    if not (force or due(head[0], last, now)):
        return None
    nested = connection.in_atomic_block
    with transaction.atomic():
        if connection.vendor == "postgresql" and not nested:
            # One snapshot: the head and the events checked are the same chain.
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        head = ChainHead.objects.values_list("sequence", "hash").first() or (0, GENESIS_HASH)
        _extends(last, *head)
        signed_at = timestamp(now)
        checkpoint = Checkpoint.objects.create(
            sequence=head[0],
            hash=head[1],
            signature=signing.sign(key, sequence=head[0], hash=head[1], signed_at=signed_at),
            key_fingerprint=signing.fingerprint(key.public_key()),
            created_at=now,
        )
    _remember(Signed(head[0], head[1], now))
    return checkpoint
