from __future__ import annotations

import re
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEvent
from tests.factories import VaultBrowser, case_key, holds_current_grant
from vault import cases, session, staff
from vault.models import OrgKey, OrgKeyGrant, RecoveryKey
from vault.receipts import receipt_parse

pytestmark = pytest.mark.django_db

SECRET_PATTERN = re.compile(r"^    ([A-Z2-7]{4}(?:-[A-Z2-7]{4}){12})$", re.MULTILINE)


def init_vault(*args) -> str:
    out = StringIO()
    call_command("init_vault", *args, stdout=out)
    return out.getvalue()


def recovery_file(tmp_path, secret: str):
    path = tmp_path / "recovery.txt"
    path.write_text(secret + "\n")
    return str(path)


def test_init_vault_prints_the_recovery_secret_once_and_stores_only_its_public_key():
    output = init_vault()
    secrets_shown = SECRET_PATTERN.findall(output)
    assert len(secrets_shown) == 1
    assert "offline" in output
    assert OrgKey.objects.get().version == 1
    stored = bytes(RecoveryKey.objects.get().public_key)
    assert secrets_shown[0].encode() not in stored


def test_init_vault_refuses_to_run_twice():
    init_vault()
    before = bytes(OrgKey.objects.get().public_key)
    with pytest.raises(CommandError, match="already initialised"):
        init_vault()
    assert OrgKey.objects.count() == 1
    assert bytes(OrgKey.objects.get().public_key) == before


def test_init_vault_may_be_told_that_an_existing_vault_is_fine():
    init_vault()
    assert "already initialised" in init_vault("--exists-ok")
    assert OrgKey.objects.count() == 1


def test_init_vault_can_grant_the_first_staff_at_once(carla):
    output = init_vault("--grant", "carla")
    assert "Granted to carla" in output
    assert holds_current_grant(carla)


def test_grant_key_grants_with_the_recovery_secret_from_a_file(tmp_path, kim):
    secret = SECRET_PATTERN.findall(init_vault())[0]
    out = StringIO()
    call_command("grant_key", "kim", "--recovery-file", recovery_file(tmp_path, secret), stdout=out)
    assert "Granted organisation key v1 to kim" in out.getvalue()
    assert VaultBrowser(kim).sign_in() is True


def test_grant_key_accepts_a_secret_typed_in_lower_case_with_spaces(tmp_path, kim):
    secret = SECRET_PATTERN.findall(init_vault())[0]
    typed = secret.lower().replace("-", " ")
    call_command("grant_key", "kim", "--recovery-file", recovery_file(tmp_path, typed))
    assert holds_current_grant(kim)


def test_grant_key_refuses_a_wrong_recovery_secret(tmp_path, kim):
    init_vault()
    other = "ABCD-" * 12 + "ABCD"
    with pytest.raises(CommandError, match="does not belong"):
        call_command("grant_key", "kim", "--recovery-file", recovery_file(tmp_path, other))
    assert not OrgKeyGrant.objects.exists()


def test_grant_key_refuses_roles_that_do_not_open_cases(tmp_path, audrey):
    secret = SECRET_PATTERN.findall(init_vault())[0]
    with pytest.raises(CommandError, match="does not open cases"):
        call_command("grant_key", "audrey", "--recovery-file", recovery_file(tmp_path, secret))
    assert not OrgKeyGrant.objects.exists()


def test_grant_key_never_takes_the_secret_on_the_command_line(kim):
    init_vault()
    with pytest.raises(CommandError):
        call_command("grant_key", "kim", "ABCD-ABCD")


def test_rotate_org_key_rotates_and_can_be_run_again(tmp_path):
    secret = SECRET_PATTERN.findall(init_vault())[0]
    uid = str(uuid.uuid4())
    cipher, code = case_key(uid)
    blob = cipher.encrypt("intake", b"hello")
    path = recovery_file(tmp_path, secret)
    out = StringIO()
    call_command("rotate_org_key", "--recovery-file", path, "--no-progress", stdout=out)
    assert "1 case keys moved to v2" in out.getvalue()
    call_command("rotate_org_key", "--recovery-file", path, "--no-progress", stdout=StringIO())
    assert list(OrgKey.objects.filter(destroyed_at__isnull=True).values_list("version")) == [(3,)]
    again = cases.case_cipher_for_applicant(receipt_parse(str(code).replace("-", " ")))
    assert again.decrypt("intake", blob) == b"hello"


def test_recovery_works_after_every_staff_member_lost_their_key(tmp_path, carla, kim, audrey):
    secret = SECRET_PATTERN.findall(init_vault("--grant", "carla", "--grant", "kim"))[0]
    uid = str(uuid.uuid4())
    blob = case_key(uid)[0].encrypt("intake", b"kept")
    # Every password is reset: every personal key is new, every grant is gone.
    for user in (carla, kim):
        staff.personal_key_create(user=user, password="a brand new passphrase 1")
    assert not OrgKeyGrant.objects.exists()

    out = StringIO()
    call_command(
        "recover_vault", "--all", "--recovery-file", recovery_file(tmp_path, secret), stdout=out
    )

    assert "to carla" in out.getvalue() and "to kim" in out.getvalue()
    assert "audrey" not in out.getvalue()
    browser = VaultBrowser(kim)
    assert browser.sign_in("a brand new passphrase 1") is True
    opened = browser.run(
        lambda r: session.staff_keys(r).case_cipher(uid, opening=True).decrypt("intake", blob)
    )
    assert opened == b"kept"


def test_recover_vault_needs_names_or_all(tmp_path):
    init_vault()
    with pytest.raises(CommandError, match="--all"):
        call_command("recover_vault", "--recovery-file", recovery_file(tmp_path, "x"))


def test_vault_status_names_versions_and_holders_without_revealing_keys(carla):
    output = init_vault("--grant", "carla")
    secret = SECRET_PATTERN.findall(output)[0]
    out = StringIO()
    call_command("vault_status", stdout=out)
    assert "v1 live" in out.getvalue()
    assert "granted to carla" in out.getvalue()
    assert secret not in out.getvalue()


def test_each_command_writes_its_audit_event_without_the_secret(tmp_path, carla, kim):
    secret = SECRET_PATTERN.findall(init_vault("--grant", "carla"))[0]
    path = recovery_file(tmp_path, secret)
    call_command("grant_key", "kim", "--recovery-file", path, stdout=StringIO())
    call_command("rotate_org_key", "--recovery-file", path, "--no-progress", stdout=StringIO())
    call_command("recover_vault", "kim", "--recovery-file", path, stdout=StringIO())

    events = list(
        AuditEvent.objects.filter(action__startswith="vault.")
        | AuditEvent.objects.filter(action__startswith="key.")
    )
    seen = [(e.action, e.target_ref, e.data) for e in events]
    assert seen[0][:2] == ("vault.initialised", "v1")
    assert seen[0][2]["version"] == 1
    assert ("key.granted", str(carla.pk), {"version": 1, "via": "init"}) in seen
    assert ("key.granted", str(kim.pk), {"version": 1, "via": "recovery"}) in seen
    assert ("key.rotation_started", "v2", {"old_version": 1, "new_version": 2}) in seen
    assert (
        "key.rotated",
        "v2",
        {"old_version": 1, "new_version": 2, "cases": 0, "rekeyed": True},
    ) in seen
    assert ("vault.recovered", "v2", {"version": 2}) in seen
    assert all(secret not in repr(e.data) for e in events)
