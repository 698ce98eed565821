"""Replacing a lost receipt code, four eyes (evacuation.models.CodeReplacement).

A person who lost their code, once a caseworker has made sure out of band that it is really
them, gets a new one: a new key pair sealed to the same case key, so the old code stops opening
anything at once. One person cannot do it alone, because whoever holds a working code can read
the case as the applicant and write in their name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from audit.actions import Action
from evacuation import rules
from evacuation.models import Case, CodeReplacement
from evacuation.services import integrity
from evacuation.services.events import case_event
from vault import cases as vault_cases
from vault.receipts import ReceiptCode

if TYPE_CHECKING:
    from accounts.models import User
    from vault.session import StaffKeys


def _locked(case: Case) -> Case:
    return Case.objects.select_for_update().get(pk=case.pk)


def code_replacement_request(*, case: Case, actor: User) -> CodeReplacement:
    """The caseworker who verified the applicant asks for a new code."""
    with transaction.atomic():
        locked = _locked(case)
        rules.check("request_new_code", locked, actor)
        replacement = CodeReplacement.objects.create(case=locked, requested_by=actor)
        case_event(locked, Action.CODE_REPLACEMENT_REQUESTED, actor=actor)
    return replacement


def code_replacement_confirm(*, case: Case, actor: User) -> CodeReplacement:
    """A coordinator who did not ask confirms; the code is not made yet."""
    with transaction.atomic():
        locked = _locked(case)
        rules.check("confirm_new_code", locked, actor)
        replacement = locked.open_code_replacement()
        replacement.confirmed_by = actor
        replacement.confirmed_at = timezone.now()
        replacement.save(update_fields=["confirmed_by", "confirmed_at"])
        case_event(locked, Action.CODE_REPLACEMENT_CONFIRMED, actor=actor)
    return replacement


def code_replacement_cancel(*, case: Case, actor: User) -> None:
    with transaction.atomic():
        locked = _locked(case)
        rules.check("cancel_new_code", locked, actor)
        CodeReplacement.objects.filter(pk=locked.open_code_replacement().pk).update(
            cancelled_at=timezone.now()
        )
        case_event(locked, Action.CODE_REPLACEMENT_CANCELLED, actor=actor)


@sensitive_variables()
def code_replacement_issue(*, case: Case, actor: User, keys: StaffKeys) -> ReceiptCode:
    """The one who asked makes the new code, with the case key their session opens. Returns the
    code, to be shown once and passed on; the old code opens nothing from this moment."""
    opened = keys.has_opened(case.uid)
    rules.check("issue_new_code", case, actor, opened=opened)  # purged: TransitionNotAllowed
    # Before the lock, so a swapped key found here stays on the record (VaultLocked: nothing).
    cipher = integrity.staff_cipher(case=case, keys=keys, actor=actor)
    with transaction.atomic():
        locked = _locked(case)
        rules.check("issue_new_code", locked, actor, opened=opened)
        code = vault_cases.applicant_key_replace(cipher=cipher)
        CodeReplacement.objects.filter(pk=locked.open_code_replacement().pk).update(
            issued_at=timezone.now()
        )
        case_event(locked, Action.CODE_REPLACED, actor=actor)
    return code
