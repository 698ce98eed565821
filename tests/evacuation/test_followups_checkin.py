"""The applicant's "I am safe" on /status/ (issue 19, item 6): shown only while a funded case
has running check-ins, one press is one check-in, the same form pressed again says it was
already noted, and it needs the status page's capability like the other status forms."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from evacuation.models import Case, CheckinSchedule
from evacuation.selectors import followups as selectors
from evacuation.services import casework, followups
from tests.factories import applicant_with, opened_by, request_sent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("team")]


def funded_case(carla, cora) -> tuple[Case, str]:
    reference, code = request_sent()
    case = Case.objects.get(reference=reference)
    keys = opened_by(carla, case)
    case = casework.case_assess(
        case=case,
        actor=carla,
        keys=keys,
        risk_level=3,
        verified_by="referee",
        support=["relocation"],
    )
    casework.funding_propose(
        case=case, actor=carla, keys=keys, amount="900.00", currency="EUR", purpose="transport"
    )
    casework.funding_approve(case=case, actor=cora)
    case.refresh_from_db()
    casework.case_take(case=case, actor=carla)
    case.refresh_from_db()
    return case, code


def test_no_button_without_running_check_ins(carla, cora):
    case, code = funded_case(carla, cora)
    applicant = applicant_with(code)
    assert 'data-form="checkin"' not in applicant.page
    followups.checkins_set(case=case, actor=carla, every_days=3)
    followups.checkins_stop(case=case, actor=carla)
    assert 'data-form="checkin"' not in applicant_with(code).page


def test_one_press_is_one_check_in_and_the_missed_check_in_goes_away(carla, cora):
    case, code = funded_case(carla, cora)
    schedule = followups.checkins_set(case=case, actor=carla, every_days=3)
    Case.objects.filter(pk=case.pk).update(state_changed_at=timezone.now() - timedelta(days=9))
    CheckinSchedule.objects.filter(pk=schedule.pk).update(due_at=timezone.now() - timedelta(days=2))
    assert len(selectors.checkins_missed()) == 1
    applicant = applicant_with(code)
    assert "Tell us you are safe" in applicant.page
    before = timezone.now()
    response = applicant.act("checkin")
    assert response.status_code == 200
    assert "Thank you. We have noted that you are safe." in applicant.page
    schedule.refresh_from_db()
    assert schedule.checkins == 1 and schedule.last_checkin_at >= before
    assert schedule.due_at >= before + timedelta(days=3)
    assert selectors.checkins_missed() == []
    (event,) = AuditEvent.objects.filter(action="checkin.recorded", target_ref=case.reference)
    assert event.actor_kind == "applicant" and event.data == {"checkins": 1}
    # The next form on the answer is a fresh one: a second check-in later is another press.
    applicant.act("checkin")
    schedule.refresh_from_db()
    assert schedule.checkins == 2


def test_the_same_press_sent_twice_says_already_noted_and_counts_once(carla, cora):
    case, code = funded_case(carla, cora)
    followups.checkins_set(case=case, actor=carla, every_days=3)
    applicant = applicant_with(code)
    applicant.act("checkin")
    applicant.resend()
    assert applicant.response.status_code == 200
    assert "This check-in was already noted." in applicant.page
    assert CheckinSchedule.objects.get(case=case).checkins == 1
    assert AuditEvent.objects.filter(action="checkin.recorded").count() == 1


def test_a_press_without_a_valid_capability_checks_nothing_in(carla, cora):
    case, code = funded_case(carla, cora)
    followups.checkins_set(case=case, actor=carla, every_days=3)
    applicant = applicant_with(code)
    action, fields = applicant.form("checkin")
    forged = {**fields, "capability": fields["capability"][:-4] + "AAAA"}
    response = Client().post(action, forged)
    assert response.status_code == 200
    assert 'data-form="lookup"' in response.content.decode()  # type the code again
    no_token = {**fields, "form_token": "x"}
    page = Client().post(action, no_token).content.decode()
    assert "Thank you. We have noted that you are safe." not in page
    assert CheckinSchedule.objects.get(case=case).checkins == 0


def test_a_press_after_the_check_ins_were_stopped_notes_nothing(carla, cora):
    case, code = funded_case(carla, cora)
    followups.checkins_set(case=case, actor=carla, every_days=3)
    applicant = applicant_with(code)
    followups.checkins_stop(case=case, actor=carla)
    applicant.act("checkin")
    assert applicant.response.status_code == 200
    assert "Check-ins are not asked for on this request now." in applicant.page
    assert 'data-form="checkin"' not in applicant.page
    assert CheckinSchedule.objects.get(case=case).checkins == 0


def test_the_status_page_with_the_button_has_no_script(carla, cora):
    case, code = funded_case(carla, cora)
    followups.checkins_set(case=case, actor=carla, every_days=3)
    page = applicant_with(code).page
    assert "<script" not in page and not re.search(r"\son\w+=", page)


def test_the_button_is_in_russian(carla, cora):
    case, code = funded_case(carla, cora)
    followups.checkins_set(case=case, actor=carla, every_days=3)
    page = applicant_with(code, language="ru").page
    assert "Я в безопасности" in page


def test_a_late_check_in_asks_the_applicant_to_press_now(carla, cora):
    case, code = funded_case(carla, cora)
    schedule = followups.checkins_set(case=case, actor=carla, every_days=3)
    assert "please press this button at least once by" in applicant_with(code).page
    CheckinSchedule.objects.filter(pk=schedule.pk).update(
        due_at=timezone.now() - timedelta(hours=1)
    )
    page = applicant_with(code).page
    assert "We have not heard from you since your check-in was due." in page
