"""Sixteen coordinators' tabs approving the same proposal at the same instant, on PostgreSQL
with real threads and connections: one approval, one `funded`, one audit event; the others are
told the case changed."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from audit.verify import verify_database
from evacuation.models import Case, FundingProposal
from evacuation.services import casework
from tests.factories import at_once, case_in_state, checkpoint_now, verified_client

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 16


def test_sixteen_simultaneous_approvals_fund_the_case_once(team):
    case = case_in_state("proposed", assessor=team.carla)
    proposal = FundingProposal.objects.get(case=case)
    tabs = [Case.objects.get(pk=case.pk) for _ in range(THREADS)]  # loaded before anyone acted

    def approve(i: int) -> str:
        try:
            casework.funding_approve(case=tabs[i], actor=team.cora, proposal_id=proposal.pk)
        except casework.CaseChanged:
            return "changed"
        return "approved"

    outcomes = at_once(THREADS, approve)

    assert sorted(outcomes, key=str) == ["approved"] + ["changed"] * (THREADS - 1), outcomes
    assert Case.objects.get(pk=case.pk).state == "funded"
    assert FundingProposal.objects.get(pk=proposal.pk).status == "approved"
    assert AuditEvent.objects.filter(action="funding.approved").count() == 1
    checkpoint_now()  # the audit signer at work: strict verification needs it
    assert verify_database().ok


def test_sixteen_coordinators_tabs_approving_at_once_get_one_success_and_fifteen_409s(team):
    case = case_in_state("proposed", assessor=team.carla)
    proposal = FundingProposal.objects.get(case=case)
    form = {
        "seen_state": "assessed",
        "seen_version": case.version,
        "proposal": str(proposal.pk),
    }
    tabs = [verified_client(team.cora if i % 2 else team.colin) for i in range(THREADS)]

    def approve(i: int) -> int:
        return tabs[i].post(f"/staff/cases/{case.reference}/approve/", form).status_code

    statuses = at_once(THREADS, approve)

    assert sorted(statuses, key=str) == [302] + [409] * (THREADS - 1), statuses
    assert Case.objects.get(pk=case.pk).state == "funded"
    assert AuditEvent.objects.filter(action="funding.approved").count() == 1
    checkpoint_now()  # the audit signer at work: strict verification needs it
    assert verify_database().ok
