"""Four eyes on money: whoever assessed the case or proposed the funding cannot approve it, nor
can a caseworker; another coordinator can."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from accounts.models import Role
from audit.models import AuditEvent
from evacuation.models import Case, FundingProposal
from evacuation.services import casework
from tests.factories import (
    case_in_state,
    make_staff,
    staff_case_page,
    vault_ready,
    verified_client,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    people = {
        "carla": make_staff(username="carla", role=Role.CASEWORKER),
        "kim": make_staff(username="kim", role=Role.CASEWORKER),
        "colin": make_staff(username="colin", role=Role.COORDINATOR),
        "cora": make_staff(username="cora", role=Role.COORDINATOR),
    }
    vault_ready(*people.values())
    return people


def _assessed_by(assessor):
    return case_in_state("assessed", assessor=assessor)


def _propose(case, proposer):
    return casework.funding_propose(
        case=Case.objects.get(pk=case.pk),
        actor=proposer,
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


def test_the_coordinator_who_proposed_cannot_approve(staff):
    case = _assessed_by(staff["carla"])
    _propose(case, staff["colin"])
    _refused(case, staff["colin"])


def test_the_coordinator_who_assessed_cannot_approve_a_colleagues_proposal(staff):
    case = _assessed_by(staff["colin"])
    _propose(case, staff["carla"])
    _refused(case, staff["colin"])


def test_a_caseworker_cannot_approve_even_someone_elses_proposal(staff):
    case = _assessed_by(staff["carla"])
    _propose(case, staff["carla"])
    _refused(case, staff["kim"])


def test_another_coordinator_approves_and_is_recorded_as_the_decider(staff):
    case = _assessed_by(staff["carla"])
    proposal = _propose(case, staff["colin"])
    casework.funding_approve(
        case=Case.objects.get(pk=case.pk), actor=staff["cora"], proposal_id=proposal.pk
    )
    proposal.refresh_from_db()
    assert Case.objects.get(pk=case.pk).state == "funded"
    assert proposal.status == "approved" and proposal.decided_by == staff["cora"]
    assert proposal.decided_at is not None
    event = AuditEvent.objects.get(action="funding.approved")
    assert event.actor == staff["cora"]
    assert event.data == {"amount": "2500.00", "currency": "EUR", "purpose": "shelter"}


def test_the_case_page_offers_approval_only_to_the_second_pair_of_eyes(staff):
    case = _assessed_by(staff["carla"])
    _propose(case, staff["colin"])

    def offered(who):
        page = staff_case_page(verified_client(staff[who]), case.reference)
        return 'id="action-approve_funding"' in page

    assert offered("cora")
    assert not offered("colin") and not offered("carla") and not offered("kim")


def test_approving_a_proposal_other_than_the_one_seen_changes_nothing(staff):
    case = _assessed_by(staff["carla"])
    first = _propose(case, staff["carla"])
    casework.funding_reject(
        case=Case.objects.get(pk=case.pk), actor=staff["carla"], reason="amount_wrong"
    )
    _propose(case, staff["carla"])
    with pytest.raises(casework.CaseChanged):
        casework.funding_approve(
            case=Case.objects.get(pk=case.pk), actor=staff["cora"], proposal_id=first.pk
        )
    assert Case.objects.get(pk=case.pk).state == "assessed"
