"""Exports of audit events: JSON Lines that `verify_audit --file` checks offline, and CSV.

Both stream rows from the database in chunks, so an export of the whole log stays small in
memory. Exports hold only what the log holds: no personal data is ever in it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator

from django.db.models import QuerySet
from django.utils import timezone

from audit.chain import ROW_FIELDS, timestamp
from audit.models import Checkpoint
from audit.verify import CHUNK_SIZE, EXPORT_FORMAT

_line = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode

CSV_COLUMNS = (*ROW_FIELDS, "actor_username")
_CREATED_AT = ROW_FIELDS.index("created_at")
_DATA = ROW_FIELDS.index("data")


def jsonl_lines(events: QuerySet, *, filtered: bool, key_fingerprint: str = "") -> Iterator[str]:
    """Header, then the checkpoints the events can be checked against, then events in order."""
    yield (
        _line(
            {
                "type": "header",
                "format": EXPORT_FORMAT,
                "filtered": filtered,
                "exported_at": timestamp(timezone.now()),
                "key_fingerprint": key_fingerprint,
            }
        )
        + "\n"
    )
    for sequence, digest, signature, fingerprint, created_at in Checkpoint.objects.order_by(
        "sequence", "id"
    ).values_list("sequence", "hash", "signature", "key_fingerprint", "created_at"):
        yield (
            _line(
                {
                    "type": "checkpoint",
                    "sequence": sequence,
                    "hash": digest,
                    "signature": signature,
                    "key_fingerprint": fingerprint,
                    "created_at": timestamp(created_at),
                }
            )
            + "\n"
        )
    for row in events.order_by("sequence").values_list(*ROW_FIELDS).iterator(chunk_size=CHUNK_SIZE):
        item = dict(zip(ROW_FIELDS, row, strict=True))
        item["created_at"] = timestamp(item["created_at"])
        item["type"] = "event"
        yield _line(item) + "\n"


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_lines(events: QuerySet) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield writer.writerow(CSV_COLUMNS)
    names = (*ROW_FIELDS, "actor__username")
    for row in events.order_by("sequence").values_list(*names).iterator(chunk_size=CHUNK_SIZE):
        values = list(row)
        values[_CREATED_AT] = timestamp(values[_CREATED_AT])
        values[_DATA] = _line(values[_DATA])
        yield writer.writerow([_csv_safe(value) for value in values])


def _csv_safe(value):
    # Spreadsheets run cells that start with these as formulas.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value
