"""Two people closing two requests as duplicates of each other at the same instant, on
PostgreSQL with real threads: one link, one closed case; the other is told why. Two coordinators
creating the same label at once: one label, one event."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django_fsm import TransitionNotAllowed

from audit.models import AuditEvent
from evacuation.models import Case, DuplicateLink, Label
from evacuation.services import casework, workspace
from tests.factories import at_once, make_case, opened_by

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_requests_marked_duplicates_of_each_other_at_once_link_once(team):
    first, second = make_case(), make_case()
    pairs = [(first, second), (second, first)]
    people = [team.carla, team.kim]
    tabs = [Case.objects.get(pk=case.pk) for case, _original in pairs]  # loaded before either

    def mark(i: int) -> str:
        case, original = pairs[i]
        try:
            workspace.case_mark_duplicate(
                case=tabs[i],
                actor=people[i],
                keys=opened_by(people[i], case),
                original=original.reference,
            )
        except (ValidationError, casework.CaseChanged, TransitionNotAllowed):
            return "refused"
        return "marked"

    outcomes = at_once(2, mark)
    assert sorted(outcomes) == ["marked", "refused"], outcomes
    assert DuplicateLink.objects.count() == 1
    assert Case.objects.filter(state="declined", decline_reason="duplicate").count() == 1
    assert AuditEvent.objects.filter(action="case.marked_duplicate").count() == 1


def test_the_same_label_created_twice_at_once_is_made_once(team):
    def create(i: int) -> str:
        try:
            workspace.label_create(actor=team.cora, name="visa in progress")
        except ValidationError:
            return "refused"
        return "made"

    outcomes = at_once(4, create)
    assert sorted(outcomes) == ["made"] + ["refused"] * 3, outcomes
    assert Label.objects.count() == 1
    assert AuditEvent.objects.filter(action="label.created").count() == 1
