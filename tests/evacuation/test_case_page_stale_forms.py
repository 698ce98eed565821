"""A form drawn before someone else changed the case: submitting it writes nothing, records no
event and answers 409 with "this case changed while you were looking — reload it"."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from evacuation.models import Case, Note
from evacuation.services import casework
from tests.factories import (
    case_in_state,
    case_opened,
    hidden_fields,
    opened_by,
    staff_case_page,
    verified_client,
)

pytestmark = pytest.mark.django_db

CHANGED = "This case changed while you were looking — reload it."


def _snapshot(case):
    row = Case.objects.get(pk=case.pk)
    return row.state, row.updated_at, row.assignee_id, AuditEvent.objects.count()


def _refused_as_changed(response, case, before):
    page = response.content.decode()
    assert response.status_code == 409
    assert CHANGED in page
    assert _snapshot(case) == before


def test_assessing_a_case_someone_declined_meanwhile_writes_nothing(team):
    case = case_in_state("received", assessor=team.carla)
    client = verified_client(team.carla)
    case_opened(client, case.reference)
    seen = hidden_fields(staff_case_page(client, case.reference), "assess")
    casework.case_decline(
        case=case, actor=team.kim, keys=opened_by(team.kim, case), reason="duplicate"
    )
    before = _snapshot(case)
    response = client.post(
        f"/staff/cases/{case.reference}/assess/",
        {**seen, "risk_level": "2", "verified_by": "interview", "support": ["legal"]},
    )
    _refused_as_changed(response, case, before)
    assert "Declined" in response.content.decode()  # the page shows the case as it is now


def test_approving_after_a_colleague_approved_writes_nothing(team):
    case = case_in_state("proposed", assessor=team.carla)
    cora, colin = verified_client(team.cora), verified_client(team.colin)
    seen_by_cora = hidden_fields(staff_case_page(cora, case.reference), "approve_funding")
    seen_by_colin = hidden_fields(staff_case_page(colin, case.reference), "approve_funding")
    assert cora.post(f"/staff/cases/{case.reference}/approve/", seen_by_cora).status_code == 302
    before = _snapshot(case)
    response = colin.post(f"/staff/cases/{case.reference}/approve/", seen_by_colin)
    _refused_as_changed(response, case, before)
    assert AuditEvent.objects.filter(action="funding.approved").count() == 1


def test_taking_a_case_a_colleague_took_meanwhile_writes_nothing(team):
    case = case_in_state("received", assessor=team.carla)
    carla, kim = verified_client(team.carla), verified_client(team.kim)
    seen = hidden_fields(staff_case_page(carla, case.reference), "take")
    assert (
        kim.post(
            f"/staff/cases/{case.reference}/take/",
            hidden_fields(staff_case_page(kim, case.reference), "take"),
        ).status_code
        == 302
    )
    before = _snapshot(case)
    _refused_as_changed(carla.post(f"/staff/cases/{case.reference}/take/", seen), case, before)
    assert Case.objects.get(pk=case.pk).assignee == team.kim


def test_a_note_refused_as_stale_is_kept_in_the_form_so_nothing_typed_is_lost(team):
    case = case_in_state("received", assessor=team.carla)
    client = verified_client(team.carla)
    case_opened(client, case.reference)
    seen = hidden_fields(staff_case_page(client, case.reference), "note")
    casework.case_take(case=case, actor=team.kim)
    before = _snapshot(case)
    text = "Called the referee, call back Tuesday"
    response = client.post(f"/staff/cases/{case.reference}/notes/", {**seen, "text": text})
    _refused_as_changed(response, case, before)
    assert text in response.content.decode()
    assert not Note.objects.exists()


def test_a_form_without_what_its_user_saw_is_treated_as_stale(team):
    case = case_in_state("received", assessor=team.carla)
    client = verified_client(team.carla)
    before = _snapshot(case)
    response = client.post(
        f"/staff/cases/{case.reference}/assess/",
        {"risk_level": "2", "verified_by": "interview", "support": ["legal"]},
    )
    _refused_as_changed(response, case, before)


def test_an_action_the_state_does_not_allow_is_a_409_not_a_crash(team):
    case = case_in_state("declined", assessor=team.carla)
    client = verified_client(team.carla)
    case_opened(client, case.reference)
    seen = hidden_fields(staff_case_page(client, case.reference), "note")
    before = _snapshot(case)
    response = client.post(
        f"/staff/cases/{case.reference}/assess/",
        {**seen, "risk_level": "2", "verified_by": "interview", "support": ["legal"]},
    )
    _refused_as_changed(response, case, before)
