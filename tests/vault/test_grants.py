from __future__ import annotations

import pytest

from tests.factories import VaultBrowser, holds_current_grant, vault_ready
from vault import session
from vault.errors import NoPersonalKey, VaultError, VaultLocked, WrongRecoverySecret
from vault.models import OrgKeyGrant, StaffKey
from vault.org import grant_from_recovery, grant_from_session, grant_revoke

pytestmark = pytest.mark.django_db


def test_a_coordinator_with_an_unlocked_session_grants_without_anyones_password(cora, carla):
    vault_ready(cora)
    browser = VaultBrowser(cora)
    browser.sign_in()
    assert browser.run(lambda r: grant_from_session(keys=session.staff_keys(r), grantee=carla)) == 1
    assert holds_current_grant(carla)
    assert VaultBrowser(carla).sign_in() is True


def test_granting_needs_an_unlocked_session(cora, carla):
    vault_ready(cora)
    browser = VaultBrowser(cora)  # never signed in
    with pytest.raises(VaultLocked):
        browser.run(lambda r: grant_from_session(keys=session.staff_keys(r), grantee=carla))
    assert not holds_current_grant(carla)


def test_a_staff_member_without_a_grant_cannot_pass_one_on(cora, carla):
    vault_ready()
    browser = VaultBrowser(cora)
    browser.sign_in()
    with pytest.raises(VaultLocked):
        browser.run(lambda r: grant_from_session(keys=session.staff_keys(r), grantee=carla))


def test_a_grant_is_sealed_to_one_person_and_cannot_be_moved_to_another(cora, kim):
    vault_ready(cora)
    stolen = OrgKeyGrant.objects.get(user=cora)
    OrgKeyGrant.objects.create(user=kim, org_key_id=1, sealed=stolen.sealed, via="session")
    assert VaultBrowser(kim).sign_in() is False


def test_the_recovery_secret_grants_and_a_wrong_one_does_not(cora):
    secret = vault_ready()
    with pytest.raises(WrongRecoverySecret):
        grant_from_recovery(grantee=cora, recovery_secret="AAAA-" * 12 + "AAAA")
    with pytest.raises(WrongRecoverySecret):
        grant_from_recovery(grantee=cora, recovery_secret="not a secret")
    assert grant_from_recovery(grantee=cora, recovery_secret=secret) == 1
    assert holds_current_grant(cora)


def test_granting_to_someone_without_a_personal_key_is_refused(cora):
    secret = vault_ready()
    StaffKey.objects.filter(user=cora).delete()
    with pytest.raises(NoPersonalKey):
        grant_from_recovery(grantee=cora, recovery_secret=secret)


def test_revoking_removes_every_grant(cora):
    vault_ready(cora)
    assert grant_revoke(grantee=cora) == 1
    assert not holds_current_grant(cora)
    assert VaultBrowser(cora).sign_in() is False


class _KeysOfAnotherVault:
    """A session that holds a private key, but not the one whose public half is on record."""

    def org_keys(self) -> dict[int, bytes]:
        return {1: b"\x00" * 96}


def test_a_private_key_that_does_not_match_the_public_key_on_record_is_never_granted(cora):
    vault_ready()
    with pytest.raises(VaultError, match="does not match"):
        grant_from_session(keys=_KeysOfAnotherVault(), grantee=cora)
    assert not holds_current_grant(cora)
