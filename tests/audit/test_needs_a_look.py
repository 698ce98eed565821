"""Issue 16, item 1: the auditor's "needs a look" list, from audit events only."""

from __future__ import annotations

import pytest

from audit.actions import Action
from audit.services import record
from evacuation.services import casework
from tests.factories import case_in_state, make_case, verified_client

pytestmark = pytest.mark.django_db


def _page(team, query: str = "") -> str:
    return verified_client(team.audrey).get(f"/audit/look/{query}").content.decode()


def _section(page: str, anchor: str) -> str:
    start = page.index(f'id="{anchor}"')
    end = page.find("<h2", start + 1)
    return page[start : end if end != -1 else None]


def test_a_role_change_followed_by_an_approval_by_the_same_person_is_listed(team):
    case = case_in_state("proposed", assessor=team.carla)
    record(
        action=Action.STAFF_ROLE_CHANGED,
        actor=team.adam,
        target_type="user",
        target_ref=str(team.cora.pk),
        data={"old_role": "caseworker", "new_role": "coordinator"},
    )
    casework.funding_approve(case=case, actor=team.cora)
    section = _section(_page(team), "changes-then-funding")
    assert "Role changed" in section and "Funding approved" in section
    assert case.reference in section and "cora" in section


def test_a_role_given_on_the_server_then_an_approval_is_listed_too(team):
    from django.core.management import call_command

    from tests.factories import opened_by

    case = case_in_state("assessed", assessor=team.carla)
    call_command("setrole", team.kim.username, "--role", "coordinator")
    team.kim.refresh_from_db()
    casework.funding_propose(
        case=case,
        actor=team.kim,
        keys=opened_by(team.kim, case),
        amount="900",
        currency="EUR",
        purpose="visa",
    )
    section = _section(_page(team), "changes-then-funding")
    assert "Funding proposed" in section and case.reference in section and "kim" in section


def test_funding_with_no_account_change_before_it_is_not_listed(team):
    case = case_in_state("funded", assessor=team.carla, approver=team.colin)
    section = _section(_page(team), "changes-then-funding")
    assert case.reference not in section
    assert "None." in section


def test_many_openings_in_a_day_by_one_person_are_listed(team, settings):
    settings.AUDIT_OPENINGS_PER_DAY = 2
    cases = [make_case() for _ in range(3)]
    for case in cases:
        record(
            action=Action.CASE_OPENED,
            actor=team.kim,
            target_type="case",
            target_ref=case.reference,
            data={"reason": "assess"},
        )
    record(
        action=Action.CASE_OPENED,
        actor=team.carla,
        target_type="case",
        target_ref=cases[0].reference,
        data={"reason": "assess"},
    )
    section = _section(_page(team), "busy-openers")
    assert "kim" in section and ">3<" in section
    assert "carla" not in section


def test_the_access_report_lists_one_persons_openings_with_reason(team):
    case = make_case()
    record(
        action=Action.CASE_OPENED,
        actor=team.kim,
        target_type="case",
        target_ref=case.reference,
        data={"reason": "assess"},
    )
    report = _section(_page(team, f"?person={team.kim.pk}"), "access-report")
    assert "Cases opened by kim" in report and case.reference in report
    other = _section(_page(team, f"?person={team.carla.pk}"), "access-report")
    assert case.reference not in other and "This person opened no case." in other
    assert verified_client(team.audrey).get("/audit/look/?person=999999").status_code == 404


def test_only_auditors_see_it(team):
    assert verified_client(team.adam).get("/audit/look/").status_code == 403
    assert verified_client(team.cora).get("/audit/look/").status_code == 403
