"""Four eyes on money: whoever assessed the case or proposed the funding cannot approve it, nor
can a caseworker; another coordinator can."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from audit.models import AuditEvent
from evacuation.models import Case, FundingProposal
from evacuation.services import casework
from tests.factories import case_in_state, opened_by, staff_case_page, verified_client

pytestmark = pytest.mark.django_db


def _assessed_by(assessor):
    return case_in_state("assessed", assessor=assessor)


def _propose(case, proposer):
    return casework.funding_propose(
        case=Case.objects.get(pk=case.pk),
        actor=proposer,
        keys=opened_by(proposer, Case.objects.get(pk=case.pk)),
        amount="2500.00",
        currency="EUR",
        purpose="shelter",
    )


def _refused(case, approver) -> None:
    with pytest.raises(PermissionDenied):
        casework.funding_approve(case=Case.objects.get(pk=case.pk), actor=approver)
    assert Case.objects.get(pk=case.pk).state == "assessed"
    assert FundingProposal.objects.get(case=case).status == "pending"
    assert not AuditEvent.objects.filter(action="funding.approved").exists()


def test_the_coordinator_who_proposed_cannot_approve(team):
    case = _assessed_by(team.carla)
    _propose(case, team.colin)
    _refused(case, team.colin)


def test_the_coordinator_who_assessed_cannot_approve_a_colleagues_proposal(team):
    case = _assessed_by(team.colin)
    _propose(case, team.carla)
    _refused(case, team.colin)


def test_a_caseworker_cannot_approve_even_someone_elses_proposal(team):
    case = _assessed_by(team.carla)
    _propose(case, team.carla)
    _refused(case, team.kim)


def test_another_coordinator_approves_and_is_recorded_as_the_decider(team):
    case = _assessed_by(team.carla)
    proposal = _propose(case, team.colin)
    casework.funding_approve(
        case=Case.objects.get(pk=case.pk), actor=team.cora, proposal_id=proposal.pk
    )
    proposal.refresh_from_db()
    assert Case.objects.get(pk=case.pk).state == "funded"
    assert proposal.status == "approved" and proposal.decided_by == team.cora
    assert proposal.decided_at is not None
    event = AuditEvent.objects.get(action="funding.approved")
    assert event.actor == team.cora
    assert event.data == {"amount": "2500.00", "currency": "EUR", "purpose": "shelter"}


def test_the_case_page_offers_approval_only_to_the_second_pair_of_eyes(team):
    case = _assessed_by(team.carla)
    _propose(case, team.colin)

    def offered(who):
        page = staff_case_page(verified_client(who), case.reference)
        return 'id="action-approve_funding"' in page

    assert offered(team.cora)
    assert not offered(team.colin) and not offered(team.carla) and not offered(team.kim)


def test_approving_a_proposal_other_than_the_one_seen_changes_nothing(team):
    case = _assessed_by(team.carla)
    first = _propose(case, team.carla)
    casework.funding_reject(
        case=Case.objects.get(pk=case.pk), actor=team.carla, reason="amount_wrong"
    )
    _propose(case, team.carla)
    with pytest.raises(casework.CaseChanged):
        casework.funding_approve(
            case=Case.objects.get(pk=case.pk), actor=team.cora, proposal_id=first.pk
        )
    assert Case.objects.get(pk=case.pk).state == "assessed"
