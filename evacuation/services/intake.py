"""A request arrives: the applicant's answers sealed under a new case key, one audit event."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from audit.actions import Action
from core.tokens import spent_token_row, token_secret, token_spend_keeping
from evacuation.models import PAYLOAD_PURPOSE, Case, reference_new
from evacuation.services import integrity
from evacuation.services.events import case_event
from vault import cases as vault_cases
from vault import triage as vault_triage
from vault.capabilities import receipt_seal
from vault.receipts import ReceiptCode

# The intake form's one-time token (core.tokens): its purpose, how long the form may stay open,
# and how long the one who holds it may see the receipt code again (a lost answer must not lose
# the code).
INTAKE_PURPOSE = "intake"
INTAKE_FORM_AGE = timedelta(hours=12)
RECEIPT_AGAIN_FOR = timedelta(minutes=10)
# A receipt locator or a case reference another case holds is rare (the unique indexes catch
# it); each attempt draws both again.
_ATTEMPTS = 5

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


class SentBefore(Exception):
    """The intake form's one-time token was spent by an earlier send: nothing new was stored."""


@sensitive_variables()
def case_submit(
    *, form_data: dict[str, Any], form_token: str | None = None
) -> tuple[Case, ReceiptCode]:
    """Creates a case in `received`; returns it with the receipt code, which is never stored.

    With `form_token` (the form's one-time token, checked valid by the caller), the token is
    spent in the case's own transaction, keeping the code sealed to it for RECEIPT_AGAIN_FOR:
    the case is made and the token spent, or neither, so a send that failed may be sent again
    and one that worked is never made twice. Raises SentBefore when the token was spent first
    (a second send of the same form racing the first)."""
    payload = {"v": PAYLOAD_VERSION, **{name: form_data.get(name) for name in PAYLOAD_FIELDS}}
    plaintext = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    uid = uuid.uuid4()
    new_key = vault_cases.case_key_new(case_uid=str(uid))  # one Argon2id, before any lock
    triage = triage_summary(form_data)
    reference = reference_new()
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with transaction.atomic():
                if form_token is not None:
                    _token_spend(form_token, new_key.code, reference)
                cipher, receipt_code = vault_cases.case_key_store(new_key)
                case = Case(
                    uid=uid,
                    reference=reference,
                    urgency=form_data["urgency"],
                    payload=cipher.encrypt(PAYLOAD_PURPOSE, plaintext),
                    triage=vault_triage.summary_seal(str(uid), triage),
                )
                case.save(force_insert=True)
                data = {"urgency": case.urgency, **integrity.made(case.payload, cipher)}
                case_event(case, Action.CASE_RECEIVED, actor="applicant", data=data)
            return case, receipt_code
        except IntegrityError:
            spent = form_token is not None and spent_token_row(
                form_token, INTAKE_PURPOSE, max_age=INTAKE_FORM_AGE
            )
            if spent:
                raise SentBefore from None
            if attempt == _ATTEMPTS:
                raise
        new_key = new_key.with_new_locator()
        reference = reference_new()
    raise AssertionError("not reached: the last attempt returns or raises")


@sensitive_variables()
def _token_spend(form_token: str, code: ReceiptCode, reference: str) -> None:
    key = token_secret(form_token, INTAKE_PURPOSE, max_age=INTAKE_FORM_AGE)
    if key is None:
        raise ValueError("Not a valid intake form token.")
    sealed = receipt_seal(code, reference, key=key)
    token_spend_keeping(
        form_token, INTAKE_PURPOSE, max_age=INTAKE_FORM_AGE, sealed=sealed, for_=RECEIPT_AGAIN_FOR
    )
