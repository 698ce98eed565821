"""The verifier writes the canonical encoding out by hand for speed; it must equal the
reference encoder used when events are recorded, for any text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from audit.chain import GENESIS_HASH, canonical, event_hash
from audit.verify import verify_rows

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
