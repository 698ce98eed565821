from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django_fsm import TransitionNotAllowed

from audit.models import AuditEvent
from evacuation.models import Case, State
from evacuation.services.casework import case_withdraw
from tests.factories import (
    Applicant,
    applicant_with,
    code_with_secret,
    request_sent,
    vault_ready,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _vault():
    vault_ready()


ALREADY_SENT = "This was already sent."


def test_asking_to_withdraw_only_asks_for_confirmation():
    reference, code = request_sent()
    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    page = applicant.page
    assert "Withdraw your request?" in page
    # The confirmation's forms carry the capability, never the code (not even in the POST body).
    assert code not in page and re.sub(r"\D", "", code) not in page
    for form in ("withdraw", "withdraw_delete", "keep"):
        _action, hidden = applicant.form(form)
        assert hidden["capability"] and "code" not in hidden
    assert Case.objects.get(reference=reference).state == State.RECEIVED
    assert not AuditEvent.objects.filter(action="case.withdrawn").exists()
    # "No, keep my request" goes back to the status page and changes nothing.
    applicant.act("keep")
    assert "We have received your request." in applicant.page
    assert Case.objects.get(reference=reference).state == State.RECEIVED


def test_confirming_withdraws_and_the_status_page_then_says_so():
    reference, code = request_sent()
    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    page = applicant.act("withdraw").content.decode()
    assert "Your request has been withdrawn." in page
    assert Case.objects.get(reference=reference).state == State.WITHDRAWN
    event = AuditEvent.objects.get(action="case.withdrawn")
    assert event.target_ref == reference and event.data == {"by": "applicant"}

    later = applicant_with(code).page
    assert "This request has been withdrawn." in later
    assert "Withdraw my request" not in later


def test_withdrawing_twice_changes_nothing_the_second_time():
    _reference, code = request_sent()
    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    applicant.act("withdraw")
    response = applicant.resend()  # the same form sent again (a reload, a lost answer)
    assert response.status_code == 200
    assert ALREADY_SENT in applicant.page
    assert "This request has been withdrawn." in applicant.page
    assert AuditEvent.objects.filter(action="case.withdrawn").count() == 1
    # A closed request's confirmation offers only deleting, not withdrawing again.
    again = applicant_with(code)
    again.act("confirm_withdraw")
    assert 'data-form="withdraw"' not in again.page
    assert 'data-form="withdraw_delete"' in again.page


def test_a_wrong_code_cannot_withdraw_anything():
    reference, code = request_sent()
    # The old way (the code and a step in one POST) is only a look-up now.
    applicant = Applicant()
    applicant.open("/status/")
    applicant.act("lookup", code=code_with_secret(code, "0" * 16), step="withdraw")
    assert "We could not find a request with this code." in applicant.page
    # A made-up capability opens nothing either.
    response = Client().post(
        "/en/status/", {"capability": "v1.9999999999.x.AAAA", "step": "withdraw"}
    )
    assert response.status_code == 200 and 'data-form="lookup"' in response.content.decode()
    assert Case.objects.get(reference=reference).state == State.RECEIVED
    assert not AuditEvent.objects.filter(action="case.withdrawn").exists()


def test_a_closed_case_cannot_be_withdrawn():
    reference, code = request_sent()
    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")  # the confirmation, drawn while the request was open
    Case.objects.filter(reference=reference).update(state=State.RELOCATED)
    page = applicant.act("withdraw").content.decode()
    assert "recorded as completed" in page
    assert Case.objects.get(reference=reference).state == State.RELOCATED
    assert not AuditEvent.objects.filter(action="case.withdrawn").exists()
    with pytest.raises(TransitionNotAllowed):
        case_withdraw(case=Case.objects.get(reference=reference), actor="applicant")


def test_staff_may_withdraw_on_the_applicants_word_but_an_auditor_may_not(carla, audrey):
    reference, _code = request_sent()
    with pytest.raises(PermissionDenied):
        case_withdraw(case=Case.objects.get(reference=reference), actor=audrey)
    case_withdraw(case=Case.objects.get(reference=reference), actor=carla)
    event = AuditEvent.objects.get(action="case.withdrawn")
    assert event.data == {"by": "staff"}
    assert Case.objects.get(reference=reference).last_staff_action_at is not None


def test_a_stale_copy_of_the_case_cannot_withdraw_twice():
    from django_fsm import ConcurrentTransition

    reference, _code = request_sent()
    first = Case.objects.get(reference=reference)
    second = Case.objects.get(reference=reference)
    case_withdraw(case=first, actor="applicant")
    with pytest.raises(ConcurrentTransition):
        case_withdraw(case=second, actor="applicant")
    assert AuditEvent.objects.filter(action="case.withdrawn").count() == 1
