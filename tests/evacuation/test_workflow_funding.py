"""Proposing money: only on an assessed case, one proposal waiting at a time, more than zero and
not above FUNDING_CAP (compared with the amount as entered), in an offered currency. Cancelling
funding puts the case back to assessed and the approved proposal out of play."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from audit.models import AuditEvent
from evacuation.models import Case, FundingProposal
from evacuation.services import casework
from tests.factories import case_in_state, opened_by

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("team")]


@pytest.fixture
def assessed(team):
    return case_in_state("assessed", assessor=team.carla)


def _propose(case, actor, amount, currency="EUR"):
    return casework.funding_propose(
        case=Case.objects.get(pk=case.pk),
        actor=actor,
        keys=opened_by(actor, Case.objects.get(pk=case.pk)),
        amount=amount,
        currency=currency,
        purpose="transport",
    )


def _nothing_proposed():
    assert not FundingProposal.objects.exists()
    assert not AuditEvent.objects.filter(action="funding.proposed").exists()


def test_the_cap_itself_may_be_proposed_but_a_cent_more_may_not(assessed, carla, settings):
    settings.FUNDING_CAP = 5000
    with pytest.raises(ValidationError, match=r"above the limit of 5,000\.00"):
        _propose(assessed, carla, "5000.01")
    _nothing_proposed()
    proposal = _propose(assessed, carla, "5000")
    assert proposal.amount == Decimal("5000.00")


def test_the_cap_comes_from_the_settings(assessed, carla, settings):
    settings.FUNDING_CAP = 300
    with pytest.raises(ValidationError):
        _propose(assessed, carla, "300.50")
    _nothing_proposed()


@pytest.mark.parametrize("amount", ["0", "-5", "abc", "NaN", "Infinity", "1e309", "10.001", ""])
def test_amounts_that_are_not_money_are_refused(assessed, carla, amount):
    with pytest.raises(ValidationError):
        _propose(assessed, carla, amount)
    _nothing_proposed()


def test_a_currency_not_offered_is_refused(assessed, carla, settings):
    settings.FUNDING_CURRENCIES = ["EUR"]
    with pytest.raises(ValidationError):
        _propose(assessed, carla, "100", currency="USD")
    with pytest.raises(ValidationError):
        _propose(assessed, carla, "100", currency="XYZ")
    _nothing_proposed()


def test_a_second_proposal_waits_until_the_first_is_decided(assessed, carla):
    _propose(assessed, carla, "100")
    with pytest.raises(ValidationError, match="already waiting"):
        _propose(assessed, carla, "200")
    assert FundingProposal.objects.count() == 1


def test_the_proposer_may_take_back_a_pending_proposal_and_make_a_corrected_one(assessed, carla):
    first = _propose(assessed, carla, "100")
    casework.funding_reject(
        case=Case.objects.get(pk=assessed.pk), actor=carla, reason="amount_wrong"
    )
    first.refresh_from_db()
    assert first.status == "cancelled" and first.cancel_reason == "amount_wrong"
    _propose(assessed, carla, "150")
    assert FundingProposal.objects.filter(status="pending").get().amount == Decimal("150.00")


def test_cancelling_funding_returns_the_case_to_assessed(carla, cora, colin):
    case = case_in_state("funded", assessor=carla, approver=cora)
    casework.funding_cancel(case=case, actor=colin, reason="funded_elsewhere")
    case.refresh_from_db()
    proposal = FundingProposal.objects.get(case=case)
    assert case.state == "assessed"
    assert proposal.status == "cancelled" and proposal.cancel_reason == "funded_elsewhere"
    assert proposal.decided_by == cora  # the approval stays on record
    event = AuditEvent.objects.get(action="funding.cancelled")
    assert event.actor == colin and event.data == {"reason": "funded_elsewhere"}
    # A fresh proposal can now be made and approved again.
    _propose(case, carla, "800")
    casework.funding_approve(case=Case.objects.get(pk=case.pk), actor=colin)
    assert Case.objects.get(pk=case.pk).state == "funded"


def test_declining_a_case_leaves_no_money_waiting_for_approval(assessed, carla):
    _propose(assessed, carla, "100")
    casework.case_decline(
        case=Case.objects.get(pk=assessed.pk),
        actor=carla,
        keys=opened_by(carla, Case.objects.get(pk=assessed.pk)),
        reason="no_capacity",
    )
    assert not FundingProposal.objects.filter(status="pending").exists()
