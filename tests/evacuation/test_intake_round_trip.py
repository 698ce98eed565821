from __future__ import annotations

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.models import SpentToken
from evacuation.models import Case, State
from tests.factories import (
    Applicant,
    intake_data,
    intake_sent,
    post_again,
    receipt_on,
    request_sent,
    send_form,
    vault_ready,
    verified_client,
)
from vault.org import grant_from_recovery

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def recovery() -> str:
    return vault_ready()


def test_it_shows_the_receipt_code_once_in_the_answer_to_the_post():
    applicant = Applicant()
    response = intake_sent(applicant)
    assert response.status_code == 200  # no redirect: the code never travels in a URL
    page = applicant.page
    code = receipt_on(page)
    assert re.fullmatch(r"\d{4}(-\d{4}){5}", code)  # 24 digits, six groups of four
    case = Case.objects.get()
    assert case.reference in page
    assert re.fullmatch(r"EV-[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{2}", case.reference)
    assert case.state == State.RECEIVED
    assert code not in applicant.open("/status/").content.decode()
    assert code not in applicant.open("/request/").content.decode()


# --- a lost answer: the same form sent again ----------------------------------------------------

ALREADY_REACHED = "Your request had already reached us; no second request was made."
ALREADY_SENT = "Your request was already sent"


def _sent_once() -> tuple[Applicant, object, str]:
    """A person who sent the form: (the applicant, the answer to the POST, the code shown)."""
    applicant = Applicant()
    response = intake_sent(applicant, name="Resend Marker")
    code = receipt_on(applicant.page)
    assert code and Case.objects.count() == 1
    return applicant, response, code


def test_sending_the_same_form_again_makes_nothing_new_and_shows_the_same_code():
    applicant, _answer, code = _sent_once()
    for _ in range(3):
        response = applicant.resend()
        assert response.status_code == 200
        assert ALREADY_REACHED in applicant.page
        assert receipt_on(applicant.page) == code
    assert Case.objects.count() == 1
    assert AuditEvent.objects.filter(action="case.received").count() == 1


def test_the_code_is_shown_again_for_ten_minutes_and_then_no_more():
    applicant, answer, code = _sent_once()
    now = timezone.now()
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(minutes=9)):
        post_again(applicant, answer)
    assert receipt_on(applicant.page) == code
    with mock.patch("django.utils.timezone.now", return_value=now + timedelta(minutes=11)):
        post_again(applicant, answer)
    assert ALREADY_SENT in applicant.page
    assert receipt_on(applicant.page) is None and code not in applicant.page
    assert not SpentToken.objects.filter(sealed__isnull=False).exists()
    # Later, at the right time again: still nothing (it was forgotten, not hidden).
    post_again(applicant, answer)
    assert receipt_on(applicant.page) is None
    assert Case.objects.count() == 1


def test_the_code_is_kept_only_until_its_time_runs_out():
    applicant, answer, code = _sent_once()
    # The same ten minutes, seen from the stored row: once its time is past, nothing is shown.
    SpentToken.objects.update(sealed_until=timezone.now() - timedelta(seconds=1))
    post_again(applicant, answer)
    assert ALREADY_SENT in applicant.page and receipt_on(applicant.page) is None
    assert code not in applicant.page


def test_after_i_have_written_it_down_the_code_is_never_shown_again():
    applicant, answer, code = _sent_once()
    _action, hidden = applicant.form("written_down")
    assert set(hidden) == {"form_token"}
    response = applicant.act("written_down", written_down="1")
    assert response.status_code == 200
    assert "Your code is no longer kept anywhere on our side." in applicant.page
    assert code not in applicant.page
    assert not SpentToken.objects.filter(sealed__isnull=False).exists()
    post_again(applicant, answer)
    assert ALREADY_SENT in applicant.page
    assert receipt_on(applicant.page) is None and code not in applicant.page
    assert Case.objects.count() == 1


def test_someone_else_with_a_fresh_form_gets_their_own_request_and_code():
    _applicant, _answer, code = _sent_once()
    other = Applicant()
    intake_sent(other, name="Another Person")
    assert receipt_on(other.page) not in (None, code)
    assert Case.objects.count() == 2


def test_a_form_with_errors_keeps_its_token_and_is_sent_once_when_fixed():
    applicant = Applicant()
    intake_sent(applicant, name="")
    assert "Please tell us what we should call you." in applicant.page
    assert not Case.objects.exists()
    send_form(applicant, "intake", intake_data(name="Fixed Name"))
    code = receipt_on(applicant.page)
    assert code and Case.objects.count() == 1
    applicant.resend()
    assert receipt_on(applicant.page) == code and Case.objects.count() == 1


def test_it_records_the_intake_with_the_urgency_and_nothing_personal():
    reference, _code = request_sent(urgency="now", name="Zoya Marker")
    event = AuditEvent.objects.get(action="case.received")
    assert event.target_ref == reference
    # The urgency, and two hashes that let the key and the request be checked later.
    assert set(event.data) == {"urgency", "key_commitment", "intake_hash"}
    assert event.data["urgency"] == "now"
    assert all(len(event.data[name]) == 64 for name in ("key_commitment", "intake_hash"))
    assert "Zoya" not in str(event.data)


def test_a_caseworker_with_a_grant_opens_the_case_and_reads_every_field(recovery, carla):
    reference, _code = request_sent(
        name="Sasha Roundtrip",
        contact_handle="+7 900 000 00 00",
        contact_method="phone",
        situation="They came to my flat twice.",
        voucher="Friend at Org X",
        help_needed=["medical", "visa"],
    )
    grant_from_recovery(grantee=carla, recovery_secret=recovery)
    client = verified_client(carla)

    facts = client.get(f"/staff/cases/{reference}/").content.decode()
    assert "Sasha Roundtrip" not in facts  # only facts until opened with a reason

    response = client.post(f"/staff/cases/{reference}/", {"reason": "assess"}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    for text in (
        "Sasha Roundtrip",
        "+7 900 000 00 00",
        "They came to my flat twice.",
        "Friend at Org X",
    ):
        assert text in page
    assert "Medical care, including continuity of HIV treatment" in page
    event = AuditEvent.objects.get(action="case.opened")
    assert event.data == {"reason": "assess"}
    assert event.target_ref == reference


def test_opening_needs_a_reason_from_the_list(recovery, carla):
    reference, _code = request_sent(name="Sasha Noreason")
    grant_from_recovery(grantee=carla, recovery_secret=recovery)
    client = verified_client(carla)
    for reason in ("", "because I wanted to"):
        page = client.post(f"/staff/cases/{reference}/", {"reason": reason}).content.decode()
        assert "Sasha Noreason" not in page
    assert not AuditEvent.objects.filter(action="case.opened").exists()
