"""Someone with database access edits history (triggers dropped first): verification names
the first broken event."""

from __future__ import annotations

import pytest
from django.db import connection

from audit import triggers
from audit.actions import Action
from audit.chain import event_hash, timestamp
from audit.models import AuditEvent, ChainHead, Checkpoint
from audit.services import record
from audit.verify import verify_database
from tests.factories import checkpoint_now

pytestmark = pytest.mark.django_db


@pytest.fixture
def chain():
    for number in range(10):
        record(
            action=Action.CASE_RECEIVED,
            actor="applicant",
            target_type="case",
            target_ref=f"EV-{number:04d}",
            data={"urgency": "now"},
        )


def _sql(statement: str, params=()) -> None:
    with triggers.lifted(connection), connection.cursor() as cursor:
        cursor.execute(statement, params)


def test_an_untouched_chain_verifies(chain):
    checkpoint_now()  # the audit signer at work
    result = verify_database()
    assert result.ok, result.problem
    assert (result.checked, result.last_sequence) == (10, 10)
    assert result.last_hash == AuditEvent.objects.get(sequence=10).hash


def test_it_detects_an_edited_event_at_its_sequence(chain):
    _sql("UPDATE audit_auditevent SET target_ref = 'EV-9999' WHERE sequence = 5")
    result = verify_database()
    assert not result.ok
    assert result.first_bad_sequence == 5
    assert "hash" in result.problem


def test_it_detects_an_edited_time_at_its_sequence(chain):
    event = AuditEvent.objects.get(sequence=7)
    _sql(
        "UPDATE audit_auditevent SET created_at = %s WHERE sequence = 7",
        [event.created_at.replace(year=2020)],
    )
    assert verify_database().first_bad_sequence == 7


def test_it_detects_a_deleted_event_at_its_sequence(chain):
    _sql("DELETE FROM audit_auditevent WHERE sequence = 4")
    result = verify_database()
    assert not result.ok
    assert result.first_bad_sequence == 4
    assert "missing" in result.problem


def test_it_detects_deleted_events_at_the_end(chain):
    _sql("DELETE FROM audit_auditevent WHERE sequence >= 9")
    result = verify_database()
    assert not result.ok
    assert result.first_bad_sequence == 9


def test_it_detects_an_inserted_event_at_the_event_it_displaced(chain):
    # A careful forger: the inserted event is well-formed and hashed; what follows cannot be.
    for sequence in range(10, 5, -1):
        _sql(
            "UPDATE audit_auditevent SET sequence = %s WHERE sequence = %s",
            [sequence + 1, sequence],
        )
    before = AuditEvent.objects.get(sequence=5)
    forged = AuditEvent(
        sequence=6,
        created_at=before.created_at,
        actor_kind="system",
        action=Action.STAFF_DISABLED,
        target_type="user",
        target_ref="7",
        data={},
        prev_hash=before.hash,
    )
    forged.hash = event_hash(
        sequence=6,
        created_at=timestamp(forged.created_at),
        actor_id=None,
        actor_kind="system",
        actor_role="",
        action=str(Action.STAFF_DISABLED),
        target_type="user",
        target_ref="7",
        data={},
        prev_hash=before.hash,
    )
    forged.save()
    with triggers.lifted(connection):
        ChainHead.objects.filter(pk=1).update(sequence=11)
    result = verify_database()
    assert not result.ok
    assert result.first_bad_sequence == 7


def test_it_detects_two_events_swapped_at_the_first_of_them(chain):
    _sql("UPDATE audit_auditevent SET sequence = 1000 WHERE sequence = 4")
    _sql("UPDATE audit_auditevent SET sequence = 4 WHERE sequence = 5")
    _sql("UPDATE audit_auditevent SET sequence = 5 WHERE sequence = 1000")
    result = verify_database()
    assert not result.ok
    assert result.first_bad_sequence == 4


def test_a_rewritten_chain_is_caught_by_the_signed_checkpoint(chain, audit_key):
    checkpoint_now()  # signs sequence 10
    # The forger edits event 3 and recomputes every hash after it, head included.
    events = list(AuditEvent.objects.order_by("sequence"))
    previous = events[1].hash
    for event in events[2:]:
        event.target_ref = "EV-9999" if event.sequence == 3 else event.target_ref
        event.prev_hash = previous
        event.hash = event_hash(
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
        previous = event.hash
    with triggers.lifted(connection):
        for event in events[2:]:
            AuditEvent.objects.filter(pk=event.pk).update(
                target_ref=event.target_ref, prev_hash=event.prev_hash, hash=event.hash
            )
    result = verify_database()
    assert not result.ok
    assert result.first_bad_sequence == 10
    assert "checkpoint" in result.problem


def test_a_checkpoint_signed_by_another_key_is_rejected(chain, audit_key, tmp_path):
    from audit import signing

    other = signing.key_generate(tmp_path / "other.pem")
    head = ChainHead.objects.get()
    signed_at = AuditEvent.objects.get(sequence=10).created_at
    Checkpoint.objects.create(
        sequence=head.sequence,
        hash=head.hash,
        signature=signing.sign(
            other, sequence=head.sequence, hash=head.hash, signed_at=timestamp(signed_at)
        ),
        key_fingerprint=signing.fingerprint(audit_key.public_key()),  # a lie, too
        created_at=signed_at,
    )
    result = verify_database()
    assert not result.ok
    assert result.first_bad_sequence == 10
    assert "signature" in result.problem


def test_checkpoints_verify_against_the_configured_key(chain, audit_key):
    checkpoint_now()
    result = verify_database()
    assert result.ok, result.problem
    assert result.checkpoints_checked == 1
    assert result.last_checkpoint == 10


def test_it_stops_cleanly_at_a_broken_event_in_the_middle_of_many_chunks(chain, monkeypatch):
    import audit.verify

    monkeypatch.setattr(audit.verify, "CHUNK_SIZE", 2)
    _sql("UPDATE audit_auditevent SET target_ref = 'EV-9999' WHERE sequence = 3")
    assert verify_database().first_bad_sequence == 3
    record(action=Action.SIGNOUT, actor="system")  # the connection is still usable
    assert verify_database().first_bad_sequence == 3
