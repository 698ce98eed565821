"""Issue 16, item 1: one admin can no longer satisfy four-eyes alone.

Nobody changes their own role or resets their own sign-in through the admin; no admin sets or
sees another person's password or second factor (an enrolment link instead); creating an
account, giving a role that can open cases, and any reset wait for a second admin."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import AccountChange, EnrolmentLink, Role, User
from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, make_staff, totp_code, verified_client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a passphrase only sock knows 77"
LINK = re.compile(r"https?://[^/<\s]+(/staff/enrol/[A-Za-z0-9_-]{20,}/)")


@pytest.fixture
def ada():
    """A second administrator."""
    return make_staff(username="ada", role=Role.ADMIN)


def _change_form(client, user, **fields):
    data = {"username": user.username, "role": user.role, "is_active": "on", **fields}
    return client.post(f"/admin/accounts/user/{user.pk}/change/", data, follow=True)


def _reset_action(client, user):
    return client.post(
        "/admin/accounts/user/",
        {"action": "reset_sign_in", "_selected_action": [str(user.pk)], "index": "0"},
        follow=True,
    )


def _decide(client, change, decision="confirm"):
    return client.post("/staff/account-changes/", {"change": change.pk, "decision": decision})


def _link_from(response) -> str:
    match = LINK.search(response.content.decode())
    assert match, "no enrolment link on the page"
    return match.group(1)


def _enrol_with_link(path: str, password: str = NEW_PASSWORD) -> tuple[Client, str]:
    """The person opens the link, sets their password and enrols their authenticator. Returns
    their signed-in client and the text of the pages they saw after the second factor."""
    person = Client()
    assert person.get(path).status_code == 200
    response = person.post(path, {"new_password": password, "new_password_again": password})
    assert response["Location"] == "/staff/login/enrol/"
    person.get("/staff/login/enrol/")
    device = TOTPDevice.objects.get(
        user__enrolment_links__token_hash__isnull=False, confirmed=False
    )
    shown = person.post("/staff/login/enrol/", {"token": totp_code(device)}).content.decode()
    shown += person.get("/staff/").content.decode()
    return person, shown


# --- 1. nobody changes their own role or resets their own sign-in -----------------------------


def test_an_admin_cannot_make_themself_a_coordinator_through_the_admin(adam):
    admin = verified_client(adam)
    page = _change_form(admin, adam, role=Role.COORDINATOR).content.decode()
    assert "You cannot change your own role" in page
    adam.refresh_from_db()
    assert adam.role == Role.ADMIN
    assert not AccountChange.objects.exists()
    assert not AuditEvent.objects.filter(action="staff.role_changed").exists()


def test_an_admin_cannot_reset_their_own_sign_in_through_the_admin(adam):
    admin = verified_client(adam)
    page = _reset_action(admin, adam).content.decode()
    assert "You cannot reset your own sign-in here" in page
    assert TOTPDevice.objects.filter(user=adam).exists()
    assert not AccountChange.objects.exists()


# --- 2. no admin sets or sees a password ------------------------------------------------------


def test_the_admin_pages_ask_no_password_and_offer_no_password_form(adam, carla):
    admin = verified_client(adam)
    add_page = admin.get("/admin/accounts/user/add/").content.decode()
    assert 'name="username"' in add_page
    assert 'type="password"' not in add_page and "password1" not in add_page
    change_page = admin.get(f"/admin/accounts/user/{carla.pk}/change/").content.decode()
    assert "/password/" not in change_page
    response = admin.post(
        f"/admin/accounts/user/{carla.pk}/password/",
        {"password1": "admin knows this 123", "password2": "admin knows this 123"},
    )
    assert response.status_code == 403
    carla.refresh_from_db()
    assert carla.check_password(DEFAULT_PASSWORD)


# --- 3. four eyes on accounts ------------------------------------------------------------------


def test_creating_an_account_waits_for_a_second_admin_then_gives_a_one_time_link(adam, ada):
    admin = verified_client(adam)
    response = admin.post("/admin/accounts/user/add/", {"username": "sock", "role": "caseworker"})
    assert response["Location"] == "/staff/account-changes/"
    assert not User.objects.filter(username="sock").exists()  # nothing yet
    change = AccountChange.objects.get(kind="create", username="sock")
    asked = AuditEvent.objects.get(action="account_change.requested")
    assert asked.actor_id == adam.pk and asked.data["kind"] == "create"

    # The asker cannot confirm their own request.
    refused = admin.post(
        "/staff/account-changes/", {"change": change.pk, "decision": "confirm"}, follow=True
    )
    assert "A second administrator must confirm" in refused.content.decode()
    assert not User.objects.filter(username="sock").exists()

    assert 'id="account-changes-waiting"' not in admin.get("/staff/").content.decode()
    second = verified_client(ada)
    assert "1 account change waits" in second.get("/staff/").content.decode()
    assert "sock" in second.get("/staff/account-changes/").content.decode()
    shown = _decide(second, change)
    assert shown.status_code == 200 and shown["Cache-Control"] == "no-store"
    path = _link_from(shown)
    sock = User.objects.get(username="sock")
    assert sock.role == Role.CASEWORKER and not sock.has_usable_password()
    token = path.rsplit("/", 2)[-2]
    stored = EnrolmentLink.objects.get(user=sock)
    assert stored.token_hash != token and token not in stored.token_hash
    assert (stored.expires_at - stored.created_at).total_seconds() == 24 * 3600
    # Shown once: the changes page does not show it again.
    assert path not in second.get("/staff/account-changes/").content.decode()
    assert AuditEvent.objects.filter(action="account_change.confirmed", actor_id=ada.pk).exists()
    assert AuditEvent.objects.filter(action="staff.created", target_ref=str(sock.pk)).exists()

    # Sock sets their own password and enrols their own authenticator; then they are told.
    _person, seen = _enrol_with_link(path)
    assert "An administrator created your account on" in seen
    sock.refresh_from_db()
    assert sock.check_password(NEW_PASSWORD)
    assert TOTPDevice.objects.filter(user=sock, confirmed=True).count() == 1
    assert AuditEvent.objects.filter(action="enrolment_link.used", actor_id=sock.pk).exists()
    # Told once only.
    assert (
        "created your account"
        not in verified_client(sock, NEW_PASSWORD).get("/staff/").content.decode()
    )
    # The link works once.
    again = Client().post(path, {"new_password": "x" * 20, "new_password_again": "x" * 20})
    assert again.status_code == 404
    assert "This link does not work" in again.content.decode()


def test_an_expired_link_does_not_work(adam, ada):
    change = AccountChange.objects.create(
        kind="create", username="late", role="caseworker", requested_by=adam, requested_at=_now()
    )
    path = _link_from(_decide(verified_client(ada), change))
    EnrolmentLink.objects.update(expires_at=_now())
    response = Client().get(path)
    assert response.status_code == 404
    assert 'name="new_password"' not in response.content.decode()


def test_giving_a_case_role_waits_for_a_second_admin_and_the_target_cannot_confirm(
    adam, ada, audrey
):
    admin = verified_client(adam)
    page = _change_form(admin, audrey, role=Role.COORDINATOR).content.decode()
    assert "takes effect when a second administrator confirms" in page
    audrey.refresh_from_db()
    assert audrey.role == Role.AUDITOR
    change = AccountChange.objects.get(kind="role", user=audrey, status="pending")

    # Promoting the other admin: that admin cannot confirm their own promotion.
    _change_form(admin, ada, role=Role.COORDINATOR)
    own = AccountChange.objects.get(kind="role", user=ada, status="pending")
    second = verified_client(ada)
    refused = second.post(
        "/staff/account-changes/", {"change": own.pk, "decision": "confirm"}, follow=True
    )
    assert "Nobody confirms a change to their own account" in refused.content.decode()
    ada.refresh_from_db()
    assert ada.role == Role.ADMIN

    done = _decide(second, change)
    assert done["Location"] == "/staff/account-changes/"
    audrey.refresh_from_db()
    assert audrey.role == Role.COORDINATOR and audrey.admin_changed_at is not None
    event = AuditEvent.objects.get(action="staff.role_changed", target_ref=str(audrey.pk))
    assert event.actor_id == ada.pk and event.data == {
        "old_role": "auditor",
        "new_role": "coordinator",
    }
    # Audrey is told at her next sign-in.
    home = verified_client(audrey).get("/staff/", follow=True).content.decode()
    assert "An administrator changed your role to Coordinator on" in home


def test_a_pending_change_can_be_cancelled_and_then_nothing_happens(adam, ada, audrey):
    _change_form(verified_client(adam), audrey, role=Role.CASEWORKER)
    change = AccountChange.objects.get(user=audrey, status="pending")
    _decide(verified_client(adam), change, "cancel")
    change.refresh_from_db()
    assert change.status == "cancelled"
    refused = verified_client(ada).post(
        "/staff/account-changes/", {"change": change.pk, "decision": "confirm"}, follow=True
    )
    assert "no longer waiting" in refused.content.decode()
    audrey.refresh_from_db()
    assert audrey.role == Role.AUDITOR
    assert AuditEvent.objects.filter(action="account_change.cancelled", actor_id=adam.pk).exists()


def test_a_reset_waits_then_the_old_password_and_factor_stop_and_a_link_is_given(adam, ada, cora):
    _reset_action(verified_client(adam), cora)
    change = AccountChange.objects.get(kind="reset", user=cora, status="pending")
    coras_session = verified_client(cora)  # still signs in as before until confirmed
    path = _link_from(_decide(verified_client(ada), change))
    assert coras_session.get("/staff/")["Location"].startswith("/staff/login/")  # signed out
    cora.refresh_from_db()
    assert not cora.has_usable_password()
    assert not TOTPDevice.objects.filter(user=cora).exists()
    refused = Client().post("/staff/login/", {"username": "cora", "password": DEFAULT_PASSWORD})
    assert refused.status_code == 200 and "did not work" in refused.content.decode()
    for action in ("password.reset", "staff.2fa_reset", "enrolment_link.issued"):
        assert AuditEvent.objects.get(action=action, target_ref=str(cora.pk)).actor_id == ada.pk
    _person, seen = _enrol_with_link(path)
    assert "An administrator reset your password and second factor on" in seen


def test_moving_someone_to_the_auditor_role_takes_effect_at_once(adam, carla):
    _change_form(verified_client(adam), carla, role=Role.AUDITOR)
    carla.refresh_from_db()
    assert carla.role == Role.AUDITOR and carla.admin_changed_at is not None
    assert AccountChange.objects.get(user=carla).status == "applied"


def test_a_single_admin_cannot_satisfy_four_eyes_alone(adam, carla):
    """The issue's scenario with one admin: the sock account and the self-promotion never
    happen; the command line (createstaff) stays the single admin's path."""
    admin = verified_client(adam)
    admin.post("/admin/accounts/user/add/", {"username": "sock", "role": "caseworker"})
    _change_form(admin, adam, role=Role.COORDINATOR)
    change = AccountChange.objects.get(username="sock")
    _decide(admin, change)
    assert not User.objects.filter(username="sock").exists()
    adam.refresh_from_db()
    assert adam.role == Role.ADMIN


