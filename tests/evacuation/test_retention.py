"""What we no longer need is destroyed for good: purge_expired, holds and the applicant's date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from evacuation.models import Case, Message, Note
from evacuation.services import correspondence
from tests.factories import (
    Applicant,
    applicant_cipher,
    applicant_with,
    database_dump,
    photo_with_gps,
    purge_expired,
    submit_intake,
    verified_client,
    withdrawn_case,
)
from vault import cases as vault_cases
from vault.errors import VaultError
from vault.models import ApplicantKey, CaseKey
from vault.receipts import receipt_parse

pytestmark = pytest.mark.django_db

MARKER = "Marker-retention-secret"


def _withdrawn_case(days_ago: int) -> tuple[Case, str]:
    return withdrawn_case(days_ago=days_ago, situation=MARKER)


_purge = purge_expired


def test_an_ended_case_past_retention_is_shredded_beyond_recovery(team):
    case, code = _withdrawn_case(days_ago=91)
    cipher = applicant_cipher(code)
    correspondence.message_from_applicant(case=case, cipher=cipher, text=MARKER)
    correspondence.attachment_add(
        case=case, cipher=cipher, actor="applicant", data=photo_with_gps()
    )
    Message.objects.update(created_at=timezone.now() - timedelta(days=40))  # not "recent"
    blob = bytes(case.payload)

    assert "1 case(s) purged." in _purge()

    case.refresh_from_db()
    assert case.is_purged and bytes(case.payload) == b""
    assert not Message.objects.exists() and not case.attachments.exists()
    assert not CaseKey.objects.filter(case_uid=str(case.uid)).exists()
    assert not ApplicantKey.objects.filter(case_uid=str(case.uid)).exists()
    assert MARKER.encode() not in database_dump()
    # Every staff key and the recovery secret together still open nothing of it.
    from vault.org import org_keys_from_recovery

    assert org_keys_from_recovery(team.recovery)
    with pytest.raises(VaultError):
        vault_cases.case_cipher_for_applicant(receipt_parse(code))
    staff = verified_client(team.carla)
    opened = staff.post(
        f"/staff/cases/{case.reference}/", {"reason": "assess"}, follow=True
    ).content.decode()
    assert MARKER not in opened
    assert blob and blob != bytes(case.payload)
    event = AuditEvent.objects.get(action="case.purged")
    assert event.data == {"final_state": "withdrawn", "rule": "ended"}
    assert event.actor_kind == "system"


def test_a_case_within_its_retention_time_stays(team):
    case, _code = _withdrawn_case(days_ago=89)
    assert "0 case(s) purged." in _purge()
    case.refresh_from_db()
    assert case.state == "withdrawn"
    assert not case.is_purged and bytes(case.payload)


def test_an_untouched_request_goes_after_untouched_days_and_a_worked_one_stays(team, settings):
    old_untouched, _ = submit_intake()
    old_but_worked, _ = submit_intake()
    long_ago = timezone.now() - timedelta(days=settings.UNTOUCHED_DAYS + 1)
    Case.objects.filter(reference__in=[old_untouched, old_but_worked]).update(created_at=long_ago)
    Case.objects.filter(reference=old_but_worked).update(last_staff_action_at=timezone.now())
    _purge()
    assert Case.objects.get(reference=old_untouched).is_purged
    assert not Case.objects.get(reference=old_but_worked).is_purged


def test_a_hold_keeps_a_case_from_being_purged_until_released(team):
    case, _code = _withdrawn_case(days_ago=200)
    cora = verified_client(team.cora)
    cora.post(f"/staff/cases/{case.reference}/hold/", {"reason": "legal_proceedings"})
    assert "0 case(s) purged." in _purge()
    page = cora.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "It will not be deleted." in page
    cora.post(f"/staff/cases/{case.reference}/hold/", {"release": "1"})
    assert "1 case(s) purged." in _purge()
    assert [e.action for e in AuditEvent.objects.filter(action__startswith="case.hold")] == [
        "case.hold_set",
        "case.hold_released",
    ]


def test_a_caseworker_cannot_put_a_case_on_hold(team):
    case, _code = _withdrawn_case(days_ago=200)
    response = verified_client(team.carla).post(
        f"/staff/cases/{case.reference}/hold/", {"reason": "legal_proceedings"}
    )
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).hold_reason == ""


def test_an_applicant_who_wrote_recently_keeps_their_case(team):
    case, code = _withdrawn_case(days_ago=200)
    applicant = applicant_with(code)
    applicant.act("message", text="still here")
    assert "Your message is sent." in applicant.page
    assert Message.objects.filter(case=case).count() == 1
    assert "0 case(s) purged." in _purge()
    Message.objects.update(created_at=timezone.now() - timedelta(days=31))
    assert "1 case(s) purged." in _purge()


def test_a_dry_run_lists_references_and_changes_nothing(team):
    case, _code = _withdrawn_case(days_ago=120)
    out = _purge("--dry-run")
    assert f"{case.reference}  ended" in out and "1 case(s) would be purged." in out
    assert "withdrawn" not in out
    case.refresh_from_db()
    assert not case.is_purged
    assert not AuditEvent.objects.filter(action="case.purged").exists()


def test_purging_twice_is_harmless(team):
    _withdrawn_case(days_ago=120)
    assert "1 case(s) purged." in _purge()
    assert "0 case(s) purged." in _purge()
    assert AuditEvent.objects.filter(action="case.purged").count() == 1


def test_the_applicant_is_told_when_their_data_will_be_deleted_and_that_it_was(team):
    case, code = _withdrawn_case(days_ago=10)
    applicant = applicant_with(code)
    assert "will be deleted for good soon after" in applicant.page
    Case.objects.filter(pk=case.pk).update(state_changed_at=timezone.now() - timedelta(days=100))
    assert "1 case(s) purged." in _purge()
    # The page they still have open (loaded before the purge) says it happened...
    applicant.act("message", text="are you there?")
    assert "have been deleted, as we promised" in applicant.page
    assert not Message.objects.exists()
    # ...and the code, typed again, finds nothing: a deleted case is not told from a wrong code.
    again = Applicant()
    again.check(code)
    assert "We could not find a request with this code" in again.page
    assert 'name="capability"' not in again.page


def test_notes_go_with_the_case(team):
    case, _code = _withdrawn_case(days_ago=120)
    Note.objects.create(case=case, author=team.carla, sequence=1, body=b"ciphertext")
    assert "1 case(s) purged." in _purge()
    assert not Note.objects.exists()
