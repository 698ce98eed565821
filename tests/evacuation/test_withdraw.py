from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django_fsm import TransitionNotAllowed

from audit.models import AuditEvent
from evacuation.models import Case, State
from evacuation.services.casework import case_withdraw
from tests.factories import submit_intake, vault_ready

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _vault():
    vault_ready()


def _post(code: str, step: str):
    return Client().post("/status/", {"code": code, "step": step})


def test_asking_to_withdraw_only_asks_for_confirmation():
    reference, code = submit_intake()
    page = _post(code, "confirm_withdraw").content.decode()
    assert "Withdraw your request?" in page
    assert f'name="code" value="{code}"' in page  # the code stays in the POST body only
    assert Case.objects.get(reference=reference).state == State.RECEIVED
    assert not AuditEvent.objects.filter(action="case.withdrawn").exists()


def test_confirming_withdraws_and_the_status_page_then_says_so():
    reference, code = submit_intake()
    page = _post(code, "withdraw").content.decode()
    assert "Your request has been withdrawn." in page
    assert Case.objects.get(reference=reference).state == State.WITHDRAWN
    event = AuditEvent.objects.get(action="case.withdrawn")
    assert event.target_ref == reference and event.data == {"by": "applicant"}

    later = _post(code, "check").content.decode()
    assert "This request has been withdrawn." in later
    assert "Withdraw my request" not in later


def test_withdrawing_twice_changes_nothing_the_second_time():
    _reference, code = submit_intake()
    _post(code, "withdraw")
    response = _post(code, "withdraw")
    assert response.status_code == 200
    assert "This request has been withdrawn." in response.content.decode()
    assert AuditEvent.objects.filter(action="case.withdrawn").count() == 1


def test_a_wrong_code_cannot_withdraw_anything():
    reference, _code = submit_intake()
    page = _post("1234-5678-9012-3456-7890", "withdraw").content.decode()
    assert "We could not find a request with this code." in page
    assert Case.objects.get(reference=reference).state == State.RECEIVED


def test_a_closed_case_cannot_be_withdrawn():
    reference, code = submit_intake()
    Case.objects.filter(reference=reference).update(state=State.RELOCATED)
    page = _post(code, "withdraw").content.decode()
    assert "recorded as completed" in page
    assert Case.objects.get(reference=reference).state == State.RELOCATED
    with pytest.raises(TransitionNotAllowed):
        case_withdraw(case=Case.objects.get(reference=reference), actor="applicant")


def test_staff_may_withdraw_on_the_applicants_word_but_an_auditor_may_not(carla, audrey):
    reference, _code = submit_intake()
    with pytest.raises(PermissionDenied):
        case_withdraw(case=Case.objects.get(reference=reference), actor=audrey)
    case_withdraw(case=Case.objects.get(reference=reference), actor=carla)
    event = AuditEvent.objects.get(action="case.withdrawn")
    assert event.data == {"by": "staff"}
    assert Case.objects.get(reference=reference).last_staff_action_at is not None


def test_a_stale_copy_of_the_case_cannot_withdraw_twice():
    from django_fsm import ConcurrentTransition

    reference, _code = submit_intake()
    first = Case.objects.get(reference=reference)
    second = Case.objects.get(reference=reference)
    case_withdraw(case=first, actor="applicant")
    with pytest.raises(ConcurrentTransition):
        case_withdraw(case=second, actor="applicant")
    assert AuditEvent.objects.filter(action="case.withdrawn").count() == 1
