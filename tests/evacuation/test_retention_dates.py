"""The applicant's status page says when their data goes, and the date is the one the purge
keeps to: writing to us postpones it, a hold suspends it, an open case keeps it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import formats, timezone, translation

from evacuation.models import Case, Message
from evacuation.services import retention
from tests.factories import applicant_with, submit_intake, verified_client, withdrawn_case

pytestmark = pytest.mark.django_db


def _status(code: str) -> str:
    """The status page the code opens."""
    return applicant_with(code).page


def _withdrawn(days_ago: int) -> tuple[Case, str]:
    return withdrawn_case(days_ago=days_ago)


def test_an_ended_case_goes_retention_days_after_it_ended(team, settings):
    case, code = _withdrawn(days_ago=10)
    expected = (case.state_changed_at + timedelta(days=settings.RETENTION_DAYS)).date()
    assert retention.deletion_date(case) == expected
    page = _status(code)
    assert "will be deleted for good soon after" in page
    with translation.override("en"):
        assert formats.date_format(expected, "j E Y") in page


def test_an_untouched_request_goes_untouched_days_after_it_came_or_after_the_last_staff_action(
    team, settings
):
    reference, _code = submit_intake()
    case = Case.objects.get(reference=reference)
    assert (
        retention.deletion_date(case)
        == (case.created_at + timedelta(days=settings.UNTOUCHED_DAYS)).date()
    )
    later = timezone.now() + timedelta(days=3)
    Case.objects.filter(pk=case.pk).update(last_staff_action_at=later)
    case.refresh_from_db()
    assert retention.deletion_date(case) == (later + timedelta(days=settings.UNTOUCHED_DAYS)).date()


def test_writing_to_us_postpones_the_date_as_it_postpones_the_purge(team, settings):
    case, code = _withdrawn(days_ago=settings.RETENTION_DAYS - 1)
    before = retention.deletion_date(case)
    due_then = timezone.now() + timedelta(days=2)
    assert retention.retention_due(now=due_then).filter(pk=case.pk).exists()
    applicant = applicant_with(code)
    applicant.act("message", text="I am still here")
    assert "Your message is sent." in applicant.page
    wrote = Message.objects.get().created_at
    later = (wrote + timedelta(days=settings.RECENT_MESSAGE_DAYS)).date()
    assert later > before
    assert retention.deletion_date(case) == later
    with translation.override("en"):
        assert formats.date_format(later, "j E Y") in applicant.page
    # The purge keeps to the same date: on the old date the case is not due any more.
    assert not retention.retention_due(now=due_then).filter(pk=case.pk).exists()


def test_a_case_being_worked_on_is_kept_without_a_date(team):
    reference, code = submit_intake()
    Case.objects.filter(reference=reference).update(state="assessed")
    assert retention.deletion_date(Case.objects.get(reference=reference)) is None
    assert "kept, encrypted, while we work on your request" in _status(code)


def test_a_case_on_hold_is_kept_for_now_and_the_applicant_never_sees_why(team):
    case, code = _withdrawn(days_ago=10)
    verified_client(team.cora).post(
        f"/staff/cases/{case.reference}/hold/", {"reason": "legal_proceedings"}
    )
    case.refresh_from_db()
    assert retention.deletion_date(case) is None
    page = _status(code)
    assert "kept for now" in page
    assert "will be deleted for good" not in page
    assert "legal" not in page.lower()
