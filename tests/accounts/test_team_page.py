"""The coordinator's team page: who holds the key to case data, and granting it."""

from __future__ import annotations

import pytest

from accounts.models import Role, User
from audit.models import AuditEvent
from tests.factories import make_staff, submit_intake, vault_ready, verified_client
from vault.models import OrgKeyGrant

pytestmark = pytest.mark.django_db

NAME = "Personal Marker Olesya"


@pytest.fixture
def carol() -> User:
    return make_staff(username="carol", role=Role.COORDINATOR)


@pytest.fixture
def bob() -> User:
    return make_staff(username="bob", role=Role.CASEWORKER)


def open_case(client, reference: str) -> str:
    return client.post(f"/staff/cases/{reference}/", {"reason": "assess"}).content.decode()


def test_a_coordinator_grants_a_caseworker_who_can_open_cases_after_signing_in_again(carol, bob):
    vault_ready(carol)
    reference, _code = submit_intake(name=NAME)
    bobs_first_session = verified_client(bob)
    assert NAME not in open_case(bobs_first_session, reference)

    coordinator = verified_client(carol)
    page = coordinator.get("/staff/team/").content.decode()
    assert "bob" in page and "No access" in page and "Grant access to bob" in page
    response = coordinator.post("/staff/team/", {"grantee": bob.pk}, follow=True)

    assert "bob now has access to case data" in response.content.decode()
    assert "Has access" in coordinator.get("/staff/team/").content.decode()
    events = AuditEvent.objects.filter(action="key.granted", target_ref=str(bob.pk))
    assert [(e.actor_id, e.data) for e in events] == [(carol.pk, {"version": 1, "via": "session"})]
    assert NAME in open_case(verified_client(bob), reference)


def test_granting_someone_who_already_has_access_changes_nothing(carol, bob):
    vault_ready(carol, bob)
    response = verified_client(carol).post("/staff/team/", {"grantee": bob.pk}, follow=True)
    assert "bob already has access" in response.content.decode()
    assert not AuditEvent.objects.filter(action="key.granted").exists()


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.AUDITOR, Role.ADMIN])
def test_staff_who_may_not_grant_are_refused_both_the_page_and_the_button(role, bob):
    vault_ready(bob)
    other = make_staff(username="mallory", role=Role.CASEWORKER)
    client = verified_client(make_staff(username=f"{role}-user", role=role))
    assert client.get("/staff/team/").status_code == 403
    assert client.post("/staff/team/", {"grantee": other.pk}).status_code == 403
    assert not OrgKeyGrant.objects.filter(user=other).exists()


def test_a_coordinator_whose_session_holds_no_key_is_told_so_and_nothing_changes(carol, bob):
    vault_ready()  # nobody holds a grant, carol included
    client = verified_client(carol)
    page = client.get("/staff/team/").content.decode()
    assert "Your session does not hold the key to case data" in page
    assert "Grant access to bob" not in page

    response = client.post("/staff/team/", {"grantee": bob.pk}, follow=True)

    assert "Your session does not hold the key to case data" in response.content.decode()
    assert not OrgKeyGrant.objects.exists()
    assert not AuditEvent.objects.filter(action="key.granted").exists()


@pytest.mark.parametrize("grantee", ["", "not-a-number", "999999", "self", "auditor"])
def test_a_bad_grantee_gets_a_form_message_and_nothing_changes(carol, grantee):
    vault_ready(carol)
    auditor = make_staff(username="audrey", role=Role.AUDITOR)
    value = {"self": carol.pk, "auditor": auditor.pk}.get(grantee, grantee)
    response = verified_client(carol).post("/staff/team/", {"grantee": value})
    assert response.status_code == 200
    assert 'class="errorlist' in response.content.decode()
    assert OrgKeyGrant.objects.count() == 1  # carol's own


def test_the_coordinators_menu_and_home_page_link_to_the_team_page(carol):
    page = verified_client(carol).get("/staff/").content.decode()
    assert 'href="/staff/team/"' in page


def test_disabling_an_account_in_the_admin_revokes_its_grants_and_records_it(bob):
    vault_ready(bob)
    admin = verified_client(make_staff(username="root", role=Role.ADMIN))
    bobs_session = verified_client(bob)
    reference, _code = submit_intake(name=NAME)
    assert NAME in open_case(bobs_session, reference)

    response = admin.post(
        f"/admin/accounts/user/{bob.pk}/change/", {"username": "bob", "role": "caseworker"}
    )

    assert response.status_code == 302
    bob.refresh_from_db()
    assert not bob.is_active
    assert not OrgKeyGrant.objects.filter(user=bob).exists()
    revoked = AuditEvent.objects.get(action="key.revoked", target_ref=str(bob.pk))
    assert revoked.data == {"reason": "disabled"}
    disabled = AuditEvent.objects.get(action="staff.disabled", target_ref=str(bob.pk))
    assert disabled.sequence < revoked.sequence
    assert NAME not in open_case(bobs_session, reference)


def test_moving_someone_to_a_role_that_opens_no_cases_revokes_their_grants(bob):
    vault_ready(bob)
    admin = verified_client(make_staff(username="root", role=Role.ADMIN))
    admin.post(
        f"/admin/accounts/user/{bob.pk}/change/",
        {"username": "bob", "role": "auditor", "is_active": "on"},
    )
    assert not OrgKeyGrant.objects.filter(user=bob).exists()
    revoked = AuditEvent.objects.get(action="key.revoked", target_ref=str(bob.pk))
    assert revoked.data == {"reason": "role_changed"}


def test_an_admin_password_reset_records_that_the_grants_lapsed(bob):
    from accounts.services import password_reset_by_admin

    vault_ready(bob)
    root = make_staff(username="root", role=Role.ADMIN)
    password_reset_by_admin(user=bob, new_password="another long passphrase 9", actor=root)
    assert not OrgKeyGrant.objects.filter(user=bob).exists()
    revoked = AuditEvent.objects.get(action="key.revoked", target_ref=str(bob.pk))
    assert revoked.data == {"reason": "password_reset"}
