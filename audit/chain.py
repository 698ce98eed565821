"""The canonical encoding and hash of an event, shared by appends, verification and exports.

hash = SHA-256 over the UTF-8 JSON of every field plus the previous hash, with sorted keys and
no whitespace. Keep this module free of Django so an export can be checked anywhere.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

GENESIS_HASH = "0" * 64

# Built once: json.dumps() with options builds a new encoder on every call.
_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode

HASHED_FIELDS = (
    "sequence",
    "created_at",
    "actor_id",
    "actor_kind",
    "actor_role",
    "action",
    "target_type",
    "target_ref",
    "data",
    "prev_hash",
)


def timestamp(moment: datetime) -> str:
    """Fixed-width UTC time, e.g. 2026-11-28T13:40:00.000000+00:00."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(fields: dict) -> bytes:
    return _encode(fields).encode("utf-8")


def event_hash(
    *,
    sequence: int,
    created_at: str,
    actor_id: int | None,
    actor_kind: str,
    actor_role: str,
    action: str,
    target_type: str,
    target_ref: str,
    data: dict,
    prev_hash: str,
) -> str:
    return hashlib.sha256(
        _encode(
            {
                "action": action,
                "actor_id": actor_id,
                "actor_kind": actor_kind,
                "actor_role": actor_role,
                "created_at": created_at,
                "data": data,
                "prev_hash": prev_hash,
                "sequence": sequence,
                "target_ref": target_ref,
                "target_type": target_type,
            }
        ).encode("utf-8")
    ).hexdigest()


def checkpoint_message(*, sequence: int, hash: str) -> bytes:
    """What a checkpoint signs: domain-separated so the key signs nothing else by accident."""
    return canonical(
        {"context": "safe-passage/audit-checkpoint/v1", "hash": hash, "sequence": sequence}
    )
