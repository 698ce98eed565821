"""Everything that changes a case. Each function is one transaction with its audit event."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables
from django_fsm import TransitionNotAllowed, can_proceed, has_transition_perm

from audit.actions import Action
from audit.services import record
from evacuation.choices import OpenReason
from evacuation.models import Case, reference_new
from vault import cases as vault_cases

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
        record(
            action=Action.CASE_RECEIVED,
            actor="applicant",
            target_type="case",
            target_ref=case.reference,
            data={"urgency": case.urgency},
        )
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
        record(
            action=Action.CASE_STATUS_VIEWED,
            actor="applicant",
            target_type="case",
            target_ref=case.reference,
            data={},
        )


def case_withdraw(*, case: Case, actor) -> Case:
    """Withdraws on the applicant's word (actor "applicant", or a staff member relaying it).

    Raises django_fsm.TransitionNotAllowed from a closed state and
    django_fsm.ConcurrentTransition if the case changed since `case` was loaded.
    """
    by_applicant = actor == "applicant"
    if not can_proceed(case.withdraw):
        raise TransitionNotAllowed(
            f"cannot withdraw from {case.state}", object=case, method=case.withdraw
        )
    if not has_transition_perm(case.withdraw, actor):
        raise PermissionDenied
    with transaction.atomic():
        case.withdraw()
        now = timezone.now()
        if by_applicant:
            case.last_applicant_activity_at = now
        else:
            case.last_staff_action_at = now
        case.save()
        record(
            action=Action.CASE_WITHDRAWN,
            actor=actor,
            target_type="case",
            target_ref=case.reference,
            data={"by": "applicant" if by_applicant else "staff"},
        )
    return case


@sensitive_variables()
def case_open(*, request: HttpRequest, case: Case, actor, reason: str) -> dict[str, Any]:
    """Decrypts the intake for one staff member, for a stated reason, and records that it happened.

    Raises vault.errors.VaultLocked (nothing recorded) when this session cannot open case keys.
    """
    if not actor.may("open_case"):
        raise PermissionDenied
    if reason not in OpenReason.values:
        raise ValueError("unknown reason")
    with transaction.atomic():
        cipher = vault_cases.case_cipher_for_staff(request, case_uid=str(case.uid))
        plaintext = cipher.decrypt(PAYLOAD_PURPOSE, bytes(case.payload))
        record(
            action=Action.CASE_OPENED,
            actor=actor,
            target_type="case",
            target_ref=case.reference,
            data={"reason": reason},
        )
    return json.loads(plaintext)
