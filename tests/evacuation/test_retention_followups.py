"""An open follow-up holds a case against the retention purge until it is done or dismissed
(issue 19, item 6); the applicant's own "delete everything" is still only held by a hold."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from evacuation.models import Case
from evacuation.services import followups, retention
from tests.factories import (
    applicant_with,
    purge_expired,
    staff_case_page,
    verified_client,
    withdrawn_case,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("team")]


def test_an_open_follow_up_holds_an_ended_case_until_it_is_done(carla):
    case, _code = withdrawn_case(days_ago=91)
    followup = followups.followup_set(case=case, actor=carla, due_on=timezone.localdate())
    assert not retention.retention_due().filter(pk=case.pk).exists()
    assert retention.deletion_date(case) is None
    assert "0 case(s) purged." in purge_expired()
    case.refresh_from_db()
    assert not case.is_purged
    page = staff_case_page(verified_client(carla), case.reference)
    assert "data from being deleted until it is done or dismissed" in page
    assert "Its personal data is kept while a follow-up on it is open." in page
    followups.followup_close(case=case, actor=carla, followup_id=followup.pk, outcome="done")
    assert retention.deletion_date(case) is not None
    assert "1 case(s) purged." in purge_expired()
    case.refresh_from_db()
    assert case.is_purged


def test_a_dismissed_follow_up_holds_nothing(carla):
    case, _code = withdrawn_case(days_ago=91)
    followup = followups.followup_set(case=case, actor=carla, due_on=timezone.localdate())
    followups.followup_close(case=case, actor=carla, followup_id=followup.pk, outcome="dismissed")
    assert retention.retention_due().filter(pk=case.pk).exists()


def test_an_untouched_request_with_a_follow_up_is_kept(carla, settings):
    case, _code = withdrawn_case(days_ago=0)
    Case.objects.filter(pk=case.pk).update(state="received")  # an old, untouched request
    Case.objects.filter(pk=case.pk).update(
        created_at=timezone.now() - timedelta(days=settings.UNTOUCHED_DAYS + 1)
    )
    assert retention.retention_due().filter(pk=case.pk).exists()
    followups.followup_set(case=case, actor=carla, due_on=timezone.localdate())
    assert not retention.retention_due().filter(pk=case.pk).exists()


def test_the_applicants_request_to_delete_everything_is_not_held_by_a_follow_up(carla):
    case, code = withdrawn_case(days_ago=1)
    followups.followup_set(case=case, actor=carla, due_on=timezone.localdate())
    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    applicant.act("withdraw_delete")
    case.refresh_from_db()
    assert case.is_purged