def _now():
    from django.utils import timezone

    return timezone.now()


def test_the_new_pages_speak_russian(adam, ada, team):
    russian_admin = Client(HTTP_ACCEPT_LANGUAGE="ru")
    from tests.factories import sign_in

    sign_in(russian_admin, ada)
    change = AccountChange.objects.create(
        kind="create", username="nina", role="caseworker", requested_by=adam, requested_at=_now()
    )
    listing = russian_admin.get("/staff/account-changes/").content.decode()
    assert "Изменения учётных записей" in listing and "Создать учётную запись" in listing
    shown = _decide(russian_admin, change).content.decode()
    assert "Изменение подтверждено" in shown
    path = LINK.search(shown).group(1)
    page = Client(HTTP_ACCEPT_LANGUAGE="ru").get(path).content.decode()
    assert "Настройте свою учётную запись" in page and "Задать мой пароль" in page
    gone = Client(HTTP_ACCEPT_LANGUAGE="ru").get("/staff/enrol/" + "x" * 43 + "/")
    assert "Эта ссылка не действует" in gone.content.decode()
    look = sign_in(Client(HTTP_ACCEPT_LANGUAGE="ru"), team.audrey).get("/audit/look/")
    assert "Стоит проверить" in look.content.decode()


def test_asking_twice_is_refused_with_a_message_and_changes_nothing_more(adam, audrey, carla):
    admin = verified_client(adam)
    _change_form(admin, audrey, role=Role.COORDINATOR)
    page = _change_form(admin, audrey, role=Role.CASEWORKER).content.decode()
    assert "A role change for this account is already waiting" in page
    _reset_action(admin, carla)
    assert "A reset for carla is already waiting" in _reset_action(admin, carla).content.decode()
    admin.post("/admin/accounts/user/add/", {"username": "sock", "role": "caseworker"})
    again = admin.post("/admin/accounts/user/add/", {"username": "Sock", "role": "coordinator"})
    assert again.status_code == 200
    assert "is already waiting" in again.content.decode()
    assert AccountChange.objects.filter(status="pending").count() == 3


def test_an_account_enabled_again_starts_its_cooling_off_period(team):
    """An offboarded coordinator whom one administrator enables again may not approve funding
    at once: the cooling-off period starts, as for a created, re-roled or reset account."""
    from django.core.exceptions import ValidationError

    from evacuation.models import Case
    from evacuation.services import casework
    from tests.factories import case_in_state

    adam, cora, carla = team.adam, team.cora, team.carla
    admin = verified_client(adam)
    _change_form(admin, cora, is_active="")  # disabled (what offboarding does)
    cora.refresh_from_db()
    assert not cora.is_active and cora.admin_changed_at is None
    _change_form(admin, cora)  # enabled again
    cora.refresh_from_db()
    assert cora.is_active and cora.admin_changed_at is not None
    assert AuditEvent.objects.filter(action="staff.enabled", target_ref=str(cora.pk)).exists()
    case = case_in_state("proposed", assessor=carla)
    with pytest.raises(ValidationError) as refused:
        casework.funding_approve(case=Case.objects.get(pk=case.pk), actor=cora)
    assert "you may approve funding from" in " ".join(refused.value.messages)
    assert "you may approve funding from" in verified_client(cora).get("/staff/").content.decode()
