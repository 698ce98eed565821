from __future__ import annotations

import io
import stat
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from audit import triggers
from audit.actions import Action
from audit.models import AuditEvent
from audit.services import record
from tests.factories import checkpoint_now

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def fresh_key_paths(settings, tmp_path):
    settings.AUDIT_SIGNING_KEY_FILE = str(tmp_path / "keys" / "signing.pem")
    settings.AUDIT_PUBLIC_KEY_FILE = str(tmp_path / "keys" / "signing.pub.pem")


def test_keygen_writes_a_private_key_only_its_owner_can_read_and_a_public_one(
    settings, fresh_key_paths
):
    output = _run("audit_keygen")
    private, public = Path(settings.AUDIT_SIGNING_KEY_FILE), Path(settings.AUDIT_PUBLIC_KEY_FILE)
    assert stat.S_IMODE(private.stat().st_mode) == 0o600
    assert stat.S_IMODE(public.stat().st_mode) == 0o644
    assert b"PRIVATE" in private.read_bytes() and b"PRIVATE" not in public.read_bytes()
    assert "fingerprint" in output.lower()


def test_keygen_refuses_to_overwrite_a_key(settings, fresh_key_paths):
    _run("audit_keygen")
    before = Path(settings.AUDIT_SIGNING_KEY_FILE).read_bytes()
    with pytest.raises(CommandError, match="never overwritten"):
        _run("audit_keygen")
    assert _run("audit_keygen", "--if-missing") == ""
    assert Path(settings.AUDIT_SIGNING_KEY_FILE).read_bytes() == before


def test_verify_command_prints_a_one_line_summary_and_records_the_run():
    for _ in range(3):
        record(action=Action.SIGNOUT, actor="system")
    checkpoint_now()  # the audit signer at work
    output = _run("verify_audit")
    assert output.count("\n") == 1
    assert "3 events checked, last sequence 3" in output
    assert AuditEvent.objects.get(sequence=4).action == Action.AUDIT_VERIFIED


def test_verify_command_exits_non_zero_naming_the_broken_sequence():
    for _ in range(3):
        record(action=Action.SIGNOUT, actor="system")
    with triggers.lifted(connection), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_kind = 'applicant' WHERE sequence = 2")
    with pytest.raises(CommandError, match="BROKEN at sequence 2"):
        _run("verify_audit")


def test_verify_command_exit_status_is_1_on_failure(tmp_path):
    import subprocess
    import sys

    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"type":"header","format":"safe-passage-audit/v1","filtered":false}\n'
        '{"type":"event","sequence":2}\n'
    )
    completed = subprocess.run(
        [sys.executable, "manage.py", "verify_audit", "--file", str(bad)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert completed.returncode == 1
