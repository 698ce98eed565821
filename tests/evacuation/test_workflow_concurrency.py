"""Sixteen coordinators' tabs approving the same proposal at the same instant, on PostgreSQL
with real threads and connections: one approval, one `funded`, one audit event; the others are
told the case changed."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts.models import Role
from audit.models import AuditEvent
from audit.verify import verify_database
from evacuation.models import Case, FundingProposal
from evacuation.services import casework
from tests.factories import case_in_state, make_staff, vault_ready

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

THREADS = 16


def test_sixteen_simultaneous_approvals_fund_the_case_once():
    carla = make_staff(username="carla", role=Role.CASEWORKER, totp=False)
    cora = make_staff(username="cora", role=Role.COORDINATOR, totp=False)
    vault_ready(carla, cora)
    case = case_in_state("proposed", assessor=carla)
    proposal = FundingProposal.objects.get(case=case)
    start = threading.Barrier(THREADS)
    outcomes: list = [None] * THREADS

    def approve(i: int) -> None:
        try:
            mine = Case.objects.get(pk=case.pk)  # each tab loaded the page before anyone acted
            start.wait(timeout=30)
            casework.funding_approve(case=mine, actor=cora, proposal_id=proposal.pk)
            outcomes[i] = "approved"
        except casework.CaseChanged:
            outcomes[i] = "changed"
        except BaseException as exc:  # reported below, in the test's thread
            outcomes[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(outcomes, key=str) == ["approved"] + ["changed"] * (THREADS - 1), outcomes
    assert Case.objects.get(pk=case.pk).state == "funded"
    assert FundingProposal.objects.get(pk=proposal.pk).status == "approved"
    assert AuditEvent.objects.filter(action="funding.approved").count() == 1
    assert verify_database().ok


def test_sixteen_coordinators_tabs_approving_at_once_get_one_success_and_fifteen_409s():
    from tests.factories import verified_client

    carla = make_staff(username="carla", role=Role.CASEWORKER)
    cora = make_staff(username="cora", role=Role.COORDINATOR)
    colin = make_staff(username="colin", role=Role.COORDINATOR)
    vault_ready(carla, cora, colin)
    case = case_in_state("proposed", assessor=carla)
    proposal = FundingProposal.objects.get(case=case)
    form = {
        "seen_state": "assessed",
        "seen_version": case.version,
        "proposal": str(proposal.pk),
    }
    tabs = [verified_client(cora if i % 2 else colin) for i in range(THREADS)]
    start = threading.Barrier(THREADS)
    statuses: list = [None] * THREADS

    def approve(i: int) -> None:
        try:
            start.wait(timeout=30)
            url = f"/staff/cases/{case.reference}/approve/"
            statuses[i] = tabs[i].post(url, form).status_code
        except BaseException as exc:  # reported below, in the test's thread
            statuses[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(statuses, key=str) == [302] + [409] * (THREADS - 1), statuses
    assert Case.objects.get(pk=case.pk).state == "funded"
    assert AuditEvent.objects.filter(action="funding.approved").count() == 1
    assert verify_database().ok
