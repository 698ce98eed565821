from __future__ import annotations

import uuid

import pytest

from tests.factories import VaultBrowser, case_key, make_staff, vault_ready
from vault import cases, crypto, session
from vault.errors import DecryptionFailed, VaultLocked
from vault.models import CaseKey, OrgKey, OrgKeyGrant, RecoverySeal
from vault.org import (
    org_key_rotate,
    org_keys_from_recovery,
    rotation_reseal_batch,
    rotation_start,
)

pytestmark = pytest.mark.django_db


def make_cases(count: int) -> dict[str, tuple[str, bytes]]:
    made = {}
    for i in range(count):
        uid = str(uuid.uuid4())
        cipher, code = case_key(uid)
        made[uid] = (code, cipher.encrypt("intake", f"case {i}".encode()))
    return made


def staff_reads(browser: VaultBrowser, uid: str, blob: bytes) -> bytes:
    return browser.run(
        lambda r: session.staff_keys(r).case_cipher(uid, opening=True).decrypt("intake", blob)
    )


def test_rotation_on_a_thousand_cases_keeps_every_case_readable_and_destroys_the_old_key(
    carla, kim
):
    secret = vault_ready(carla, kim)
    made = make_cases(1000)
    old_private = org_keys_from_recovery(secret)[1]
    seen = []

    rotation = org_key_rotate(
        org_keys=org_keys_from_recovery(secret), batch_size=128, progress=seen.append
    )

    assert (rotation.old_versions, rotation.new_version, rotation.cases) == ([1], 2, 1000)
    assert sum(seen) == 1000 and max(seen) == 128
    assert set(CaseKey.objects.values_list("org_key_id", flat=True)) == {2}
    assert not OrgKeyGrant.objects.filter(org_key_id=1).exists()
    assert not RecoverySeal.objects.filter(org_key_id=1).exists()
    assert OrgKey.objects.get(version=1).destroyed_at is not None
    assert set(OrgKeyGrant.objects.values_list("user__username", flat=True)) == {"carla", "kim"}
    # The old private key opens none of the re-sealed case keys.
    old = crypto.keypair_from_private_bytes(old_private).private
    for row in CaseKey.objects.all()[:50]:
        with pytest.raises(DecryptionFailed):
            crypto.unseal(old, bytes(row.sealed), info=cases.case_dek_info(row.case_uid))
    # Staff (after signing in again) and applicants still read every case.
    browser = VaultBrowser(carla)
    assert browser.sign_in() is True

    def read_all(request):
        return [
            session.staff_keys(request).case_cipher(uid, opening=True).decrypt("intake", blob)
            for uid, (_, blob) in made.items()
        ]

    assert browser.run(read_all) == [f"case {i}".encode() for i in range(1000)]
    for uid, (code, blob) in list(made.items())[::100]:
        applicant = cases.case_cipher_for_applicant(code)
        assert applicant.case_uid == uid
        assert applicant.decrypt("intake", blob).startswith(b"case ")


def test_an_interrupted_rotation_resumes_where_it_stopped(carla):
    secret = vault_ready(carla)
    made = make_cases(30)
    keys = org_keys_from_recovery(secret)
    rotation = rotation_start(org_keys=keys)
    assert rotation_reseal_batch(rotation, org_keys=keys, batch_size=10) == 10
    # The process dies here. A case arrives meanwhile: it is sealed to the new version.
    made.update(make_cases(1))
    assert CaseKey.objects.filter(org_key_id=1).count() == 20

    again = org_key_rotate(org_keys=org_keys_from_recovery(secret), batch_size=7)

    assert again.new_version == 2 and again.cases == 20
    assert OrgKey.objects.filter(destroyed_at__isnull=True).count() == 1
    browser = VaultBrowser(carla)
    browser.sign_in()
    for uid, (_, blob) in made.items():
        staff_reads(browser, uid, blob)


def test_a_session_unlocked_before_the_rotation_must_sign_in_again(carla):
    secret = vault_ready(carla)
    made = make_cases(3)
    browser = VaultBrowser(carla)
    browser.sign_in()
    org_key_rotate(org_keys=org_keys_from_recovery(secret))
    uid, (_, blob) = next(iter(made.items()))
    with pytest.raises(VaultLocked):
        staff_reads(browser, uid, blob)
    browser.sign_in()
    staff_reads(browser, uid, blob)


def test_a_coordinators_unlocked_session_can_rotate_without_the_recovery_secret(cora):
    secret = vault_ready(cora)
    made = make_cases(5)
    browser = VaultBrowser(cora)
    browser.sign_in()
    rotation = browser.run(lambda r: org_key_rotate(org_keys=session.staff_keys(r).org_keys()))
    assert rotation.new_version == 2 and rotation.cases == 5
    # The recovery secret still works for the new version.
    assert set(org_keys_from_recovery(secret)) == {2}
    browser.sign_in()
    for uid, (_, blob) in made.items():
        staff_reads(browser, uid, blob)


def test_rotation_needs_the_old_private_key():
    vault_ready()
    with pytest.raises(VaultLocked):
        org_key_rotate(org_keys={})
    assert OrgKey.objects.count() == 1


@pytest.mark.parametrize("workers", [1, 2])
def test_rotation_spread_over_worker_processes_gives_the_same_result(workers, carla):
    secret = vault_ready(carla)
    made = make_cases(40)
    rotation = org_key_rotate(
        org_keys=org_keys_from_recovery(secret), batch_size=16, workers=workers
    )
    assert rotation.cases == 40
    browser = VaultBrowser(carla)
    browser.sign_in()
    for i, (uid, (_, blob)) in enumerate(made.items()):
        assert staff_reads(browser, uid, blob) == f"case {i}".encode()


def test_rotation_does_not_carry_over_the_grants_of_disabled_staff(carla):
    mallory = make_staff(username="mallory", totp=False)  # her account is about to be disabled
    secret = vault_ready(carla, mallory)
    mallory.is_active = False
    mallory.save()
    org_key_rotate(org_keys=org_keys_from_recovery(secret))
    assert list(OrgKeyGrant.objects.values_list("user__username", flat=True)) == ["carla"]
