"""The notifications page: each case-staff member chooses how they are told (immediately, a daily
digest, never) and in which language; coordinators choose who is on call. Every change is an
audit event naming the person by id and the new setting, nothing else."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.actions import Action
from audit.models import AuditEvent
from evacuation.models import NoticePreference
from evacuation.notifications import preferences
from tests.factories import make_staff, verified_client

pytestmark = pytest.mark.django_db

PAGE = "/staff/cases/notifications/"
ON_CALL = "/staff/cases/notifications/on-call/"
PUT_KIM = 'Put on call<span class="visually-hidden">: kim</span>'
TAKE_KIM = 'Take off call<span class="visually-hidden">: kim</span>'


def test_a_caseworker_chooses_the_daily_digest_in_russian_and_it_is_recorded(carla):
    client = verified_client(carla)
    page = client.get(PAGE).content.decode()
    # Told immediately until they choose otherwise.
    assert re.search(r'<input type="radio" name="mode" value="immediately"[^>]* checked', page)
    response = client.post(PAGE, {"mode": "digest", "language": "ru"})
    assert response.status_code == 302 and response["Location"] == PAGE
    preference = NoticePreference.objects.get(user=carla)
    assert (preference.mode, preference.language, preference.on_call) == ("digest", "ru", False)
    event = AuditEvent.objects.get(action=Action.NOTICE_PREFERENCE_CHANGED)
    assert event.actor_id == carla.pk and event.target_ref == str(carla.pk)
    assert event.data == {"mode": "digest", "language": "ru"}
    assert "Your choice is saved." in client.get(PAGE).content.decode()


def test_saving_the_same_choice_again_records_nothing(carla):
    client = verified_client(carla)
    client.post(PAGE, {"mode": "off", "language": "en"})
    client.post(PAGE, {"mode": "off", "language": "en"})
    assert AuditEvent.objects.filter(action=Action.NOTICE_PREFERENCE_CHANGED).count() == 1


@pytest.mark.parametrize(
    "form",
    [
        {"mode": "sometimes", "language": "en"},
        {"mode": "digest", "language": "de"},
        {"mode": "", "language": ""},
        {"language": "ru"},
    ],
)
def test_a_choice_the_page_does_not_offer_is_refused_and_changes_nothing(carla, form):
    client = verified_client(carla)
    response = client.post(PAGE, form)
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()
    assert not NoticePreference.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="notice.").exists()


def test_a_coordinator_puts_a_caseworker_on_call_and_takes_them_off(cora, kim):
    client = verified_client(cora)
    page = client.get(PAGE).content.decode()
    assert PUT_KIM in page
    assert client.post(ON_CALL, {"member": kim.pk, "on_call": "1"}).status_code == 302
    assert NoticePreference.objects.get(user=kim).on_call is True
    assert TAKE_KIM in client.get(PAGE).content.decode()
    client.post(ON_CALL, {"member": kim.pk, "on_call": "0"})
    assert NoticePreference.objects.get(user=kim).on_call is False
    events = AuditEvent.objects.filter(action=Action.NOTICE_ON_CALL_CHANGED).order_by("sequence")
    assert [(e.actor_id, e.target_ref, e.data) for e in events] == [
        (cora.pk, str(kim.pk), {"on_call": True}),
        (cora.pk, str(kim.pk), {"on_call": False}),
    ]


def test_a_caseworker_cannot_put_anyone_on_call(carla, kim):
    client = verified_client(carla)
    assert PUT_KIM not in client.get(PAGE).content.decode()
    assert client.post(ON_CALL, {"member": kim.pk, "on_call": "1"}).status_code == 403
    assert not NoticePreference.objects.exists()


def test_only_active_case_staff_can_be_put_on_call(cora, audrey):
    client = verified_client(cora)
    for member in (audrey.pk, 999999, "x"):
        response = client.post(ON_CALL, {"member": member, "on_call": "1"}, follow=True)
        assert "Choose an active caseworker or coordinator." in response.content.decode()
    assert not NoticePreference.objects.exists()


def test_the_page_is_in_russian_for_a_russian_session(carla):
    client = verified_client(carla)
    client.post("/i18n/setlang/", {"language": "ru", "next": PAGE})
    page = client.get(PAGE, headers={"accept-language": "ru"}).content.decode()
    assert "Уведомления" in page
    assert "Notifications" not in page.split("<main", 1)[-1]


def test_someone_on_call_by_the_settings_is_shown_so_and_cannot_be_toggled(cora, kim, settings):
    settings.NOTIFY_ON_CALL = ["kim"]
    page = verified_client(cora).get(PAGE).content.decode()
    assert "NOTIFY_ON_CALL" in page and PUT_KIM not in page


def test_the_page_takes_the_same_number_of_queries_for_a_larger_team(
    cora, kim, django_assert_num_queries
):
    client = verified_client(cora)
    client.get(PAGE)  # the session's first page settles what it caches

    def queries_for_page() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(PAGE).status_code == 200
        return len(captured)

    few = queries_for_page()
    for number in range(6):
        make_staff(username=f"extra{number}", role="coordinator" if number % 2 else "caseworker")
    preferences.on_call_set(actor=cora, member_id=kim.pk, on_call=True)
    with django_assert_num_queries(few):
        client.get(PAGE)
