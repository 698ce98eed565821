"""The audit signer signs on count and on time, and never signs a chain that does not extend the
head it signed last; appends never sign."""

from __future__ import annotations

import io
import json
import stat
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from audit import triggers
from audit.actions import Action
from audit.chain import event_hash, timestamp
from audit.models import AuditEvent, ChainHead, Checkpoint
from audit.services import record
from audit.signer import SignerRefused, sign_if_due
from audit.signing import fingerprint, signature_valid

pytestmark = pytest.mark.django_db


def _append(count: int) -> None:
    for _ in range(count):
        record(action=Action.SIGNOUT, actor="system")


def _sql(statement: str, params=()) -> None:
    with triggers.lifted(connection), connection.cursor() as cursor:
        cursor.execute(statement, params)


def _rehash_from(sequence: int) -> None:
    """What an insider with the database does after editing: recompute every later hash."""
    previous = AuditEvent.objects.get(sequence=sequence - 1).hash if sequence > 1 else "0" * 64
    with triggers.lifted(connection):
        for event in AuditEvent.objects.filter(sequence__gte=sequence).order_by("sequence"):
            digest = event_hash(
                sequence=event.sequence,
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
            AuditEvent.objects.filter(pk=event.pk).update(prev_hash=previous, hash=digest)
            previous = digest
        last = AuditEvent.objects.order_by("-sequence").first()
        ChainHead.objects.filter(pk=1).update(sequence=last.sequence, hash=last.hash)


def test_appends_never_sign_even_with_the_key_in_reach(settings):
    settings.AUDIT_CHECKPOINT_EVERY = 2
    _append(10)
    assert not Checkpoint.objects.exists()


def test_it_signs_on_count_then_on_time_and_at_least_daily(settings, audit_key):
    settings.AUDIT_CHECKPOINT_EVERY = 5
    settings.AUDIT_CHECKPOINT_SECONDS = 300
    settings.AUDIT_CHECKPOINT_DAILY_SECONDS = 24 * 3600
    now = timezone.now()
    first = sign_if_due(now=now)  # first run: the empty chain
    assert first.sequence == 0
    _append(4)
    assert sign_if_due(now=now + timedelta(seconds=10)) is None  # neither count nor time
    _append(1)
    on_count = sign_if_due(now=now + timedelta(seconds=20))
    assert (on_count.sequence, on_count.hash) == (5, AuditEvent.objects.get(sequence=5).hash)
    _append(1)
    assert sign_if_due(now=now + timedelta(seconds=200)) is None
    on_time = sign_if_due(now=now + timedelta(seconds=321))
    assert on_time.sequence == 6
    assert sign_if_due(now=now + timedelta(hours=23)) is None  # nothing appended
    daily = sign_if_due(now=now + timedelta(hours=24, seconds=400))
    assert daily.sequence == 6
    assert signature_valid(
        audit_key.public_key(),
        sequence=daily.sequence,
        hash=daily.hash,
        signed_at=timestamp(daily.created_at),
        signature=daily.signature,
    )
    assert daily.key_fingerprint == fingerprint(audit_key.public_key())
    assert not AuditEvent.objects.filter(action=Action.AUDIT_CHECKPOINT).exists()


def test_its_state_is_the_head_it_signed_and_only_it_can_read_it(settings):
    _append(3)
    sign_if_due(force=True)
    path = Path(settings.AUDIT_SIGNER_STATE_DIR) / "last_signed.json"
    state = json.loads(path.read_text())
    assert (state["sequence"], state["hash"]) == (3, ChainHead.objects.get().hash)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_it_refuses_a_rewritten_chain_even_re_hashed_forward():
    _append(10)
    sign_if_due(force=True)
    _sql("DELETE FROM audit_auditevent WHERE sequence = 4")
    _sql("UPDATE audit_auditevent SET sequence = sequence - 1 WHERE sequence > 4")
    _rehash_from(4)
    _append(2)
    checkpoints = Checkpoint.objects.count()
    with pytest.raises(SignerRefused, match=r"rewritten|gone"):
        sign_if_due(force=True)
    assert Checkpoint.objects.count() == checkpoints


def test_it_refuses_a_head_moved_back_after_events_were_deleted():
    _append(5)
    sign_if_due(force=True)
    _append(3)
    sign_if_due(force=True)  # signs 8
    _sql("DELETE FROM audit_auditevent WHERE sequence > 5")
    five = AuditEvent.objects.get(sequence=5)
    _sql("UPDATE audit_chainhead SET sequence = 5, hash = %s", [five.hash])
    with pytest.raises(SignerRefused, match="before 8"):
        sign_if_due(force=True)


def test_it_refuses_to_sign_past_an_edited_event_it_has_not_signed_yet():
    _append(5)
    sign_if_due(force=True)
    _append(4)
    _sql("UPDATE audit_auditevent SET actor_kind = 'applicant' WHERE sequence = 7")
    with pytest.raises(SignerRefused, match="sequence 7"):
        sign_if_due(force=True)
    assert Checkpoint.objects.get().sequence == 5


def test_the_command_signs_once_and_exits_non_zero_when_it_refuses():
    _append(2)
    out = io.StringIO()
    call_command("audit_signer", "--once", "--now", stdout=out)
    assert "Signed sequence 2" in out.getvalue()
    _sql("UPDATE audit_auditevent SET actor_role = 'admin' WHERE sequence = 2")
    _rehash_from(2)
    with pytest.raises(CommandError, match="Refused to sign"):
        call_command("audit_signer", "--once", "--now", stdout=io.StringIO())


@pytest.mark.parametrize("problem", ["unset", "missing", "garbage"])
def test_without_a_usable_key_the_signer_stops_and_says_so(settings, problem):
    if problem == "unset":
        settings.AUDIT_SIGNING_KEY_FILE = ""
    elif problem == "missing":
        Path(settings.AUDIT_SIGNING_KEY_FILE).unlink()
    else:
        Path(settings.AUDIT_SIGNING_KEY_FILE).write_text("not a key")
    with pytest.raises(CommandError, match=r"AUDIT_SIGNING_KEY_FILE|private key"):
        call_command("audit_signer", "--once", stdout=io.StringIO())
