"""Strict verification trusts neither the times nor the checkpoints an insider can rewrite, and
the signer keeps even a quiet chain's signature fresh.

The red-team scenarios, as an insider with write access to the database would try them: the
triggers lifted, rows edited and every later hash recomputed, the head moved to match."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from audit import signing, triggers
from audit.actions import Action
from audit.chain import GENESIS_HASH, event_hash, timestamp
from audit.models import AuditEvent, ChainHead, Checkpoint
from audit.services import record
from audit.signer import sign_if_due
from audit.verify import verify_database
from tests.factories import checkpoint_now, verified_client

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _append(count: int) -> None:
    for _ in range(count):
        record(action=Action.SIGNOUT, actor="system")


def _sql(statement: str, params=()) -> None:
    with triggers.lifted(connection), connection.cursor() as cursor:
        cursor.execute(statement, params)


def _rewrite(events: list[AuditEvent], start: int) -> None:
    """The insider's tool: `events` (edited in memory) are written back from `start` on as
    sequence start, start + 1, ..., every hash recomputed, and the head moved to the last."""
    previous = AuditEvent.objects.get(sequence=start - 1).hash if start > 1 else GENESIS_HASH
    with triggers.lifted(connection):
        AuditEvent.objects.filter(sequence__gte=start).delete()
        for sequence, event in enumerate(events, start=start):
            event.pk = None
            event.sequence = sequence
            event.prev_hash = previous
            event.hash = event_hash(
                sequence=sequence,
                created_at=timestamp(event.created_at),
                actor_id=event.actor_id,
                actor_kind=event.actor_kind,
                actor_role=event.actor_role,
                action=event.action,
                target_type=event.target_type,
                target_ref=event.target_ref,
                data=event.data,
                prev_hash=previous,
            )
            event.save(force_insert=True)
            previous = event.hash
        ChainHead.objects.filter(pk=1).update(sequence=start + len(events) - 1, hash=previous)


def _verify(*args: str) -> str:
    out = io.StringIO()
    call_command("verify_audit", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _heads_file(tmp_path) -> Path:
    """What an auditor saved from /audit/heads.jsonl: every signed head."""
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
        for c in Checkpoint.objects.order_by("sequence")
    ]
    path = tmp_path / "heads.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


# --- gap 3: times and checkpoints an insider writes -----------------------------------------


def test_a_rewritten_chain_dated_in_the_future_without_its_checkpoints_fails(settings):
    """Was: "Audit chain OK … 0 checkpoint signatures verified", exit 0, even a month later."""
    settings.AUDIT_CLOCK_SKEW_SECONDS = 300
    _append(6)
    checkpoint_now()
    events = list(AuditEvent.objects.order_by("sequence"))
    for event in events:  # dated a month ahead: never old enough to need a signature
        event.created_at += timedelta(days=30)
    _rewrite(events, 1)
    _sql("DELETE FROM audit_checkpoint")
    result = verify_database()
    assert not result.ok
    assert result.first_bad_sequence == 1
    assert "dated in the future" in result.problem
    later = timezone.now() + timedelta(days=30, hours=2)  # and when that month has passed
    result = verify_database(now=later)
    assert not result.ok and result.first_bad_sequence == 1
    assert "no signed checkpoint at all" in result.problem
    with pytest.raises(CommandError, match="BROKEN at sequence 1: it is dated in the future"):
        _verify()
    # A first install may choose to look anyway: lenient only notes what it saw.
    lenient = verify_database(strict=False)
    assert lenient.ok and "dated in the future" in " ".join(lenient.notes)


def test_an_event_dated_before_the_one_ahead_of_it_fails_but_clock_jitter_does_not(settings):
    settings.AUDIT_CLOCK_SKEW_SECONDS = 300
    _append(3)
    checkpoint_now()  # signs 3
    _append(3)
    tail = list(AuditEvent.objects.filter(sequence__gt=3).order_by("sequence"))
    tail[1].created_at = tail[0].created_at - timedelta(seconds=30)  # two hosts' clocks
    _rewrite(tail, 4)
    assert verify_database().ok
    tail = list(AuditEvent.objects.filter(sequence__gt=3).order_by("sequence"))
    tail[1].created_at = tail[0].created_at - timedelta(hours=1)  # backdated
    _rewrite(tail, 4)
    result = verify_database()
    assert not result.ok
    assert result.first_bad_sequence == 5
    assert "dated earlier than the event before it" in result.problem
    assert verify_database(strict=False).ok


def test_events_but_no_checkpoint_at_all_fail_unless_lenient():
    assert verify_database().ok  # an empty chain has nothing to sign
    _append(3)  # a fresh burst: no event is old enough to need a signature yet
    result = verify_database()
    assert not result.ok
    assert result.first_bad_sequence == 1
    assert "3 events and no signed checkpoint at all" in result.problem
    with pytest.raises(CommandError, match="BROKEN at sequence 1"):
        _verify()
    assert "Audit chain OK" in _verify("--lenient")
    checkpoint_now()
    assert "Audit chain OK" in _verify()


# --- gap 6: red-team scenario 1, as the issue states it --------------------------------------


def test_a_deleted_opening_re_hashed_forward_without_checkpoints_fails_against_kept_heads(
    carla, tmp_path
):
    """Delete a `case.opened` event, re-hash the chain forward, delete the checkpoints, move the
    head: the heads an auditor kept name the first signed sequence the chain no longer holds."""
    _append(3)
    record(
        action=Action.CASE_OPENED,
        actor=carla,
        target_type="case",
        target_ref="EV-AAAA-AA",
        data={"reason": "assess"},
    )
    _append(5)
    first_head = checkpoint_now().sequence
    _append(10)
    last_head = checkpoint_now().sequence
    heads = _heads_file(tmp_path)

    opened = AuditEvent.objects.get(action=Action.CASE_OPENED).sequence
    later = list(AuditEvent.objects.filter(sequence__gt=opened).order_by("sequence"))
    _rewrite(later, opened)  # the opening is gone, every later event one step down, re-hashed
    _sql("DELETE FROM audit_checkpoint")
    assert not AuditEvent.objects.filter(action=Action.CASE_OPENED).exists()
    assert ChainHead.objects.get().sequence == last_head - 1

    with pytest.raises(CommandError) as caught:
        _verify("--expect", str(heads))
    assert caught.value.returncode == 1
    assert str(caught.value).startswith(f"Audit chain BROKEN at sequence {first_head}:")
    assert "a signed checkpoint holds a different hash" in str(caught.value)
    # Without the heads, strict verification still refuses a chain no checkpoint covers.
    with pytest.raises(CommandError, match=r"BROKEN at sequence 1: \d+ events and no signed"):
        _verify()


def test_verify_audit_exits_1_naming_the_sequence_as_a_process(tmp_path):
    """The same exit status a timer or a shell sees (a real process, its own database file)."""
    database = tmp_path / "chain.sqlite3"
    env = {
        **os.environ,
        "SAFE_PASSAGE_ENV": "development",
        "DATABASE_URL": f"sqlite:///{database}",
        "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "key.pem"),
        "AUDIT_PUBLIC_KEY_FILE": str(tmp_path / "key.pub.pem"),
        "AUDIT_SIGNER_STATE_DIR": str(tmp_path / "signer"),
    }

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )

    assert manage("migrate", "-v", "0").returncode == 0
    assert manage("audit_keygen").returncode == 0
    assert manage("verify_audit").returncode == 0  # the empty chain
    # Three events and nothing signed over them (the signer never ran).
    script = (
        "from audit.actions import Action; from audit.services import record; "
        "from django.db import transaction\n"
        "with transaction.atomic():\n"
        "    for _ in range(3): record(action=Action.SIGNOUT, actor='system')"
    )
    assert manage("shell", "-c", script).returncode == 0
    completed = manage("verify_audit")
    assert completed.returncode == 1
    assert "BROKEN at sequence 1" in completed.stderr
    assert manage("verify_audit", "--lenient").returncode == 0


# --- gap 4: an idle chain stays signed ------------------------------------------------------


def test_the_daily_period_default_is_at_most_half_the_unsigned_age():
    def defaults(**env: str) -> tuple[int, int]:
        code = (
            "from django.conf import settings; "
            "print(settings.AUDIT_CHECKPOINT_DAILY_SECONDS, settings.AUDIT_MAX_UNSIGNED_AGE)"
        )
        environment = {
            key: value
            for key, value in os.environ.items()
            if key not in ("AUDIT_CHECKPOINT_DAILY_SECONDS", "AUDIT_MAX_UNSIGNED_AGE")
        }
        completed = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", code],
            env={**environment, "SAFE_PASSAGE_ENV": "development", **env},
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        daily, age = completed.stdout.split()[-2:]
        return int(daily), int(age)

    daily, age = defaults()
    assert age == 3600 and daily <= age // 2
    daily, age = defaults(AUDIT_MAX_UNSIGNED_AGE="600")
    assert (daily, age) == (300, 600)
    assert defaults(AUDIT_CHECKPOINT_DAILY_SECONDS="900")[0] == 900  # an explicit choice holds


def test_a_quiet_chain_is_signed_again_before_its_signature_is_stale(audrey):
    """The `make run` demo left alone: nothing appended, the signer running every few seconds;
    its newest checkpoint never gets older than AUDIT_MAX_UNSIGNED_AGE (was: 24 hours)."""
    from django.conf import settings

    from audit import health

    age = timedelta(seconds=settings.AUDIT_MAX_UNSIGNED_AGE)
    _append(3)
    start = timezone.now() - age  # the demo started an hour ago, and nobody has used it since
    assert sign_if_due(now=start) is not None
    moment, signed = start, [start]
    while moment < timezone.now():
        moment += timedelta(seconds=10)  # the signer's interval in scripts/run.sh
        checkpoint = sign_if_due(now=min(moment, timezone.now()))
        if checkpoint is not None:
            signed.append(checkpoint.created_at)
    assert len(signed) >= 2
    assert max(b - a for a, b in pairwise(signed)) <= age / 2 + timedelta(seconds=10)
    assert health.checkpoint().ok
    page = verified_client(audrey).get("/audit/verify/").content.decode()
    assert "is the audit signer running?" not in page


# --- gap 9: the workspace warns about an old checkpoint, not only about none ------------------


def test_the_auditors_page_warns_when_the_newest_checkpoint_is_older_than_the_age(audrey, settings):
    settings.AUDIT_MAX_UNSIGNED_AGE = 3600
    _append(2)
    sign_if_due(now=timezone.now() - timedelta(hours=2), force=True)  # the signer stopped then
    client = verified_client(audrey)
    page = client.get("/audit/verify/").content.decode()
    assert "The last checkpoint was signed at" in page
    assert "No checkpoint has been signed in the last 3600 seconds" in page
    assert "is the audit signer running?" in page
    checkpoint_now()  # the signer is back
    page = client.get("/audit/verify/").content.decode()
    assert "is the audit signer running?" not in page
