"""The verifier writes the canonical encoding out by hand for speed; it must equal the
reference encoder used when events are recorded, for any text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.chain import GENESIS_HASH, canonical, event_hash, timestamp
from audit.models import AuditEvent, ChainHead
from audit.verify import verify_database, verify_rows

text = st.text(max_size=40)
scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20))


@given(
    created_at=text,
    actor_id=st.one_of(st.none(), st.integers(min_value=1, max_value=2**62)),
    kind=text,
    role=text,
    action=text,
    target_type=text,
    target_ref=text,
    data=st.dictionaries(st.text(max_size=10), scalar, max_size=4),
)
def test_the_fast_encoding_equals_the_reference_encoding(
    created_at, actor_id, kind, role, action, target_type, target_ref, data
):
    fields = {
        "sequence": 1,
        "created_at": created_at,
        "actor_id": actor_id,
        "actor_kind": kind,
        "actor_role": role,
        "action": action,
        "target_type": target_type,
        "target_ref": target_ref,
        "data": data,
        "prev_hash": GENESIS_HASH,
    }
    digest = event_hash(**fields)
    row = (
        1,
        created_at,
        actor_id,
        kind,
        role,
        action,
        target_type,
        target_ref,
        canonical(data).decode("utf-8"),
        GENESIS_HASH,
        digest,
    )
    result = verify_rows([row])
    assert result.ok, result.problem


@pytest.mark.django_db
def test_an_event_stored_at_a_whole_second_verifies():
    # SQLite stores such times without the fraction; the verifier must hash the same text.
    moment = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    fields = {
        "actor_id": None,
        "actor_kind": "system",
        "actor_role": "",
        "action": "signout",
        "target_type": "",
        "target_ref": "",
        "data": {"é": "ü", "n": 5},
    }
    digest = event_hash(sequence=1, created_at=timestamp(moment), prev_hash=GENESIS_HASH, **fields)
    AuditEvent.objects.create(
        sequence=1, created_at=moment, prev_hash=GENESIS_HASH, hash=digest, **fields
    )
    ChainHead.objects.update_or_create(pk=1, defaults={"sequence": 1, "hash": digest})
    result = verify_database()
    assert result.ok, result.problem
