from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import logout

from tests.factories import (
    DEFAULT_PASSWORD,
    VaultBrowser,
    case_key,
    holds_current_grant,
    vault_ready,
)
from vault import session, staff
from vault.errors import NoGrant, VaultLocked, WrongPassword
from vault.models import StaffKey
from vault.org import grant_revoke

pytestmark = pytest.mark.django_db

COOKIE = "sp_vault_key"


@pytest.fixture
def case(carla):
    """A case only Carla's grant opens: the vault grants nobody else, Kim included."""
    vault_ready(carla)
    uid = str(uuid.uuid4())
    cipher, _code = case_key(uid)
    return uid, cipher.encrypt("intake", b"Marker-CARLA")


def open_case(uid, blob):
    return lambda request: (
        session.staff_keys(request).case_cipher(uid, opening=True).decrypt("intake", blob)
    )


def test_a_granted_staff_member_opens_cases_after_both_sign_in_steps(carla, case):
    browser = VaultBrowser(carla)
    assert browser.sign_in() is True
    assert browser.run(lambda r: session.staff_keys(r).is_unlocked()) is True
    assert browser.run(open_case(*case)) == b"Marker-CARLA"


def test_the_password_step_alone_opens_nothing(carla, case):
    browser = VaultBrowser(carla)
    browser.run(lambda r: session.unlock_begin(r, user=carla, password=DEFAULT_PASSWORD))
    assert browser.run(lambda r: session.staff_keys(r).is_unlocked()) is False
    with pytest.raises(VaultLocked):
        browser.run(open_case(*case))


def test_the_key_cookie_is_httponly_strict_and_secure_when_sessions_are(carla, case, settings):
    settings.SESSION_COOKIE_SECURE = True
    browser = VaultBrowser(carla)
    browser.run(lambda r: session.unlock_begin(r, user=carla, password=DEFAULT_PASSWORD))
    cookie = browser.last_response.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert len(cookie.value) == 43  # 256 random bits, base64


def test_without_the_cookie_the_session_opens_nothing(carla, case):
    browser = VaultBrowser(carla)
    browser.sign_in()
    assert browser.run(lambda r: session.staff_keys(r).is_unlocked(), with_cookies=False) is False
    with pytest.raises(VaultLocked):
        browser.run(open_case(*case), with_cookies=False)


def test_a_forged_cookie_opens_nothing(carla, case):
    browser = VaultBrowser(carla)
    browser.sign_in()
    browser.cookies[COOKIE] = "A" * 43
    with pytest.raises(VaultLocked):
        browser.run(open_case(*case))


def test_another_user_cannot_use_a_session_someone_else_unlocked(carla, kim, case):
    browser = VaultBrowser(carla)
    browser.sign_in()
    with pytest.raises(VaultLocked):
        browser.run(open_case(*case), user=kim)


def test_a_staff_member_without_a_grant_stays_locked_and_loses_the_cookie(kim, case):
    browser = VaultBrowser(kim)
    assert browser.sign_in() is False
    assert COOKIE not in browser.cookies
    assert session.SESSION_KEY not in browser.session
    with pytest.raises(NoGrant):
        browser.run(open_case(*case))


def test_a_withdrawn_grant_stops_an_unlocked_session_at_once(carla, case):
    browser = VaultBrowser(carla)
    browser.sign_in()
    grant_revoke(grantee=carla)
    with pytest.raises(NoGrant):
        browser.run(open_case(*case))


def test_logout_forgets_the_key_and_deletes_the_cookie(carla, case):
    browser = VaultBrowser(carla)
    browser.sign_in()
    assert COOKIE in browser.cookies
    browser.run(logout)
    assert COOKIE not in browser.cookies
    assert browser.last_response.cookies[COOKIE].value == ""
    assert session.SESSION_KEY not in browser.session


def test_a_cookie_left_over_from_an_expired_session_is_deleted(carla, case):
    browser = VaultBrowser(carla)
    browser.sign_in()
    browser.session.flush()
    browser.run()
    assert COOKIE not in browser.cookies


def test_a_password_change_keeps_the_grant(carla, case):
    kept = staff.personal_key_rewrap(
        user=carla, old_password=DEFAULT_PASSWORD, new_password="a new long passphrase 77"
    )
    assert kept is True
    assert holds_current_grant(carla)
    browser = VaultBrowser(carla)
    assert browser.sign_in("a new long passphrase 77") is True
    assert browser.run(open_case(*case)) == b"Marker-CARLA"
    with pytest.raises(WrongPassword):
        staff.personal_key_open(user=carla, password=DEFAULT_PASSWORD)


def test_a_password_change_over_a_key_the_old_password_cannot_open_makes_a_new_key(carla, case):
    kept = staff.personal_key_rewrap(
        user=carla, old_password="not the one", new_password="a new long passphrase 77"
    )
    assert kept is False
    assert not holds_current_grant(carla)
    assert staff.personal_key_open(user=carla, password="a new long passphrase 77")


def test_an_admin_password_reset_drops_the_grant_until_granted_again(carla, case):
    assert staff.personal_key_create(user=carla, password="reset by admin 12345") == 1
    assert not holds_current_grant(carla)
    assert VaultBrowser(carla).sign_in("reset by admin 12345") is False


def test_a_password_set_outside_the_vault_gives_a_new_key_without_grants(carla, case):
    carla.set_password("changed behind the vault 1")
    carla.save()
    browser = VaultBrowser(carla)
    intact = browser.run(
        lambda r: session.unlock_begin(r, user=carla, password="changed behind the vault 1")
    )
    assert intact is False
    assert browser.run(session.unlock_complete) is False
    assert not holds_current_grant(carla)


def test_an_auditor_without_a_grant_opens_nothing(audrey, case):
    browser = VaultBrowser(audrey)
    assert browser.sign_in() is False
    with pytest.raises(NoGrant):
        browser.run(open_case(*case))


def test_a_session_whose_second_factor_is_not_verified_opens_nothing(carla, case):
    browser = VaultBrowser(carla)
    browser.sign_in()
    carla.is_verified = lambda: False  # as django-otp marks a user without a passed device
    with pytest.raises(VaultLocked):
        browser.run(open_case(*case))


def test_signing_in_rewraps_a_personal_key_made_with_weaker_argon2_settings(carla, case, settings):
    settings.VAULT_ARGON2_MEMORY_KIB = 2048
    assert VaultBrowser(carla).sign_in() is True
    assert StaffKey.objects.get(user=carla).argon2_memory_kib == 2048
    assert VaultBrowser(carla).sign_in() is True


def test_completing_the_unlock_twice_keeps_it_unlocked(carla, case):
    browser = VaultBrowser(carla)
    assert browser.sign_in() is True
    assert browser.run(session.unlock_complete) is True
    assert browser.run(open_case(*case)) == b"Marker-CARLA"
