from __future__ import annotations

import pytest

from tests.factories import VaultBrowser, make_staff, vault_ready
from vault import session, staff
from vault.errors import NoPersonalKey, VaultError, VaultLocked, WrongRecoverySecret
from vault.models import OrgKeyGrant, StaffKey
from vault.org import grant_from_recovery, grant_from_session, grant_revoke

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator():
    return make_staff(username="cora", totp=False)


def test_a_coordinator_with_an_unlocked_session_grants_without_anyones_password(coordinator):
    vault_ready(coordinator)
    dan = make_staff(username="dan", totp=False)
    browser = VaultBrowser(coordinator)
    browser.sign_in()
    assert browser.run(lambda r: grant_from_session(keys=session.staff_keys(r), grantee=dan)) == 1
    assert staff.has_grant(dan)
    assert VaultBrowser(dan).sign_in() is True


def test_granting_needs_an_unlocked_session(coordinator):
    vault_ready(coordinator)
    dan = make_staff(username="dan", totp=False)
    browser = VaultBrowser(coordinator)  # never signed in
    with pytest.raises(VaultLocked):
        browser.run(lambda r: grant_from_session(keys=session.staff_keys(r), grantee=dan))
    assert not staff.has_grant(dan)


def test_a_staff_member_without_a_grant_cannot_pass_one_on(coordinator):
    vault_ready()
    dan = make_staff(username="dan", totp=False)
    browser = VaultBrowser(coordinator)
    browser.sign_in()
    with pytest.raises(VaultLocked):
        browser.run(lambda r: grant_from_session(keys=session.staff_keys(r), grantee=dan))


def test_a_grant_is_sealed_to_one_person_and_cannot_be_moved_to_another(coordinator):
    vault_ready(coordinator)
    eve = make_staff(username="eve", totp=False)
    stolen = OrgKeyGrant.objects.get(user=coordinator)
    OrgKeyGrant.objects.create(user=eve, org_key_id=1, sealed=stolen.sealed, via="session")
    assert VaultBrowser(eve).sign_in() is False


def test_the_recovery_secret_grants_and_a_wrong_one_does_not(coordinator):
    secret = vault_ready()
    with pytest.raises(WrongRecoverySecret):
        grant_from_recovery(grantee=coordinator, recovery_secret="AAAA-" * 12 + "AAAA")
    with pytest.raises(WrongRecoverySecret):
        grant_from_recovery(grantee=coordinator, recovery_secret="not a secret")
    assert grant_from_recovery(grantee=coordinator, recovery_secret=secret) == 1
    assert staff.has_grant(coordinator)


def test_granting_to_someone_without_a_personal_key_is_refused(coordinator):
    secret = vault_ready()
    StaffKey.objects.filter(user=coordinator).delete()
    with pytest.raises(NoPersonalKey):
        grant_from_recovery(grantee=coordinator, recovery_secret=secret)


def test_revoking_removes_every_grant(coordinator):
    vault_ready(coordinator)
    assert grant_revoke(grantee=coordinator) == 1
    assert not staff.has_grant(coordinator)
    assert VaultBrowser(coordinator).sign_in() is False


class _KeysOfAnotherVault:
    """A session that holds a private key, but not the one whose public half is on record."""

    def org_keys(self) -> dict[int, bytes]:
        return {1: b"\x00" * 96}


def test_a_private_key_that_does_not_match_the_public_key_on_record_is_never_granted(coordinator):
    vault_ready()
    with pytest.raises(VaultError, match="does not match"):
        grant_from_session(keys=_KeysOfAnotherVault(), grantee=coordinator)
    assert not staff.has_grant(coordinator)
