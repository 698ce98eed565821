"""Catching a case key or request that a database writer swapped in.

HPKE base mode does not say who sealed a key, so whoever can write to the database could seal a
key of their own choosing to the applicant's public key (and to the organisation's), then read
everything written under it from then on. When a case is made, its audit event records a
commitment to the case key (a keyed hash of it, not the key) and the hash of the request's
ciphertext; the audit chain is append-only and signed, so a writer cannot change them. Staff and
applicant alike check the key they unwrapped against that commitment before using it, and staff
check the request against its hash when they open it. A mismatch is shown as tampering and is an
audit event of its own.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from audit.actions import Action
from audit.models import AuditEvent
from evacuation.models import Case
from evacuation.services.events import case_event
from vault.cases import CaseCipher

if TYPE_CHECKING:
    from vault.session import StaffKeys

TAMPERED = _(
    "This request's key or text does not match what was recorded when it arrived: someone may "
    "have changed the database. Nothing was shown or written. Tell a coordinator and the "
    "auditors at once."
)


class CaseTampered(Exception):
    """The case's key, or its request, is not the one the audit log recorded."""


def made(case_payload: bytes, cipher: CaseCipher) -> dict:
    """What the `case.received` event records about the new case's key and request."""
    return {
        "key_commitment": cipher.commitment(),
        "intake_hash": hashlib.sha256(bytes(case_payload)).hexdigest(),
    }


def _recorded(case: Case) -> dict:
    return (
        AuditEvent.objects.filter(
            target_type="case", target_ref=case.reference, action=Action.CASE_RECEIVED
        )
        .values_list("data", flat=True)
        .first()
        or {}
    )


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
    recorded = _recorded(case)
    expected = recorded.get("key_commitment")
    if expected is not None and cipher.commitment() != expected:
        raise _tampered(case, actor, "key")
    intake_hash = recorded.get("intake_hash")
    request_hash = hashlib.sha256(bytes(case.payload)).hexdigest() if request_too else None
    if request_too and intake_hash is not None and request_hash != intake_hash:
        raise _tampered(case, actor, "request")
    return cipher


def staff_cipher(
    *, case: Case, keys: StaffKeys, actor, request_too: bool = False, opening: bool = False
) -> CaseCipher:
    """The case's cipher from this staff session's keys, checked (vault errors as they come:
    NotOpened unless the person opened the case in this session, or this is the opening)."""
    cipher = keys.case_cipher(str(case.uid), opening=opening)
    return checked(case=case, cipher=cipher, actor=actor, request_too=request_too)
