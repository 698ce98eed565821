"""Every action x every role x every state: what may happen happens (with its audit event), and
everything else is refused with nothing written. The table below is written out by hand from the
design, not derived from the code it checks."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django_fsm import ConcurrentTransition, TransitionNotAllowed

from audit.models import AuditEvent
from evacuation.models import Case, FundingProposal
from evacuation.services import casework
from tests.factories import case_in_state, opened_by

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


def actor_in(role: str, team):
    """Kim assesses and proposes, Cora approves; the actors (Carla, Colin, Audrey, Adam, an
    anonymous visitor and the applicant) touched nothing before."""
    return {
        "caseworker": team.carla,
        "coordinator": team.colin,
        "auditor": team.audrey,
        "admin": team.adam,
        "anonymous": AnonymousUser(),
        "applicant": "applicant",
    }[role]


def act(action: str, case: Case, actor, team):
    if action == "assess":
        return casework.case_assess(
            case=case,
            actor=actor,
            keys=opened_by(actor, case),
            risk_level=2,
            verified_by="interview",
            support=["legal"],
        )
    if action == "decline":
        return casework.case_decline(
            case=case, actor=actor, keys=opened_by(actor, case), reason="duplicate"
        )
    if action == "propose_funding":
        return casework.funding_propose(
            case=case,
            actor=actor,
            keys=opened_by(actor, case),
            amount="900",
            currency="USD",
            purpose="visa",
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
        return casework.case_reassign(case=case, actor=actor, assignee=team.kim)
    raise AssertionError(action)


def snapshot(case: Case) -> tuple:
    row = Case.objects.get(pk=case.pk)
    proposals = list(
        FundingProposal.objects.filter(case=case).values_list("pk", "status").order_by("pk")
    )
    return row.state, row.updated_at, row.assignee_id, proposals, AuditEvent.objects.count()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
def test_each_action_is_allowed_exactly_where_the_table_says(action, role, team):
    states, roles, result, event = ALLOWED[action]
    actor = actor_in(role, team)
    wrong = []
    for state in STATES:
        case = case_in_state(state, assessor=team.kim, approver=team.cora)
        before = snapshot(case)
        allowed = state in states and role in roles
        try:
            act(action, case, actor, team)
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
