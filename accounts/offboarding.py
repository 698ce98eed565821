"""Offboarding: the day someone leaves or loses a device.

One call does it all, each step on the record: the account is disabled, every session it has is
ended (which also forgets the keys a session held), its organisation key grants are deleted,
and a rotation re-keys every case (vault.management.rotation), so the grant, password and any
copy of the database the person kept open nothing written from then on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.sessions.models import Session
from django.db import transaction

from accounts.models import User
from audit.actions import Action
from audit.services import record
from vault import org as vault_org
from vault.management.rotation import rotation_begin, rotation_run
from vault.org import Rotation


@dataclass
class Offboarded:
    """What was done (counts only: no names)."""

    disabled: bool  # False: the account was already disabled
    sessions_ended: int
    grants_revoked: int
    rotation: Rotation | None = None


def _sessions_of(user: User) -> list[str]:
    """The keys of the stored sessions signed in as `user` (expired ones too: they go as well)."""
    keys = []
    for session in Session.objects.iterator():
        if session.get_decoded().get("_auth_user_id") == str(user.pk):
            keys.append(session.session_key)
    return keys


def staff_offboard(
    *,
    user: User,
    org_keys: dict[int, bytes] | None,
    actor: User | str = "system",
    progress: Callable[[int], None] | None = None,
    pending: Callable[[int], None] | None = None,
    batch_size: int = vault_org.ROTATION_BATCH,
) -> Offboarded:
    """Disables `user`, ends their sessions and revokes their grants in one transaction (one
    audit event each), then, with `org_keys` (from the recovery secret or a coordinator's
    session), runs the re-keying rotation (its own events, one per batch; `pending` is told how
    many cases it has to do, `progress` each batch). The rotation starts only after the grants
    are gone, so the new key is never granted to the person leaving. Run again after an
    interruption: the first steps find nothing left to do and the rotation resumes. The caller
    checks `org_keys` (org_keys_from_recovery does), so a bad secret changes nothing."""
    ref = str(user.pk)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        disabled = locked.is_active
        if disabled:
            locked.is_active = False
            locked.save(update_fields=["is_active"])
            record(action=Action.STAFF_DISABLED, actor=actor, target_type="user", target_ref=ref)
        keys = _sessions_of(locked)
        Session.objects.filter(session_key__in=keys).delete()
        record(
            action=Action.STAFF_SESSIONS_ENDED,
            actor=actor,
            target_type="user",
            target_ref=ref,
            data={"count": len(keys)},
        )
        revoked = vault_org.grant_revoke(grantee=locked)
        record(
            action=Action.KEY_REVOKED,
            actor=actor,
            target_type="user",
            target_ref=ref,
            data={"reason": "offboarded"},
        )
    user.is_active = False
    done = Offboarded(disabled=disabled, sessions_ended=len(keys), grants_revoked=revoked)
    if org_keys is not None:
        _rotation, cases = rotation_begin(org_keys=org_keys)
        if pending is not None:
            pending(cases)
        done.rotation = rotation_run(org_keys=org_keys, progress=progress, batch_size=batch_size)
    return done
