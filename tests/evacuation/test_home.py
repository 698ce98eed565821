"""The staff home page as a working day (issue 19, item 2): my cases, my unread applicant
messages, follow-ups due, funding waiting for my approval (never my own), overdue cases and new
urgent requests nobody has taken; references and dates only, in a constant number of queries.
Auditors and administrators keep the page they had."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import resolve, reverse
from django.utils import timezone

from evacuation.models import Case, Direction, Message
from evacuation.services import casework, followups
from evacuation.staff import home_views
from tests.evacuation.test_queue_and_case_page_queries import bulk_cases
from tests.factories import case_in_state, sign_in, verified_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("team")]

NAME = "Zaurbek Unique-Applicant-Name"


def section(page: str, name: str) -> str:
    return page.split(f'id="home-{name}"')[1].split("</section>")[0]


def test_the_home_page_is_the_evacuation_view_and_keeps_its_name():
    assert reverse("staff_home") == "/staff/"
    assert resolve("/staff/").func is home_views.home_view


def test_a_caseworkers_working_day(carla, kim, cora):
    mine = case_in_state("received", assessor=carla, name=NAME)
    casework.case_take(case=mine, actor=carla)
    theirs = case_in_state("received", assessor=carla)
    casework.case_take(case=theirs, actor=kim)
    urgent = case_in_state("received", assessor=carla, urgency="now")
    Message.objects.create(case=mine, direction=Direction.FROM_APPLICANT, sequence=1, body=b"x")
    Message.objects.create(case=theirs, direction=Direction.FROM_APPLICANT, sequence=1, body=b"x")
    followups.followup_set(case=mine, actor=carla, due_on=timezone.localdate())
    followups.followup_set(case=theirs, actor=kim, due_on=timezone.localdate())
    page = verified_client(carla).get("/staff/").content.decode()
    assert mine.reference in section(page, "mine") and theirs.reference not in section(page, "mine")
    assert mine.reference in section(page, "unread")
    assert theirs.reference not in section(page, "unread")
    assert mine.reference in section(page, "followups")
    assert theirs.reference not in section(page, "followups")
    assert urgent.reference in section(page, "urgent")
    assert 'id="home-approvals"' not in page  # a caseworker approves nothing
    assert NAME not in page  # references and dates, nothing the applicant wrote
    assert "Signed in as carla" in page


def test_a_taken_urgent_request_leaves_the_urgent_list(carla):
    urgent = case_in_state("received", assessor=carla, urgency="now")
    client = verified_client(carla)
    assert urgent.reference in section(client.get("/staff/").content.decode(), "urgent")
    casework.case_take(case=urgent, actor=carla)
    page = client.get("/staff/").content.decode()
    assert urgent.reference not in section(page, "urgent")
    assert urgent.reference in section(page, "mine")


def test_funding_waits_for_a_coordinator_who_did_not_propose_or_assess_it(carla, cora, colin):
    by_carla = case_in_state("proposed", assessor=carla)
    by_cora = case_in_state("proposed", assessor=cora)
    page = verified_client(colin).get("/staff/").content.decode()
    assert by_carla.reference in section(page, "approvals")
    assert by_cora.reference in section(page, "approvals")
    page = verified_client(cora).get("/staff/").content.decode()
    assert by_carla.reference in section(page, "approvals")
    assert by_cora.reference not in section(page, "approvals")  # her own: four eyes


def test_overdue_cases_are_listed(carla, settings):
    case = case_in_state("received", assessor=carla)
    casework.case_take(case=case, actor=carla)
    Case.objects.filter(pk=case.pk).update(
        last_staff_action_at=timezone.now() - timedelta(days=settings.STALE_AFTER_DAYS + 1)
    )
    page = verified_client(carla).get("/staff/").content.decode()
    assert case.reference in section(page, "overdue")
    assert "No staff action for too long" in section(page, "overdue")


def test_auditors_and_admins_keep_the_page_they_had(audrey, adam):
    for person in (audrey, adam):
        page = verified_client(person).get("/staff/").content.decode()
        assert f"Signed in as {person.username}" in page
        assert "What you may do" in page
        assert 'id="home-mine"' not in page and 'id="home-urgent"' not in page


def test_the_working_day_is_in_russian(carla):
    client = sign_in(Client(HTTP_ACCEPT_LANGUAGE="ru"), carla)
    page = client.get("/staff/").content.decode()
    assert "Мои дела" in page
    assert "Новые срочные заявки, которые никто не взял" in page


HOME_QUERIES = 13  # session, user, device; seven lists (two for overdue); the session saved (3)


def test_the_home_page_reads_a_constant_number_of_queries(carla, cora, django_assert_num_queries):
    client = verified_client(cora)
    one = case_in_state("proposed", assessor=carla)
    casework.case_take(case=one, actor=cora)
    followups.followup_set(case=one, actor=cora, due_on=timezone.localdate())
    client.get("/staff/")  # the session's first save after sign-in
    with django_assert_num_queries(HOME_QUERIES):
        assert client.get("/staff/").status_code == 200
    bulk_cases(300, assignee=cora)
    for case in Case.objects.filter(assignee=cora)[:30]:
        followups.followup_set(case=case, actor=cora, due_on=timezone.localdate())
        Message.objects.create(
            case=case, direction=Direction.FROM_APPLICANT, sequence=99, body=b"x"
        )
    for _ in range(25):
        case_in_state("proposed", assessor=carla)
    with django_assert_num_queries(HOME_QUERIES):
        page = client.get("/staff/").content.decode()
    assert "More in the queue" in page and "More waiting for approval" in page
