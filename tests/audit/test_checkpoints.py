from __future__ import annotations

import pytest

from audit.actions import Action
from audit.models import AuditEvent, Checkpoint
from audit.services import record
from audit.signing import fingerprint, signature_valid

pytestmark = pytest.mark.django_db


def test_it_signs_a_checkpoint_every_n_events_when_a_key_is_configured(settings, audit_key):
    settings.AUDIT_CHECKPOINT_EVERY = 5
    for _ in range(5):
        record(action=Action.SIGNOUT, actor="system")
    checkpoint = Checkpoint.objects.get()
    fifth = AuditEvent.objects.get(sequence=5)
    assert (checkpoint.sequence, checkpoint.hash) == (5, fifth.hash)
    assert checkpoint.key_fingerprint == fingerprint(audit_key.public_key())
    assert signature_valid(
        audit_key.public_key(), sequence=5, hash=fifth.hash, signature=checkpoint.signature
    )
    made = AuditEvent.objects.get(sequence=6)
    assert made.action == Action.AUDIT_CHECKPOINT
    assert made.data["sequence"] == 5


def test_it_records_without_checkpoints_when_no_key_exists(settings):
    settings.AUDIT_CHECKPOINT_EVERY = 2
    for _ in range(4):
        record(action=Action.SIGNOUT, actor="system")
    assert AuditEvent.objects.count() == 4
    assert not Checkpoint.objects.exists()
