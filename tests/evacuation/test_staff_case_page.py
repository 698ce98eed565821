from __future__ import annotations

import pytest

from audit.models import AuditEvent
from evacuation.models import Case
from tests.factories import (
    Applicant,
    applicant_with,
    submit_intake,
    vault_ready,
    verified_client,
)
from vault.cases import case_keys_shred
from vault.org import grant_from_recovery

pytestmark = pytest.mark.django_db

NAME = "Personal Marker Ilya"


@pytest.fixture
def recovery() -> str:
    return vault_ready()


@pytest.fixture
def reference(recovery) -> str:
    reference, _code = submit_intake(name=NAME, urgency="now")
    return reference


def test_the_case_page_shows_facts_without_opening(reference, carla):
    client = verified_client(carla)
    page = client.get(f"/staff/cases/{reference}/").content.decode()
    assert reference in page and "Received" in page and "I am in danger now" in page
    assert NAME not in page
    assert not AuditEvent.objects.filter(action="case.opened").exists()


def test_a_caseworker_without_a_grant_is_told_so_and_sees_nothing_personal(reference, carla):
    client = verified_client(carla)  # the vault was initialised granting nobody
    response = client.post(f"/staff/cases/{reference}/", {"reason": "assess"}, follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your session cannot open case data" in page
    assert NAME not in page
    assert not AuditEvent.objects.filter(action="case.opened").exists()


def test_a_granted_caseworker_whose_key_was_not_unlocked_sees_nothing(
    reference, recovery, carla, settings
):
    grant_from_recovery(grantee=carla, recovery_secret=recovery)
    client = verified_client(carla)
    client.cookies.pop(settings.VAULT_SESSION_COOKIE_NAME)  # the sessions table alone is not enough
    page = client.post(
        f"/staff/cases/{reference}/", {"reason": "assess"}, follow=True
    ).content.decode()
    assert "Your session cannot open case data" in page
    assert NAME not in page


@pytest.mark.parametrize("who", ["audrey", "adam"])  # the auditor and the admin
def test_auditors_and_admins_cannot_see_or_open_cases(reference, recovery, request, who):
    user = request.getfixturevalue(who)
    grant_from_recovery(grantee=user, recovery_secret=recovery)  # even holding the key
    client = verified_client(user)
    assert client.get(f"/staff/cases/{reference}/").status_code == 403
    response = client.post(f"/staff/cases/{reference}/", {"reason": "assess"}, follow=True)
    assert response.status_code == 403
    assert NAME not in response.content.decode()
    assert client.get("/staff/cases/").status_code == 403


def test_strangers_are_sent_to_sign_in(reference):
    from django.test import Client

    response = Client().get(f"/staff/cases/{reference}/")
    assert response.status_code == 302 and response["Location"].startswith("/staff/login/")


def test_the_queue_lists_cases_without_personal_data(reference, cora):
    client = verified_client(cora)
    page = client.get("/staff/cases/").content.decode()
    assert reference in page
    assert NAME not in page


def test_an_unknown_reference_is_a_plain_404(reference, carla):
    client = verified_client(carla)
    assert client.get("/staff/cases/EV-ZZZZ-ZZ/").status_code == 404


def test_a_ciphertext_copied_onto_another_case_does_not_open(reference, recovery, carla):
    other_ref, _code = submit_intake(name="Other Person Marker")
    Case.objects.filter(reference=other_ref).update(
        payload=Case.objects.get(reference=reference).payload
    )
    grant_from_recovery(grantee=carla, recovery_secret=recovery)
    page = verified_client(carla).post(
        f"/staff/cases/{other_ref}/", {"reason": "assess"}, follow=True
    )
    text = page.content.decode()
    assert page.status_code == 200
    # The request is not the one recorded when the case arrived: shown as tampering, on record.
    assert "does not match what was recorded when it arrived" in text
    assert NAME not in text and "Other Person Marker" not in text
    assert not AuditEvent.objects.filter(action="case.opened").exists()
    found = AuditEvent.objects.get(action="case.tampering_found")
    assert (found.target_ref, found.data, found.actor) == (other_ref, {"what": "request"}, carla)


def test_a_shredded_case_says_it_cannot_be_opened(reference, recovery, carla):
    case = Case.objects.get(reference=reference)
    case_keys_shred(case_uid=str(case.uid))
    grant_from_recovery(grantee=carla, recovery_secret=recovery)
    page = verified_client(carla).post(
        f"/staff/cases/{reference}/", {"reason": "assess"}, follow=True
    )
    assert page.status_code == 200
    assert "cannot be opened" in page.content.decode()


def test_what_the_applicant_added_later_shows_only_in_an_opened_case(recovery, carla):
    reference, code = Applicant().submit(name=NAME)
    addition = "Marker addition: my sister travels with me"
    applicant = applicant_with(code)
    applicant.act("add", text=addition)
    assert "What you added is sent." in applicant.page
    grant_from_recovery(grantee=carla, recovery_secret=recovery)
    client = verified_client(carla)
    assert addition not in client.get(f"/staff/cases/{reference}/").content.decode()
    opened = client.post(
        f"/staff/cases/{reference}/", {"reason": "assess"}, follow=True
    ).content.decode()
    assert "Added by the applicant later" in opened
    assert addition in opened and NAME in opened
