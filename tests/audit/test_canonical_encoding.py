"""One encoder, generated from audit.chain.EVENT_FIELDS, hashes every event: on append and when
the database or an export is verified. It must write exactly what plain json.dumps writes, for
any text, or the hashes of existing databases and exports would change."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    ROW_FIELDS,
    canonical_event,
    event_hash,
    event_row,
    timestamp,
)
from audit.models import AuditEvent, ChainHead
from audit.verify import verify_database, verify_rows

awkward_character = st.one_of(
    st.sampled_from('"\\/\b\f\n\r\t\x00\x1f\x7f\u2028\u2029\ufeff\U0001f600\U0010ffff'),
    st.characters(max_codepoint=0x1F),
    # Every code point but lone surrogates: UTF-8 cannot carry them, so no event holds one.
    st.characters(codec="utf-8"),
)
text = st.text(awkward_character, max_size=30)
data_value = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    text,
)
event_fields = st.fixed_dictionaries(
    {
        "sequence": st.integers(min_value=1, max_value=2**63 - 1),
        "created_at": text,
        "actor_id": st.one_of(st.none(), st.integers(min_value=1, max_value=2**63 - 1)),
        "actor_kind": text,
        "actor_role": text,
        "action": text,
        "target_type": text,
        "target_ref": text,
        "data": st.dictionaries(text, data_value, max_size=5),
        "prev_hash": text,
    }
)


def reference_encoding(fields: dict) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def unchanged(json_text: str) -> str:
    return json_text


@given(fields=event_fields)
def test_the_encoder_writes_what_json_dumps_writes(fields):
    row = event_row(**fields)
    expected = reference_encoding(fields)
    assert canonical_event(row, unchanged) == expected
    assert row[-1] == event_hash(**fields) == hashlib.sha256(expected).hexdigest()


@given(fields=event_fields)
def test_the_verifier_accepts_every_correctly_hashed_event(fields):
    fields = {**fields, "sequence": 1, "prev_hash": GENESIS_HASH}
    row = event_row(**fields)
    # As the database hands data back: its own spacing, key order and escapes.
    data_at = HASHED_FIELDS.index("data")
    stored = (*row[:data_at], json.dumps(fields["data"]), *row[data_at + 1 :])
    for candidate in (row, stored):
        result = verify_rows([candidate])
        assert result.ok, result.problem


def test_hashes_are_those_of_the_first_release():
    # Computed by the hand-written encoder before EVENT_FIELDS: databases and exports hold them.
    fields = {
        "sequence": 1001,
        "created_at": "2026-03-01T12:00:00.000000+00:00",
        "actor_id": 7,
        "actor_kind": "staff",
        "actor_role": "caseworker",
        "action": "case.opened",
        "target_type": "case",
        "target_ref": 'EV-ÄB"\\\u2028',
        "data": {"reason": "assess", "n": 5, "note": "\x00\t\U0001f600", "ok": True, "none": None},
        "prev_hash": "ab" * 32,
    }
    assert event_hash(**fields) == (
        "b98874ec31f6fa72bb9a5ce4451018aac5dc2ea2a871e37f482205c3185b7ce2"
    )
    assert event_hash(**{**fields, "actor_id": None}) == (
        "d994c9154328f77455d7dba526ca3c3665c6bba552301a076cb85452872f64c2"
    )


VALID = {
    "sequence": 1,
    "created_at": "2026-03-01T12:00:00.000000+00:00",
    "actor_id": None,
    "actor_kind": "system",
    "actor_role": "",
    "action": "signout",
    "target_type": "",
    "target_ref": "",
    "data": {},
    "prev_hash": GENESIS_HASH,
}


@pytest.mark.parametrize(
    "fields",
    [
        {name: value for name, value in VALID.items() if name != "action"},
        {**VALID, "hash": "00"},
        {**VALID, "sequence": "1"},
        # The encoder would write True where JSON writes true.
        {**VALID, "sequence": True},
        {**VALID, "actor_id": False},
        {**VALID, "target_ref": 5},
        {**VALID, "data": "{}"},
    ],
)
def test_a_missing_unexpected_or_mistyped_field_is_refused(fields):
    with pytest.raises(TypeError):
        event_hash(**fields)


def test_the_field_list_names_every_stored_column():
    columns = {field.column for field in AuditEvent._meta.concrete_fields} - {"id"}
    assert columns == set(ROW_FIELDS)


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
    # An old event that no checkpoint covers: strict verification would (rightly) fail on that.
    result = verify_database(strict=False)
    assert result.ok, result.problem
