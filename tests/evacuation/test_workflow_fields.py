"""Each action's required fields: missing or wrong ones are refused with a message a person can
act on, and nothing is written."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Role
from audit.models import AuditEvent
from evacuation.models import Case
from evacuation.services import casework
from tests.factories import case_in_state, make_staff, opened_by

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("team")]


def _unchanged(case: Case, events_before: int) -> None:
    row = Case.objects.get(pk=case.pk)
    assert row.state == case.state and row.updated_at == case.updated_at
    assert AuditEvent.objects.count() == events_before


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"risk_level": 5}, "risk level from 1 to 4"),
        ({"risk_level": 0}, "risk level from 1 to 4"),
        ({"verified_by": "rumour"}, "how the request was verified"),
        ({"support": []}, "at least one kind of support"),
        ({"support": ["relocation", "jetpack"]}, "support from the list"),
    ],
)
def test_an_assessment_needs_a_risk_level_a_verification_and_support(carla, fields, message):
    case = case_in_state("received", assessor=carla)
    events = AuditEvent.objects.count()
    good = {"risk_level": 4, "verified_by": "trusted_partner", "support": ["relocation"]}
    with pytest.raises(ValidationError, match=message):
        casework.case_assess(
            case=case, actor=carla, keys=opened_by(carla, case), **{**good, **fields}
        )
    _unchanged(case, events)


def test_an_assessment_records_codes_only_and_who_assessed(carla):
    case = case_in_state("received", assessor=carla)
    casework.case_assess(
        case=case,
        actor=carla,
        keys=opened_by(carla, case),
        risk_level=4,
        verified_by="trusted_partner",
        support=["legal", "relocation", "legal"],
    )
    row = Case.objects.get(pk=case.pk)
    assert (row.risk_level, row.verified_by, row.support) == (
        4,
        "trusted_partner",
        ["relocation", "legal"],
    )
    assert row.assessed_by == carla and row.assessed_at and row.state_changed_at >= row.created_at
    event = AuditEvent.objects.get(action="case.assessed")
    assert event.data == {
        "risk_level": 4,
        "verified_by": "trusted_partner",
        "support": "relocation,legal",
    }


def test_a_relocation_date_may_not_be_in_the_future_or_before_the_request(carla, cora):
    case = case_in_state("funded", assessor=carla, approver=cora)
    events = AuditEvent.objects.count()
    too_late = timezone.now().date() + timedelta(days=2)
    too_early = case.created_at.date() - timedelta(days=2)
    for when, message in ((too_late, "in the future"), (too_early, "before the request")):
        with pytest.raises(ValidationError, match=message):
            casework.case_confirm_relocation(case=case, actor=carla, relocated_on=when, region="eu")
    with pytest.raises(ValidationError, match="region"):
        casework.case_confirm_relocation(
            case=case, actor=carla, relocated_on=date.today(), region="Berlin, Hauptstr. 1"
        )
    _unchanged(case, events)
    casework.case_confirm_relocation(case=case, actor=carla, relocated_on=date.today(), region="eu")
    row = Case.objects.get(pk=case.pk)
    assert row.state == "relocated" and row.relocation_region == "eu"
    # The region's code and the follow-ups it made at 30 and 90 days: no address, no text.
    after = [date.today() + timedelta(days=days) for days in (30, 90)]
    assert AuditEvent.objects.get(action="case.relocated").data == {
        "region": "eu",
        "followups_due": ",".join(day.isoformat() for day in after),
    }


def test_declining_needs_a_reason_from_the_list(carla):
    case = case_in_state("received", assessor=carla)
    events = AuditEvent.objects.count()
    with pytest.raises(ValidationError, match="why the request is declined"):
        casework.case_decline(
            case=case, actor=carla, keys=opened_by(carla, case), reason="we do not like them"
        )
    _unchanged(case, events)


def test_a_stale_copy_of_the_case_changes_nothing(carla):
    case = case_in_state("received", assessor=carla)
    stale = Case.objects.get(pk=case.pk)
    casework.case_decline(case=case, actor=carla, keys=opened_by(carla, case), reason="duplicate")
    events = AuditEvent.objects.count()
    with pytest.raises(casework.CaseChanged):
        casework.case_assess(
            case=stale,
            actor=carla,
            keys=opened_by(carla, stale),
            risk_level=1,
            verified_by="other",
            support=["legal"],
        )
    assert Case.objects.get(pk=case.pk).state == "declined"
    assert AuditEvent.objects.count() == events


def test_a_version_other_than_the_one_seen_changes_nothing(carla):
    case = case_in_state("received", assessor=carla)
    seen = case.version
    casework.case_take(case=case, actor=carla)  # same state, newer version
    events = AuditEvent.objects.count()
    with pytest.raises(casework.CaseChanged):
        casework.case_assess(
            case=Case.objects.get(pk=case.pk),
            actor=carla,
            keys=opened_by(carla, Case.objects.get(pk=case.pk)),
            risk_level=1,
            verified_by="other",
            support=["legal"],
            seen_version=seen,
        )
    assert Case.objects.get(pk=case.pk).state == "received"
    assert AuditEvent.objects.count() == events


def test_taking_a_case_assigns_it_and_a_taken_case_cannot_be_taken_again(carla, kim):
    case = case_in_state("received", assessor=carla)
    casework.case_take(case=case, actor=carla)
    assert Case.objects.get(pk=case.pk).assignee == carla
    event = AuditEvent.objects.get(action="case.assigned")
    assert event.actor == carla and event.data == {"assignee": carla.pk}
    with pytest.raises(ValidationError, match="coordinator can reassign"):
        casework.case_take(case=Case.objects.get(pk=case.pk), actor=kim)
    assert Case.objects.get(pk=case.pk).assignee == carla


def test_a_case_is_reassigned_only_to_active_case_staff(carla, colin, audrey):
    gone = make_staff(username="gone", role=Role.CASEWORKER)
    gone.is_active = False
    gone.save()
    case = case_in_state("assessed", assessor=carla)
    for person in (audrey, gone):
        with pytest.raises(ValidationError, match="active caseworker or coordinator"):
            casework.case_reassign(case=Case.objects.get(pk=case.pk), actor=colin, assignee=person)
    assert Case.objects.get(pk=case.pk).assignee is None
    casework.case_reassign(case=Case.objects.get(pk=case.pk), actor=colin, assignee=carla)
    assert Case.objects.get(pk=case.pk).assignee == carla
    casework.case_reassign(case=Case.objects.get(pk=case.pk), actor=colin, assignee=None)
    assert Case.objects.get(pk=case.pk).assignee is None
    assert list(
        AuditEvent.objects.filter(action="case.assigned").values_list("data", flat=True)
    ) == [{"assignee": carla.pk}, {"assignee": None}]


def test_closed_cases_are_not_assigned(carla, colin):
    case = case_in_state("declined", assessor=carla)
    from django_fsm import TransitionNotAllowed

    with pytest.raises(TransitionNotAllowed):
        casework.case_take(case=case, actor=carla)
    with pytest.raises(TransitionNotAllowed):
        casework.case_reassign(case=case, actor=colin, assignee=carla)
