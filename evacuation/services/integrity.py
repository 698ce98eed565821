"""Catching a case key or request that a database writer swapped in.

HPKE base mode does not say who sealed a key, so whoever can write to the database could seal a
key of their own choosing to the applicant's public key (and to the organisation's), then read
everything written under it from then on. When a case is made, its audit event records a
commitment to the case key (a keyed hash of it, not the key) and the hash of the request's
ciphertext; the audit chain is append-only and signed, so a writer cannot change them. Staff and
applicant alike check the key they unwrapped against that commitment before using it, and staff
check the request against its hash when they open it. A mismatch is shown as tampering and is an
audit event of its own.

A rotation gives each case a new key (evacuation.services.rekey). Its commitment is on the record
too, without one event per case: the batch's one `cases.rekeyed` event records the Merkle root
of its (case, commitment) pairs, and the case's key row keeps its path to that root. The latest
commitment is that one, where the case was re-keyed; and a case that existed when a re-keying
rotation began and finished must have been re-keyed by it, so a writer cannot put back an older
key (which a leaver may still open) by wiping the record of the new one.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.actions import Action
from audit.models import AuditEvent
from evacuation.models import Case
from evacuation.services.events import case_event
from vault import cases as vault_cases
from vault.cases import CaseCipher

if TYPE_CHECKING:
    from vault.session import StaffKeys

TAMPERED = _(
    "This request's key or text does not match what was recorded when it arrived: someone may "
    "have changed the database. Nothing was shown or written. Tell a coordinator and the "
    "auditors at once."
)


KEY_REPLACED = _(
    "This request was given a new key a moment ago (the organisation key was rotated). "
    "Nothing was saved. Open the page again and repeat what you were doing."
)


class CaseTampered(Exception):
    """The case's key, or its request, is not the one the audit log recorded."""


def request_hash(case_payload: bytes) -> str:
    return hashlib.sha256(bytes(case_payload)).hexdigest()


def made(case_payload: bytes, cipher: CaseCipher) -> dict:
    """What the `case.received` event records about the new case's key and request."""
    return {"key_commitment": cipher.commitment(), "intake_hash": request_hash(case_payload)}


def _recorded(case: Case) -> dict:
    return (
        AuditEvent.objects.filter(
            target_type="case", target_ref=case.reference, action=Action.CASE_RECEIVED
        )
        .values("sequence", "data")
        .first()
        or {}
    )


def _payload(case: Case) -> bytes:
    """The request's ciphertext, read on its own where the page loaded the case without it."""
    if "payload" in case.get_deferred_fields():
        return bytes(
            Case.objects.filter(pk=case.pk).values_list("payload", flat=True).first() or b""
        )
    return bytes(case.payload)


def _latest(case: Case, actor) -> tuple[str | None, str | None]:
    """The commitment of the key the case must have now and the hash its request must have
    (None: a case made before these were recorded). Raises CaseTampered if the key row's
    re-keying record does not match the log (the request is bound into it too)."""
    received = _recorded(case)
    expected = (received.get("data") or {}).get("key_commitment")
    intake_hash = (received.get("data") or {}).get("intake_hash")
    rekeyed_version = 0
    record = vault_cases.case_key_record(str(case.uid))
    if record is not None:
        batch = (
            AuditEvent.objects.filter(action=Action.CASES_REKEYED, target_ref=record.batch)
            .values_list("data", flat=True)
            .first()
        )
        stored_hash = request_hash(_payload(case))
        if batch is None or batch.get("root") != record.root(stored_hash):
            raise _tampered(case, actor, "key")
        expected, rekeyed_version = record.commitment, batch.get("version", 0)
        intake_hash = stored_hash  # the re-keyed request, just proved by the batch's root
    if received:
        # Re-keying rotations that began after the case arrived and have finished: the key
        # must be at least as new as the latest of them.
        started = AuditEvent.objects.filter(
            action=Action.KEY_ROTATION_STARTED, sequence__gt=received["sequence"]
        ).values_list("data", flat=True)
        finished = {
            data.get("new_version")
            for data in AuditEvent.objects.filter(action=Action.KEY_ROTATED).values_list(
                "data", flat=True
            )
            if data.get("rekeyed")
        }
        required = max(
            (d.get("new_version", 0) for d in started if d.get("new_version") in finished),
            default=0,
        )
        if rekeyed_version < required:
            raise _tampered(case, actor, "key")
    return expected, intake_hash


def still_current(cipher: CaseCipher) -> None:
    """For writers, under the case's row lock: raises ValidationError if a re-keying replaced
    the key `cipher` holds since it was opened (nothing may be written under it)."""
    if not vault_cases.cipher_is_current(cipher):
        raise ValidationError(str(KEY_REPLACED), code="key_replaced")


def _tampered(case: Case, actor, what: str) -> CaseTampered:
    # Its own transaction where the caller has none, so the finding stays on the record even
    # though what the caller was doing fails.
    with transaction.atomic():
        case_event(case, Action.CASE_TAMPERING_FOUND, actor=actor, data={"what": what})
    return CaseTampered(str(TAMPERED))


def checked(*, case: Case, cipher: CaseCipher, actor, request_too: bool = False) -> CaseCipher:
    """`cipher` if it is the case's recorded key (and, with request_too, the request its
    recorded ciphertext); raises CaseTampered otherwise. A case made before commitments were
    recorded has none to check against."""
    expected, intake_hash = _latest(case, actor)
    if expected is not None and cipher.commitment() != expected:
        raise _tampered(case, actor, "key")
    if request_too and intake_hash is not None and request_hash(_payload(case)) != intake_hash:
        raise _tampered(case, actor, "request")
    return cipher


def staff_cipher(
    *, case: Case, keys: StaffKeys, actor, request_too: bool = False, opening: bool = False
) -> CaseCipher:
    """The case's cipher from this staff session's keys, checked (vault errors as they come:
    NotOpened unless the person opened the case in this session, or this is the opening)."""
    cipher = keys.case_cipher(str(case.uid), opening=opening)
    return checked(case=case, cipher=cipher, actor=actor, request_too=request_too)
