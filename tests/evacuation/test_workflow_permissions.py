"""Every action x every role x every state: what may happen happens (with its audit event), and
everything else is refused with nothing written. The table below is written out by hand from the
design, not derived from the code it checks."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from accounts.models import Role
from audit.models import AuditEvent
from evacuation.models import Case, FundingProposal
from evacuation.services import casework
from tests.factories import case_in_state, make_staff, vault_ready

pytestmark = pytest.mark.django_db

# "proposed" is `assessed` with a funding proposal waiting for approval.
STATES = ("received", "assessed", "proposed", "funded", "relocated", "declined", "withdrawn")
OPEN = {"received", "assessed", "proposed", "funded"}
CASE_STAFF = {"caseworker", "coordinator"}
ROLES = ("caseworker", "coordinator", "auditor", "admin", "anonymous", "applicant")

# action: (states it may start from, roles that may do it, resulting state, audit action)
ALLOWED = {
    "assess": ({"received"}, CASE_STAFF, "assessed", "case.assessed"),
    "decline": ({"received", "assessed", "proposed"}, CASE_STAFF, "declined", "case.declined"),
    "propose_funding": ({"assessed"}, CASE_STAFF, "assessed", "funding.proposed"),
    "approve_funding": ({"proposed"}, {"coordinator"}, "funded", "funding.approved"),
    "reject_funding": ({"proposed"}, {"coordinator"}, "assessed", "funding.cancelled"),
    "cancel_funding": ({"funded"}, {"coordinator"}, "assessed", "funding.cancelled"),
    "confirm_relocation": ({"funded"}, CASE_STAFF, "relocated", "case.relocated"),
    "withdraw": (OPEN, CASE_STAFF | {"applicant"}, "withdrawn", "case.withdrawn"),
    "take": (OPEN, CASE_STAFF, None, "case.assigned"),
    "reassign": (OPEN, {"coordinator"}, None, "case.assigned"),
}
REFUSALS = (PermissionDenied, TransitionNotAllowed, ConcurrentTransition, ValidationError)


@pytest.fixture
def people():
    """Hank assesses and proposes, Cora approves; the actors below touched nothing before."""
    hank = make_staff(username="hank", role=Role.CASEWORKER)
    cora = make_staff(username="cora", role=Role.COORDINATOR)
    vault_ready(hank, cora)
    return {
        "hank": hank,
        "cora": cora,
        "caseworker": make_staff(username="carla", role=Role.CASEWORKER),
        "coordinator": make_staff(username="colin", role=Role.COORDINATOR),
        "auditor": make_staff(username="audrey", role=Role.AUDITOR),
        "admin": make_staff(username="adam", role=Role.ADMIN),
        "anonymous": AnonymousUser(),
        "applicant": "applicant",
    }


def act(action: str, case: Case, actor, people: dict):
    if action == "assess":
        return casework.case_assess(
            case=case, actor=actor, risk_level=2, verified_by="interview", support=["legal"]
        )
    if action == "decline":
        return casework.case_decline(case=case, actor=actor, reason="duplicate")
    if action == "propose_funding":
        return casework.funding_propose(
            case=case, actor=actor, amount="900", currency="USD", purpose="visa"
        )
    if action == "approve_funding":
        return casework.funding_approve(case=case, actor=actor)
    if action == "reject_funding":
        return casework.funding_reject(case=case, actor=actor, reason="amount_wrong")
    if action == "cancel_funding":
        return casework.funding_cancel(case=case, actor=actor, reason="plans_changed")
    if action == "confirm_relocation":
        return casework.case_confirm_relocation(
            case=case, actor=actor, relocated_on=date.today(), region="caucasus"
        )
    if action == "withdraw":
        return casework.case_withdraw(case=case, actor=actor)
    if action == "take":
        return casework.case_take(case=case, actor=actor)
    if action == "reassign":
        return casework.case_reassign(case=case, actor=actor, assignee=people["hank"])
    raise AssertionError(action)


def snapshot(case: Case) -> tuple:
    row = Case.objects.get(pk=case.pk)
    proposals = list(
        FundingProposal.objects.filter(case=case).values_list("pk", "status").order_by("pk")
    )
    return row.state, row.updated_at, row.assignee_id, proposals, AuditEvent.objects.count()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_each_action_is_allowed_exactly_where_the_table_says(action, role, people):
    states, roles, result, event = ALLOWED[action]
    actor = people[role]
    wrong = []
    for state in STATES:
        case = case_in_state(state, assessor=people["hank"], approver=people["cora"])
        before = snapshot(case)
        allowed = state in states and role in roles
        try:
            act(action, case, actor, people)
        except REFUSALS as exc:
            if allowed:
                wrong.append(f"{state}: refused with {exc!r}")
            elif state in states and not isinstance(exc, PermissionDenied):
                wrong.append(f"{state}: the role is refused with {exc!r}, not PermissionDenied")
            if snapshot(case) != before:
                wrong.append(f"{state}: refused, yet something was written")
            continue
        if not allowed:
            wrong.append(f"{state}: allowed, but the table forbids it")
            continue
        row = Case.objects.get(pk=case.pk)
        expected_state = result or before[0]
        if row.state != expected_state:
            wrong.append(f"{state}: ended in {row.state}, expected {expected_state}")
        last = AuditEvent.objects.order_by("-sequence").first()
        if last.action != event or last.target_ref == "" or last.target_ref != case.reference:
            wrong.append(f"{state}: last event {last.action}, expected {event}")
        if AuditEvent.objects.count() != before[4] + 1:
            wrong.append(f"{state}: {AuditEvent.objects.count() - before[4]} events, not 1")
        if role != "applicant" and row.last_staff_action_at is None:
            wrong.append(f"{state}: last staff action not set")
    assert not wrong, f"{action} as {role}:\n" + "\n".join(wrong)


def test_the_graph_the_machine_declares_is_the_one_the_table_describes():
    declared = {
        (t.name, str(t.source), str(t.target))
        for t in Case._meta.get_field("state").get_all_transitions(Case)
    }
    expected = {
        ("assess", "received", "assessed"),
        ("decline", "received", "declined"),
        ("decline", "assessed", "declined"),
        ("approve_funding", "assessed", "funded"),
        ("cancel_funding", "funded", "assessed"),
        ("confirm_relocation", "funded", "relocated"),
        ("withdraw", "received", "withdrawn"),
        ("withdraw", "assessed", "withdrawn"),
        ("withdraw", "funded", "withdrawn"),
    }
    assert declared == expected
