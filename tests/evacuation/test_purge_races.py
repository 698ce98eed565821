"""A purge asks its rules again under the case's lock, and a write that loses the race to a
purge is refused instead of leaving ciphertext nobody can open on a purged case."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from evacuation.models import Attachment, Case, Message
from evacuation.services import correspondence, retention
from tests.factories import photo_with_gps, submit_intake
from vault import cases as vault_cases
from vault.models import CaseKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(team):
    """A withdrawn case past retention, as the purge listed it, and the applicant's cipher."""
    reference, code = submit_intake()
    Client().post("/status/", {"code": code, "step": "withdraw"})
    Case.objects.filter(reference=reference).update(
        state_changed_at=timezone.now() - timedelta(days=200)
    )
    [case] = retention.retention_due()
    cipher = vault_cases.case_cipher_for_applicant(case_uid=str(case.uid), receipt_code=code)
    return case, cipher


def _untouched(case: Case) -> None:
    case = Case.objects.get(pk=case.pk)
    assert not case.is_purged and bytes(case.payload)
    assert CaseKey.objects.filter(case_uid=str(case.uid)).exists()
    assert not AuditEvent.objects.filter(action="case.purged").exists()


def test_a_hold_set_after_the_listing_still_keeps_the_case(team, listed):
    case, _cipher = listed
    retention.case_hold_set(case=case, actor=team.cora, reason="legal_proceedings")
    assert retention.case_purge(case=case, rule=retention.rule_for(case)) is False
    _untouched(case)


def test_a_message_written_after_the_listing_still_keeps_the_case(listed):
    case, cipher = listed
    correspondence.message_from_applicant(case=case, cipher=cipher, text="please wait")
    assert retention.case_purge(case=case, rule=retention.rule_for(case)) is False
    _untouched(case)


def test_a_message_sent_from_a_page_loaded_before_the_purge_is_refused(listed):
    stale, cipher = listed
    assert retention.case_purge(case=stale, rule=retention.rule_for(stale)) is True
    with pytest.raises(ValidationError):
        correspondence.message_from_applicant(case=stale, cipher=cipher, text="too late")
    with pytest.raises(ValidationError):
        correspondence.attachment_add(
            case=stale, cipher=cipher, actor="applicant", data=photo_with_gps()
        )
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["message.sent", "file.uploaded"]).exists()
