"""Issue 16, item 1: an account an administrator created, re-roled or reset within
ACCOUNT_COOLING_OFF_HOURS cannot approve funding; a person's own new factor does not count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import User
from evacuation.models import Case, FundingProposal
from evacuation.services import casework
from tests.factories import DEFAULT_PASSWORD, case_in_state, verified_client

pytestmark = pytest.mark.django_db


def _changed_by_admin(user: User, hours_ago: float) -> None:
    User.objects.filter(pk=user.pk).update(
        admin_changed_at=timezone.now() - timedelta(hours=hours_ago)
    )
    user.refresh_from_db()


def test_a_coordinator_changed_by_an_admin_recently_cannot_approve(team):
    case = case_in_state("proposed", assessor=team.carla)
    _changed_by_admin(team.cora, hours_ago=1)
    with pytest.raises(ValidationError) as refused:
        casework.funding_approve(case=Case.objects.get(pk=case.pk), actor=team.cora)
    assert "you may approve funding from" in " ".join(refused.value.messages)
    assert Case.objects.get(pk=case.pk).state == "assessed"
    assert FundingProposal.objects.get(case=case).status == "pending"
    # Another coordinator, not changed recently, approves.
    casework.funding_approve(case=Case.objects.get(pk=case.pk), actor=team.colin)
    assert Case.objects.get(pk=case.pk).state == "funded"


def test_after_the_period_the_coordinator_approves(team, settings):
    assert settings.ACCOUNT_COOLING_OFF_HOURS == 72
    case = case_in_state("proposed", assessor=team.carla)
    _changed_by_admin(team.cora, hours_ago=73)
    casework.funding_approve(case=Case.objects.get(pk=case.pk), actor=team.cora)
    assert Case.objects.get(pk=case.pk).state == "funded"


def test_the_period_is_a_setting(team, settings):
    settings.ACCOUNT_COOLING_OFF_HOURS = 200
    case = case_in_state("proposed", assessor=team.carla)
    _changed_by_admin(team.cora, hours_ago=73)
    with pytest.raises(ValidationError):
        casework.funding_approve(case=Case.objects.get(pk=case.pk), actor=team.cora)


def test_the_case_page_offers_no_approval_and_the_home_page_says_until_when(team):
    case = case_in_state("proposed", assessor=team.carla)
    _changed_by_admin(team.cora, hours_ago=1)
    cora = verified_client(team.cora)
    assert "you may approve funding from" in cora.get("/staff/").content.decode()
    cora.post(f"/staff/cases/{case.reference}/", {"reason": "assess"})
    page = cora.get(f"/staff/cases/{case.reference}/").content.decode()
    assert "action-approve_funding" not in page
    colin = verified_client(team.colin)
    colin.post(f"/staff/cases/{case.reference}/", {"reason": "assess"})
    assert "action-approve_funding" in colin.get(f"/staff/cases/{case.reference}/").content.decode()
    proposal = FundingProposal.objects.get(case=case)
    cora.post(
        f"/staff/cases/{case.reference}/approve/",
        {"seen_state": case.state, "seen_version": case.version, "proposal": proposal.pk},
    )
    assert Case.objects.get(pk=case.pk).state == "assessed"


def test_a_person_adding_their_own_factor_does_not_start_the_period(team):
    cora = verified_client(team.cora)
    cora.post("/staff/security/", {"action": "backup_codes", "password": DEFAULT_PASSWORD})
    cora.post("/staff/security/", {"action": "replace_totp", "password": DEFAULT_PASSWORD})
    team.cora.refresh_from_db()
    assert team.cora.admin_changed_at is None
    case = case_in_state("proposed", assessor=team.carla)
    casework.funding_approve(case=Case.objects.get(pk=case.pk), actor=team.cora)
    assert Case.objects.get(pk=case.pk).state == "funded"


def test_a_hand_made_approval_from_the_case_page_says_why_and_changes_nothing(team):
    case = case_in_state("proposed", assessor=team.carla)
    _changed_by_admin(team.cora, hours_ago=1)
    cora = verified_client(team.cora)
    fields = {
        "seen_state": case.state,
        "seen_version": case.version,
        "proposal": str(FundingProposal.objects.get(case=case).pk),
    }
    response = cora.post(f"/staff/cases/{case.reference}/approve/", fields)
    assert response.status_code == 200
    assert "you may approve funding from" in response.content.decode()
    assert Case.objects.get(pk=case.pk).state == "assessed"
