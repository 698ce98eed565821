"""The coordinator's team page: who holds the key to case data, and granting it."""

from __future__ import annotations

import pytest

from audit.models import AuditEvent
from tests.factories import request_sent, vault_ready, verified_client
from vault.models import OrgKeyGrant

pytestmark = pytest.mark.django_db

NAME = "Personal Marker Olesya"


def open_case(client, reference: str) -> str:
    return client.post(
        f"/staff/cases/{reference}/", {"reason": "assess"}, follow=True
    ).content.decode()


def test_a_coordinator_grants_a_caseworker_who_can_open_cases_after_signing_in_again(cora, carla):
    vault_ready(cora)
    reference, _code = request_sent(name=NAME)
    carlas_first_session = verified_client(carla)
    assert NAME not in open_case(carlas_first_session, reference)

    coordinator = verified_client(cora)
    page = coordinator.get("/staff/team/").content.decode()
    assert "carla" in page and "No access" in page and "Grant access to carla" in page
    response = coordinator.post("/staff/team/", {"grantee": carla.pk}, follow=True)

    assert "carla now has access to case data" in response.content.decode()
    assert "Has access" in coordinator.get("/staff/team/").content.decode()
    events = AuditEvent.objects.filter(action="key.granted", target_ref=str(carla.pk))
    assert [(e.actor_id, e.data) for e in events] == [(cora.pk, {"version": 1, "via": "session"})]
    assert NAME in open_case(verified_client(carla), reference)


def test_granting_someone_who_already_has_access_changes_nothing(cora, carla):
    vault_ready(cora, carla)
    response = verified_client(cora).post("/staff/team/", {"grantee": carla.pk}, follow=True)
    assert "carla already has access" in response.content.decode()
    assert not AuditEvent.objects.filter(action="key.granted").exists()


@pytest.mark.parametrize("who", ["carla", "audrey", "adam"])  # a caseworker, an auditor, an admin
def test_staff_who_may_not_grant_are_refused_both_the_page_and_the_button(request, who, carla, kim):
    vault_ready(carla)  # kim holds no grant
    client = verified_client(request.getfixturevalue(who))
    assert client.get("/staff/team/").status_code == 403
    assert client.post("/staff/team/", {"grantee": kim.pk}).status_code == 403
    assert not OrgKeyGrant.objects.filter(user=kim).exists()


def test_a_coordinator_whose_session_holds_no_key_is_told_so_and_nothing_changes(cora, carla):
    vault_ready()  # nobody holds a grant, cora included
    client = verified_client(cora)
    page = client.get("/staff/team/").content.decode()
    assert "Your session does not hold the key to case data" in page
    assert "Grant access to carla" not in page

    response = client.post("/staff/team/", {"grantee": carla.pk}, follow=True)

    assert "Your session does not hold the key to case data" in response.content.decode()
    assert not OrgKeyGrant.objects.exists()
    assert not AuditEvent.objects.filter(action="key.granted").exists()


@pytest.mark.parametrize("grantee", ["", "not-a-number", "999999", "self", "auditor"])
def test_a_bad_grantee_gets_a_form_message_and_nothing_changes(cora, audrey, grantee):
    vault_ready(cora)
    value = {"self": cora.pk, "auditor": audrey.pk}.get(grantee, grantee)
    response = verified_client(cora).post("/staff/team/", {"grantee": value})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert OrgKeyGrant.objects.count() == 1  # cora's own


def test_the_coordinators_menu_and_home_page_link_to_the_team_page(cora):
    page = verified_client(cora).get("/staff/").content.decode()
    assert 'href="/staff/team/"' in page


def test_disabling_an_account_in_the_admin_revokes_its_grants_and_records_it(carla, adam):
    vault_ready(carla)
    admin = verified_client(adam)
    carlas_session = verified_client(carla)
    reference, _code = request_sent(name=NAME)
    assert NAME in open_case(carlas_session, reference)

    response = admin.post(
        f"/admin/accounts/user/{carla.pk}/change/", {"username": "carla", "role": "caseworker"}
    )

    assert response.status_code == 302
    carla.refresh_from_db()
    assert not carla.is_active
    assert not OrgKeyGrant.objects.filter(user=carla).exists()
    revoked = AuditEvent.objects.get(action="key.revoked", target_ref=str(carla.pk))
    assert revoked.data == {"reason": "disabled"}
    disabled = AuditEvent.objects.get(action="staff.disabled", target_ref=str(carla.pk))
    assert disabled.sequence < revoked.sequence
    assert NAME not in open_case(carlas_session, reference)


def test_moving_someone_to_a_role_that_opens_no_cases_revokes_their_grants(carla, adam):
    vault_ready(carla)
    admin = verified_client(adam)
    admin.post(
        f"/admin/accounts/user/{carla.pk}/change/",
        {"username": "carla", "role": "auditor", "is_active": "on"},
    )
    assert not OrgKeyGrant.objects.filter(user=carla).exists()
    revoked = AuditEvent.objects.get(action="key.revoked", target_ref=str(carla.pk))
    assert revoked.data == {"reason": "role_changed"}


def test_an_admin_password_reset_records_that_the_grants_lapsed(carla, adam):
    from accounts.services import password_reset_by_admin

    vault_ready(carla)
    password_reset_by_admin(user=carla, new_password="another long passphrase 9", actor=adam)
    assert not OrgKeyGrant.objects.filter(user=carla).exists()
    revoked = AuditEvent.objects.get(action="key.revoked", target_ref=str(carla.pk))
    assert revoked.data == {"reason": "password_reset"}
