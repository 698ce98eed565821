"""Signed heads leave the server: kept by auditors, they catch a rollback to an older backup, a
truncated tail and a fork, which a chain that verifies on its own would hide.

The red-team scenarios, as an insider with write access to the database would try them."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from audit import signing, triggers
from audit.actions import Action
from audit.models import AuditEvent, ChainHead, Checkpoint
from audit.services import record
from audit.verify import verify_database
from tests.factories import checkpoint_now, verified_client

pytestmark = pytest.mark.django_db


def _append(count: int) -> None:
    for _ in range(count):
        record(action=Action.SIGNOUT, actor="system")


def _sql(statement: str, params=()) -> None:
    with triggers.lifted(connection), connection.cursor() as cursor:
        cursor.execute(statement, params)


def _heads_file(tmp_path) -> Path:
    """What an auditor saved: every signed head, as the page gives them."""
    lines = [
        signing.statement_line(
            signing.statement(
                sequence=c.sequence,
                hash=c.hash,
                signed_at=c.created_at,
                fingerprint=c.key_fingerprint,
                signature=c.signature,
            )
        )
        for c in Checkpoint.objects.all()
    ]
    path = tmp_path / "heads.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def _verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _back_to(sequence: int) -> None:
    """Events after `sequence` and the checkpoints over them gone, the head moved back: the
    database as an older backup had it, or as an insider who cut the tail leaves it."""
    _sql("DELETE FROM audit_auditevent WHERE sequence > %s", [sequence])
    _sql("DELETE FROM audit_checkpoint WHERE sequence > %s", [sequence])
    kept = AuditEvent.objects.get(sequence=sequence)
    _sql("UPDATE audit_chainhead SET sequence = %s, hash = %s", [sequence, kept.hash])


def test_an_intact_chain_holds_every_signed_head(tmp_path):
    _append(5)
    checkpoint_now()
    _append(3)
    checkpoint_now()
    assert "Audit chain OK" in _verify("--expect", str(_heads_file(tmp_path)))


def test_a_truncated_tail_is_caught_at_the_first_missing_sequence(tmp_path):
    _append(5)
    checkpoint_now()
    _append(3)
    checkpoint_now()  # signs 8
    heads = _heads_file(tmp_path)
    _back_to(5)
    assert verify_database().ok  # on its own, the shorter chain looks fine
    with pytest.raises(CommandError, match="BROKEN at sequence 6"):
        _verify("--expect", str(heads))


def test_a_restored_older_backup_with_new_events_written_on_it_is_caught_as_a_fork(tmp_path):
    _append(79)
    checkpoint_now()
    _append(27)
    checkpoint_now()  # signs 106; the auditor saves the heads
    heads = _heads_file(tmp_path)
    _back_to(79)  # the backup taken at 79 is restored
    _append(12)  # and the service goes on: a fork, 91 events
    assert verify_database().ok
    with pytest.raises(CommandError, match="BROKEN at sequence 92"):
        _verify("--expect", str(heads))
    _append(20)  # once the fork is longer than the signed head, the hash no longer fits
    with pytest.raises(CommandError, match="BROKEN at sequence 106: a signed checkpoint holds"):
        _verify("--expect", str(heads))


def test_strict_verification_fails_without_the_public_key_and_lenient_only_notes_it(settings):
    _append(3)
    Path(settings.AUDIT_PUBLIC_KEY_FILE).unlink()
    with pytest.raises(CommandError, match="public key"):
        _verify()
    assert "Audit chain OK" in _verify("--lenient")


@pytest.mark.parametrize("problem", ["unset", "garbage"])
def test_an_unset_or_garbage_public_key_fails_verification(settings, problem):
    _append(2)
    if problem == "unset":
        settings.AUDIT_PUBLIC_KEY_FILE = ""
    else:
        Path(settings.AUDIT_PUBLIC_KEY_FILE).write_text("garbage")
    with pytest.raises(CommandError, match=r"public key|Cannot read|Ed25519"):
        _verify()


def test_an_old_tail_no_signature_covers_fails_but_a_fresh_burst_does_not(settings):
    settings.AUDIT_MAX_UNSIGNED_AGE = 3600
    _append(3)
    checkpoint_now()
    _append(500)  # a burst, a minute old: the signer will get to it
    assert verify_database().ok
    later = timezone.now() + timedelta(hours=2)
    result = verify_database(now=later)
    assert not result.ok and result.first_bad_sequence == 4
    assert "audit signer" in result.problem
    assert verify_database(now=later, strict=False).ok


def test_a_wrong_public_key_fails_every_signature(settings, tmp_path):
    _append(2)
    checkpoint_now()
    other = signing.key_generate(tmp_path / "other.pem", tmp_path / "other.pub.pem")
    settings.AUDIT_PUBLIC_KEY_FILE = str(tmp_path / "other.pub.pem")
    assert other
    with pytest.raises(CommandError, match="does not verify with the key"):
        _verify()


def test_the_auditors_page_checks_uploaded_heads_and_shows_the_last_verification(audrey, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    _append(6)
    checkpoint_now()
    _verify()  # the daily run, outside any request
    client = verified_client(audrey)
    page = client.get("/audit/verify/").content.decode()
    assert "Intact at" in page and "The last checkpoint was signed at" in page
    heads = _heads_file(tmp_path).read_bytes()
    answer = client.post("/audit/verify/", {"heads": SimpleUploadedFile("h.jsonl", heads)})
    assert answer.status_code == 200
    assert "signed head is in the chain" in answer.content.decode()
    _back_to(3)
    answer = client.post("/audit/verify/", {"heads": SimpleUploadedFile("h.jsonl", heads)})
    assert answer.status_code == 409
    assert "the first bad sequence is 4" in answer.content.decode()
    # Every check is on the record (the first one went with the tail that was cut).
    checked = AuditEvent.objects.filter(action=Action.AUDIT_HEADS_CHECKED).last()
    assert checked.data == {"ok": False, "heads": 1, "first_bad": 4}


def test_the_auditors_page_warns_when_no_checkpoint_is_fresh(audrey):
    _append(2)
    page = verified_client(audrey).get("/audit/verify/").content.decode()
    assert "is the audit signer running?" in page


def test_the_signed_heads_download_is_what_verify_audit_expects(audrey, tmp_path):
    _append(4)
    checkpoint_now()
    response = verified_client(audrey).get("/audit/heads.jsonl")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    path = tmp_path / "downloaded.jsonl"
    path.write_bytes(response.content)
    assert "Audit chain OK" in _verify("--expect", str(path))
    assert AuditEvent.objects.filter(action=Action.AUDIT_EXPORTED, data__format="heads").exists()


def test_check_deploy_errs_without_a_public_key_and_warns_when_the_key_is_readable(settings):
    from django.core.checks import run_checks

    messages = {m.id for m in run_checks(include_deployment_checks=True)}
    assert "audit.W001" in messages  # this test process (root) can read the private key
    assert "audit.E001" not in messages
    Path(settings.AUDIT_PUBLIC_KEY_FILE).unlink()
    messages = {m.id for m in run_checks(include_deployment_checks=True)}
    assert "audit.E001" in messages
    assert ChainHead.objects.exists()
