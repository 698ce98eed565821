from __future__ import annotations

import pytest
from django.db import transaction

from audit.actions import Action
from audit.chain import GENESIS_HASH, event_hash, timestamp
from audit.models import AuditEvent
from audit.services import record

pytestmark = pytest.mark.django_db


def test_it_numbers_events_from_one_and_links_each_to_the_previous_hash():
    first = record(action=Action.SIGNOUT, actor="system")
    second = record(
        action=Action.CASE_RECEIVED,
        actor="applicant",
        target_type="case",
        target_ref="EV-1234",
        data={"urgency": "now"},
    )
    assert (first.sequence, second.sequence) == (1, 2)
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    second.refresh_from_db()
    assert second.hash == event_hash(
        sequence=2,
        created_at=timestamp(second.created_at),
        actor_id=None,
        actor_kind="applicant",
        actor_role="",
        action="case.received",
        target_type="case",
        target_ref="EV-1234",
        data={"urgency": "now"},
        prev_hash=first.hash,
    )


def test_it_leaves_no_event_when_the_change_is_rolled_back():
    record(action=Action.SIGNOUT, actor="system")
    with pytest.raises(RuntimeError), transaction.atomic():
        record(action=Action.SIGNOUT, actor="system")
        raise RuntimeError("the change failed")
    after = record(action=Action.SIGNOUT, actor="system")
    assert list(AuditEvent.objects.values_list("sequence", flat=True)) == [1, 2]
    assert after.sequence == 2


def test_it_refuses_an_unknown_data_key():
    with pytest.raises(ValueError, match="name"):
        record(action=Action.CASE_RECEIVED, actor="applicant", data={"name": "Ivan"})
    assert not AuditEvent.objects.exists()


def test_it_refuses_an_unknown_action():
    with pytest.raises(ValueError):
        record(action="case.gossip", actor="system")


@pytest.mark.parametrize(
    "value",
    [["a", "list"], {"nested": 1}, 1.5, "x" * 129, "line\nbreak", b"bytes"],
)
def test_it_refuses_data_values_that_are_not_short_scalars(value):
    with pytest.raises(ValueError):
        record(action=Action.CASE_RECEIVED, actor="applicant", data={"urgency": value})
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize("actor", ["admin", "", None, 42])
def test_it_refuses_an_unknown_actor(actor):
    with pytest.raises(ValueError):
        record(action=Action.SIGNOUT, actor=actor)


def test_it_refuses_an_unknown_target_type_or_a_reference_with_spaces():
    with pytest.raises(ValueError):
        record(action=Action.SIGNOUT, actor="system", target_type="person")
    with pytest.raises(ValueError):
        record(action=Action.SIGNOUT, actor="system", target_type="case", target_ref="Ivan Petrov")
