"""A request arrives: the applicant's answers sealed under a new case key, one audit event."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from audit.actions import Action
from evacuation.models import PAYLOAD_PURPOSE, Case, reference_new
from evacuation.services import integrity
from evacuation.services.events import case_event
from vault import cases as vault_cases
from vault import triage as vault_triage
from vault.receipts import ReceiptCode

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
    "region_now",
    "children",
    "preferred_language",
    "referred",
)
# The triage summary (vault.triage): coarse answers from fixed lists, never free text.
TRIAGE_FIELDS = (
    "region_now",
    "help_needed",
    "party_size",
    "children",
    "preferred_language",
    "referred",
)


def triage_summary(form_data: dict[str, Any]) -> bytes:
    summary = {name: form_data.get(name) or None for name in TRIAGE_FIELDS}
    return json.dumps(summary, separators=(",", ":"), sort_keys=True).encode()


@sensitive_variables()
def case_submit(*, form_data: dict[str, Any]) -> tuple[Case, ReceiptCode]:
    """Creates a case in `received`; returns it with the receipt code, which is never stored."""
    payload = {"v": PAYLOAD_VERSION, **{name: form_data.get(name) for name in PAYLOAD_FIELDS}}
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    uid = uuid.uuid4()
    new_key = vault_cases.case_key_new(case_uid=str(uid))  # one Argon2id, before any lock
    with transaction.atomic():
        cipher, receipt_code = vault_cases.case_key_store(new_key)
        case = Case(
            uid=uid,
            urgency=form_data["urgency"],
            payload=cipher.encrypt(PAYLOAD_PURPOSE, plaintext),
            triage=vault_triage.summary_seal(str(uid), triage_summary(form_data)),
        )
        _save_with_fresh_reference(case)
        data = {"urgency": case.urgency, **integrity.made(case.payload, cipher)}
        case_event(case, Action.CASE_RECEIVED, actor="applicant", data=data)
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
