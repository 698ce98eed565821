from __future__ import annotations

import uuid

import pytest
from django.contrib.auth import logout

from accounts.models import Role
from tests.factories import DEFAULT_PASSWORD, VaultBrowser, make_staff, vault_ready
from vault import cases, session, staff
from vault.errors import NoGrant, VaultLocked, WrongPassword
from vault.models import StaffKey
from vault.org import grant_revoke

pytestmark = pytest.mark.django_db

COOKIE = "sp_vault_key"


@pytest.fixture
def alice():
    return make_staff(username="alice", totp=False)


@pytest.fixture
def case(alice):
    vault_ready(alice)
    uid = str(uuid.uuid4())
    cipher = cases.case_key_create(case_uid=uid, receipt_code=cases.receipt_code_new())
    return uid, cipher.encrypt("intake", b"Marker-ALICE")


def open_case(uid, blob):
    return lambda request: session.staff_keys(request).case_cipher(uid).decrypt("intake", blob)


def test_a_granted_staff_member_opens_cases_after_both_sign_in_steps(alice, case):
    browser = VaultBrowser(alice)
    assert browser.sign_in() is True
    assert browser.run(lambda r: session.staff_keys(r).is_unlocked()) is True
    assert browser.run(open_case(*case)) == b"Marker-ALICE"


def test_the_password_step_alone_opens_nothing(alice, case):
    browser = VaultBrowser(alice)
    browser.run(lambda r: session.unlock_begin(r, user=alice, password=DEFAULT_PASSWORD))
    assert browser.run(lambda r: session.staff_keys(r).is_unlocked()) is False
    with pytest.raises(VaultLocked):
        browser.run(open_case(*case))


def test_the_key_cookie_is_httponly_strict_and_secure_when_sessions_are(alice, case, settings):
    settings.SESSION_COOKIE_SECURE = True
    browser = VaultBrowser(alice)
    browser.run(lambda r: session.unlock_begin(r, user=alice, password=DEFAULT_PASSWORD))
    cookie = browser.last_response.cookies[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Strict"
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert len(cookie.value) == 43  # 256 random bits, base64


def test_without_the_cookie_the_session_opens_nothing(alice, case):
    browser = VaultBrowser(alice)
    browser.sign_in()
    assert browser.run(lambda r: session.staff_keys(r).is_unlocked(), with_cookies=False) is False
    with pytest.raises(VaultLocked):
        browser.run(open_case(*case), with_cookies=False)


def test_a_forged_cookie_opens_nothing(alice, case):
    browser = VaultBrowser(alice)
    browser.sign_in()
    browser.cookies[COOKIE] = "A" * 43
    with pytest.raises(VaultLocked):
        browser.run(open_case(*case))


def test_another_user_cannot_use_a_session_someone_else_unlocked(alice, case):
    bob = make_staff(username="bob", totp=False)
    browser = VaultBrowser(alice)
    browser.sign_in()
    with pytest.raises(VaultLocked):
        browser.run(open_case(*case), user=bob)


def test_a_staff_member_without_a_grant_stays_locked_and_loses_the_cookie(alice, case):
    bob = make_staff(username="bob", totp=False)
    browser = VaultBrowser(bob)
    assert browser.sign_in() is False
    assert COOKIE not in browser.cookies
    assert session.SESSION_KEY not in browser.session
    with pytest.raises(NoGrant):
        browser.run(open_case(*case))


def test_a_withdrawn_grant_stops_an_unlocked_session_at_once(alice, case):
    browser = VaultBrowser(alice)
    browser.sign_in()
    grant_revoke(grantee=alice)
    with pytest.raises(NoGrant):
        browser.run(open_case(*case))


def test_logout_forgets_the_key_and_deletes_the_cookie(alice, case):
    browser = VaultBrowser(alice)
    browser.sign_in()
    assert COOKIE in browser.cookies
    browser.run(logout)
    assert COOKIE not in browser.cookies
    assert browser.last_response.cookies[COOKIE].value == ""
    assert session.SESSION_KEY not in browser.session


def test_a_cookie_left_over_from_an_expired_session_is_deleted(alice, case):
    browser = VaultBrowser(alice)
    browser.sign_in()
    browser.session.flush()
    browser.run()
    assert COOKIE not in browser.cookies


def test_a_password_change_keeps_the_grant(alice, case):
    kept = staff.personal_key_rewrap(
        user=alice, old_password=DEFAULT_PASSWORD, new_password="a new long passphrase 77"
    )
    assert kept is True
    assert staff.has_grant(alice)
    browser = VaultBrowser(alice)
    assert browser.sign_in("a new long passphrase 77") is True
    assert browser.run(open_case(*case)) == b"Marker-ALICE"
    with pytest.raises(WrongPassword):
        staff.personal_key_open(user=alice, password=DEFAULT_PASSWORD)


def test_a_password_change_over_a_key_the_old_password_cannot_open_makes_a_new_key(alice, case):
    kept = staff.personal_key_rewrap(
        user=alice, old_password="not the one", new_password="a new long passphrase 77"
    )
    assert kept is False
    assert not staff.has_grant(alice)
    assert staff.personal_key_open(user=alice, password="a new long passphrase 77")


def test_an_admin_password_reset_drops_the_grant_until_granted_again(alice, case):
    assert staff.personal_key_create(user=alice, password="reset by admin 12345") == 1
    assert not staff.has_grant(alice)
    assert VaultBrowser(alice).sign_in("reset by admin 12345") is False


def test_a_password_set_outside_the_vault_gives_a_new_key_without_grants(alice, case):
    alice.set_password("changed behind the vault 1")
    alice.save()
    browser = VaultBrowser(alice)
    intact = browser.run(
        lambda r: session.unlock_begin(r, user=alice, password="changed behind the vault 1")
    )
    assert intact is False
    assert browser.run(session.unlock_complete) is False
    assert not staff.has_grant(alice)


def test_an_auditor_without_a_grant_opens_nothing(case):
    auditor = make_staff(username="carol", role=Role.AUDITOR, totp=False)
    browser = VaultBrowser(auditor)
    assert browser.sign_in() is False
    with pytest.raises(NoGrant):
        browser.run(open_case(*case))


def test_a_session_whose_second_factor_is_not_verified_opens_nothing(alice, case):
    browser = VaultBrowser(alice)
    browser.sign_in()
    alice.is_verified = lambda: False  # as django-otp marks a user without a passed device
    with pytest.raises(VaultLocked):
        browser.run(open_case(*case))


def test_signing_in_rewraps_a_personal_key_made_with_weaker_argon2_settings(alice, case, settings):
    settings.VAULT_ARGON2_MEMORY_KIB = 2048
    assert VaultBrowser(alice).sign_in() is True
    assert StaffKey.objects.get(user=alice).argon2_memory_kib == 2048
    assert VaultBrowser(alice).sign_in() is True


def test_completing_the_unlock_twice_keeps_it_unlocked(alice, case):
    browser = VaultBrowser(alice)
    assert browser.sign_in() is True
    assert browser.run(session.unlock_complete) is True
    assert browser.run(open_case(*case)) == b"Marker-ALICE"
