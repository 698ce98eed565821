"""Everything that changes a case. Each function is one transaction with its audit event."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from audit.actions import Action
from evacuation import correspondence
from evacuation.choices import OpenReason
from evacuation.events import case_event
from evacuation.models import Case, Note, reference_new
from evacuation.workflow import case_withdraw  # noqa: F401  (the applicant's pages call it here)
from vault import cases as vault_cases
from vault.errors import VaultError

PAYLOAD_PURPOSE = "intake"
PAYLOAD_VERSION = 1
# Personal fields of the intake form; all of them go into the encrypted payload only.
PAYLOAD_FIELDS = (
    "name",
    "contact_method",
    "contact_handle",
    "country",
    "city",
    "situation",
    "party_size",
    "travel_documents",
    "help_needed",
    "voucher",
)


@sensitive_variables()
def case_submit(*, form_data: dict[str, Any]) -> tuple[Case, str]:
    """Creates a case in `received`; returns it with the receipt code, which is never stored."""
    payload = {"v": PAYLOAD_VERSION, **{name: form_data.get(name) for name in PAYLOAD_FIELDS}}
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    receipt_code = vault_cases.receipt_code_new()
    uid = uuid.uuid4()
    with transaction.atomic():
        cipher = vault_cases.case_key_create(case_uid=str(uid), receipt_code=receipt_code)
        case = Case(
            uid=uid,
            urgency=form_data["urgency"],
            receipt_lookup=vault_cases.receipt_lookup(receipt_code),
            payload=cipher.encrypt(PAYLOAD_PURPOSE, plaintext),
        )
        _save_with_fresh_reference(case)
        case_event(case, Action.CASE_RECEIVED, actor="applicant", data={"urgency": case.urgency})
    return case, receipt_code


def _save_with_fresh_reference(case: Case, attempts: int = 5) -> None:
    # 31^6 references make a clash rare; the unique index makes it harmless.
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                case.save(force_insert=True)
            return
        except IntegrityError:
            if attempt == attempts - 1 or Case.objects.filter(uid=case.uid).exists():
                raise
            case.reference = reference_new()


@sensitive_variables()
def case_find_by_code(*, receipt_code: str) -> Case | None:
    """The one way an applicant reaches a case. A wrong code and no case look the same."""
    if not receipt_code:
        return None
    return Case.objects.filter(receipt_lookup=vault_cases.receipt_lookup(receipt_code)).first()


def case_status_viewed(*, case: Case) -> None:
    with transaction.atomic():
        Case.objects.filter(pk=case.pk).update(last_applicant_activity_at=timezone.now())
        case_event(case, Action.CASE_STATUS_VIEWED, actor="applicant")


@dataclass(frozen=True)
class OpenedNote:
    author: str
    created_at: datetime
    text: str
    readable: bool  # False: the ciphertext did not open (damaged or from another case)


@dataclass(frozen=True)
class OpenedCase:
    """Everything one audited opening shows: the intake and the internal notes, decrypted."""

    intake: dict[str, Any]
    notes: list[OpenedNote] = field(default_factory=list)
    messages: list[correspondence.OpenedMessage] = field(default_factory=list)


@sensitive_variables()
def case_open(*, request: HttpRequest, case: Case, actor, reason: str) -> OpenedCase:
    """Decrypts the intake, the notes and the messages for one staff member, for a stated
    reason, and records that it happened (one CASE_OPENED event covers them all). The
    applicant's messages count as read from then on.

    Raises vault.errors.VaultLocked (nothing recorded) when this session cannot open case keys.
    """
    if not actor.may("open_case"):
        raise PermissionDenied
    if reason not in OpenReason.values:
        raise ValueError("unknown reason")
    with transaction.atomic():
        cipher = vault_cases.case_cipher_for_staff(request, case_uid=str(case.uid))
        plaintext = cipher.decrypt(PAYLOAD_PURPOSE, bytes(case.payload))
        notes = [_note_open(cipher, note) for note in case.notes.select_related("author")]
        thread = correspondence.case_thread(case=case, cipher=cipher)
        correspondence.messages_mark_read(case=case)
        case_event(case, Action.CASE_OPENED, actor=actor, data={"reason": reason})
    return OpenedCase(intake=json.loads(plaintext), notes=notes, messages=thread)


@sensitive_variables()
def _note_open(cipher, note: Note) -> OpenedNote:
    try:
        text, readable = cipher.decrypt_text(note.purpose, bytes(note.body)), True
    except VaultError:
        text, readable = "", False
    return OpenedNote(
        author=note.author.username, created_at=note.created_at, text=text, readable=readable
    )
