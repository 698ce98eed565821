"""Running a rotation with its audit events: shared by `rotate_org_key` and `offboard`.

The vault's own functions write no audit events; this is where a rotation's are written, each in
the transaction of what it records: `key.rotation_started` when version N+1 is made, one
`cases.rekeyed` per batch of re-keyed cases (evacuation.services.rekey), and `key.rotated` when
the old version is destroyed.
"""

from __future__ import annotations

from collections.abc import Callable

from audit.actions import Action
from audit.services import record
from vault.models import CaseKey
from vault.org import ROTATION_BATCH, Rotation, org_key_rotate, rotation_start


def _started(rotation: Rotation) -> None:
    record(
        action=Action.KEY_ROTATION_STARTED,
        actor="system",
        target_type="vault",
        target_ref=f"v{rotation.new_version}",
        data={"old_version": max(rotation.old_versions), "new_version": rotation.new_version},
    )


def _finished(rotation: Rotation) -> None:
    record(
        action=Action.KEY_ROTATED,
        actor="system",
        target_type="vault",
        target_ref=f"v{rotation.new_version}",
        data={
            "old_version": max(rotation.old_versions),
            "new_version": rotation.new_version,
            "cases": rotation.cases,
            "rekeyed": rotation.rekeyed,
        },
    )


def rotation_begin(*, org_keys: dict[int, bytes]) -> tuple[Rotation, int]:
    """Starts (or resumes) the rotation; returns it and how many cases are still to do.
    Raises the vault's errors (VaultLocked, VaultNotInitialised)."""
    rotation = rotation_start(org_keys=org_keys, on_start=_started)
    pending = CaseKey.objects.filter(org_key_id__in=rotation.old_versions).count()
    return rotation, pending


def rotation_run(
    *,
    org_keys: dict[int, bytes],
    batch_size: int = ROTATION_BATCH,
    progress: Callable[[int], None] | None = None,
    workers: int = 0,
) -> Rotation:
    """The whole rotation, re-keying every case, with its audit events. Safe to run again."""
    return org_key_rotate(
        org_keys=org_keys,
        batch_size=batch_size,
        progress=progress,
        on_start=_started,
        on_finish=_finished,
        workers=workers,
    )
