"""A purge asks its rules again under the case's lock, and a write that loses the race to a
purge is refused instead of leaving ciphertext nobody can open on a purged case."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from evacuation.models import Attachment, Case, Message
from evacuation.services import correspondence, retention
from tests.factories import applicant_cipher, applicant_with, photo_with_gps, withdrawn_case
from vault.models import CaseKey

pytestmark = pytest.mark.django_db


@pytest.fixture
def listed(team):
    """A withdrawn case past retention, as the purge listed it, and the applicant's cipher."""
    withdrawn, code = withdrawn_case(days_ago=200)
    [case] = retention.retention_due()
    assert case.pk == withdrawn.pk
    return case, applicant_cipher(code), code


def _untouched(case: Case) -> None:
    case = Case.objects.get(pk=case.pk)
    assert not case.is_purged and bytes(case.payload)
    assert CaseKey.objects.filter(case_uid=str(case.uid)).exists()
    assert not AuditEvent.objects.filter(action="case.purged").exists()


def test_a_hold_set_after_the_listing_still_keeps_the_case(team, listed):
    case, _cipher, _code = listed
    retention.case_hold_set(case=case, actor=team.cora, reason="legal_proceedings")
    assert retention.case_purge(case=case, rule=retention.rule_for(case)) is False
    _untouched(case)


def test_a_message_written_after_the_listing_still_keeps_the_case(listed):
    case, _cipher, code = listed
    applicant = applicant_with(code)
    applicant.act("message", text="please wait")
    assert "Your message is sent." in applicant.page
    assert retention.case_purge(case=case, rule=retention.rule_for(case)) is False
    _untouched(case)


def test_a_message_sent_from_a_page_loaded_before_the_purge_is_refused(listed):
    stale, cipher, _code = listed
    assert retention.case_purge(case=stale, rule=retention.rule_for(stale)) is True
    with pytest.raises(ValidationError):
        correspondence.message_from_applicant(case=stale, cipher=cipher, text="too late")
    with pytest.raises(ValidationError):
        correspondence.attachment_add(
            case=stale, cipher=cipher, actor="applicant", data=photo_with_gps()
        )
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["message.sent", "file.uploaded"]).exists()


def test_a_page_loaded_before_the_purge_sends_nothing_after_it(listed):
    stale, _cipher, code = listed
    applicant = applicant_with(code)  # the page is open; then purge_expired runs
    loaded = applicant.response
    assert retention.case_purge(case=stale, rule=retention.rule_for(stale)) is True
    applicant.act("message", text="too late")
    assert "have been deleted, as we promised" in applicant.page
    assert 'data-form="message"' not in applicant.page and "too late" not in applicant.page
    applicant.response = loaded  # the upload form of the same page, sent after the purge
    applicant.act("upload", file=("photo.jpg", photo_with_gps()))
    assert "have been deleted, as we promised" in applicant.page
    assert not Message.objects.exists() and not Attachment.objects.exists()
    assert not AuditEvent.objects.filter(action__in=["message.sent", "file.uploaded"]).exists()
