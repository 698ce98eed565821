"""Verification of the chain: every hash, every link, no gaps, every checkpoint signature.

Streams rows in constant memory (only the checkpoints, one per thousand events, are held) and
stops at the first broken event. The same loop checks the database and exported files.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import queue
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import chain
from pathlib import Path
from typing import IO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.utils.translation import gettext as _

from audit import signing
from audit.chain import (
    EVENT_FIELDS,
    GENESIS_HASH,
    ROW_FIELDS,
    Kind,
    canonical_event,
    canonical_json,
    event_values,
    timestamp,
)

EXPORT_FORMAT = "safe-passage-audit/v1"
CHUNK_SIZE = 5000

_SEQUENCE_AT, _CREATED_AT, _PREV_HASH_AT, _HASH_AT = (
    ROW_FIELDS.index(name) for name in ("sequence", "created_at", "prev_hash", "hash")
)


@dataclass
class VerifyResult:
    ok: bool = True
    checked: int = 0
    last_sequence: int = 0
    last_hash: str = GENESIS_HASH
    first_bad_sequence: int | None = None
    problem: str = ""
    checkpoints_checked: int = 0
    last_checkpoint: int | None = None
    key_fingerprint: str = ""
    # The first event dated earlier than the event before it (beyond the clock skew allowed).
    first_backdated: int | None = None
    notes: list[str] = field(default_factory=list)

    def fail(self, sequence: int, problem: str) -> VerifyResult:
        self.ok = False
        self.first_bad_sequence = sequence
        self.problem = problem
        return self

    def summary(self) -> str:
        if not self.ok:
            return f"Audit chain BROKEN at sequence {self.first_bad_sequence}: {self.problem}"
        text = (
            f"Audit chain OK: {self.checked} events checked, last sequence "
            f"{self.last_sequence}, last hash {self.last_hash}; "
            f"{self.checkpoints_checked} checkpoint signatures verified"
        )
        if self.last_checkpoint is not None:
            text += f" (last at sequence {self.last_checkpoint})"
        if self.key_fingerprint:
            text += f", key {self.key_fingerprint}"
        text += "."
        if self.notes:
            text += " Note: " + " ".join(self.notes)
        return text


@dataclass(frozen=True)
class CheckpointRow:
    sequence: int
    hash: str
    signature: str
    key_fingerprint: str
    signed_at: str  # audit.chain.timestamp() form: it is signed too


def checkpoint_rows(statements: Iterable[signing.Statement]) -> list[CheckpointRow]:
    """Signed heads kept off the server, checked against the chain as its own checkpoints are:
    a head the chain no longer reaches (rollback, truncation) or whose hash it no longer has
    (a fork, a rewrite) fails at the first sequence that is wrong."""
    return [
        CheckpointRow(s.sequence, s.hash, s.signature, s.key_fingerprint, s.signed_at)
        for s in statements
    ]


def verify_rows(
    rows: Iterable[tuple],
    *,
    checkpoints: Iterable[CheckpointRow] = (),
    public_key: Ed25519PublicKey | None = None,
    contiguous: bool = True,
    result: VerifyResult | None = None,
    after: tuple[int, str] = (0, GENESIS_HASH),
    clock_skew: float = 0.0,
) -> VerifyResult:
    """Checks rows given in sequence order as tuples in `ROW_FIELDS` order, created_at in its
    canonical text form and JSON fields as JSON text in any formatting: `events_sql()`,
    `verify_file()` and `audit.chain.event_row()` make such tuples.

    contiguous=False accepts gaps between rows (a filtered export): each row's own hash and the
    links between neighbours that are both present are still checked. `after` is the (sequence,
    hash) the rows continue from (the signer checks only what came since its last signature).

    An event dated more than `clock_skew` seconds earlier than the event before it is noted in
    `result.first_backdated`, not failed: the caller decides (strict verification fails).
    """
    result = result or VerifyResult()
    checkpoints = list(checkpoints)
    if public_key is not None:
        result.key_fingerprint = signing.fingerprint(public_key)
    elif checkpoints:
        result.notes.append(_("Checkpoint signatures were NOT checked: no public key was given."))
    pending: dict[int, list[CheckpointRow]] = {}
    for checkpoint in checkpoints:
        pending.setdefault(checkpoint.sequence, []).append(checkpoint)
    if 0 in pending:
        # A checkpoint of the empty chain signs the genesis hash.
        problem = _checkpoints_check(pending.pop(0), GENESIS_HASH, public_key, result)
        if problem:
            return result.fail(0, problem)

    # Local names keep the inner loop free of global and attribute lookups.
    sha256 = hashlib.sha256
    encode = canonical_event
    sequence_at, created_at, prev_hash_at, hash_at = (
        _SEQUENCE_AT,
        _CREATED_AT,
        _PREV_HASH_AT,
        _HASH_AT,
    )
    # A bound dict lookup: half the cost of a call to functools.lru_cache on a hit.
    canonical_data = _CanonicalJsonCache().__getitem__
    expected = after[0] + 1
    previous = after[1]
    checked = 0
    gaps = 0
    sequence = 0
    digest = GENESIS_HASH
    # Times are compared as canonical text ("YYYY-MM-DDTHH:MM:SS.ffffff+00:00" sorts by time);
    # only a step back is parsed, to allow the clock skew.
    previous_time = ""
    backdated = None
    for row in rows:
        sequence, prev_hash, digest = row[sequence_at], row[prev_hash_at], row[hash_at]
        if sequence != expected:
            if sequence < expected:
                return result.fail(
                    sequence, _("out of order or duplicated: the sequence went backwards.")
                )
            if contiguous:
                return result.fail(
                    expected,
                    _("event %(missing)s is missing (the next event is %(next)s).")
                    % {"missing": expected, "next": sequence},
                )
            gaps += 1
        elif prev_hash != previous:
            return result.fail(
                sequence,
                _("its previous-hash link does not match the hash of the event before it."),
            )
        if sha256(encode(row, canonical_data)).hexdigest() != digest:
            return result.fail(sequence, _("its contents do not match its hash (edited)."))
        if sequence in pending:
            problem = _checkpoints_check(pending.pop(sequence), digest, public_key, result)
            if problem:
                return result.fail(sequence, problem)
        created = row[created_at]
        if (
            created < previous_time
            and backdated is None
            and _seconds_between(created, previous_time) > clock_skew
        ):
            backdated = sequence
        previous_time = created
        previous = digest
        expected = sequence + 1
        checked += 1
    result.checked = checked
    result.first_backdated = backdated
    result.last_sequence = sequence
    result.last_hash = digest if checked else GENESIS_HASH
    for orphan in sorted(pending):
        if contiguous or orphan > sequence:
            return result.fail(
                orphan if not contiguous else min(orphan, sequence + 1),
                _("a checkpoint signs sequence %(checkpoint)s, but the chain ends at %(end)s.")
                % {"checkpoint": orphan, "end": sequence},
            )
        # Filtered export: the event is not in the file, but the signature can still be checked.
        problem = _checkpoints_check(pending[orphan], None, public_key, result)
        if problem:
            return result.fail(orphan, problem)
    if gaps:
        result.notes.append(
            _("Filtered export: %(gaps)s gaps between exported events were not checked.")
            % {"gaps": gaps}
        )
    return result


def _seconds_between(earlier: str, later: str) -> float:
    try:
        return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()
    except (TypeError, ValueError):
        return float("inf")  # a time that cannot be read cannot be in order either


class _CanonicalJsonCache(dict):
    """Stored JSON text to canonical JSON text. Data values repeat a lot (reason codes,
    urgencies), so most events skip re-encoding; bounded to keep memory constant."""

    def __missing__(self, text: str) -> str:
        if len(self) >= 10_000:
            self.clear()
        canonical = self[text] = canonical_json(json.loads(text))
        return canonical


def _checkpoints_check(
    checkpoints: list[CheckpointRow],
    digest: str | None,
    public_key: Ed25519PublicKey | None,
    result: VerifyResult,
) -> str:
    for checkpoint in checkpoints:
        if digest is not None and checkpoint.hash != digest:
            return _("a signed checkpoint holds a different hash for this event (chain rewritten).")
        if public_key is not None:
            if not signing.signature_valid(
                public_key,
                sequence=checkpoint.sequence,
                hash=checkpoint.hash,
                signed_at=checkpoint.signed_at,
                signature=checkpoint.signature,
            ):
                return _(
                    "its checkpoint signature does not verify with the key %(key)s "
                    "(signed by another key, or forged)."
                ) % {"key": result.key_fingerprint}
            result.checkpoints_checked += 1
        if result.last_checkpoint is None or checkpoint.sequence > result.last_checkpoint:
            result.last_checkpoint = checkpoint.sequence
    return ""


# --- the database ------------------------------------------------------------------------------


def verify_database(
    *,
    public_key: Ed25519PublicKey | None = None,
    expect: Iterable[signing.Statement] = (),
    strict: bool = True,
    now: datetime | None = None,
) -> VerifyResult:
    """Verifies the chain in the database against the configured public key (or `public_key`)
    and the signed heads in `expect`. Strict (the default) also fails without a public key, on
    an event dated in the future or before the event ahead of it (beyond
    AUDIT_CLOCK_SKEW_SECONDS), when events exist but no checkpoint at all, and when an event
    older than AUDIT_MAX_UNSIGNED_AGE is not covered by a signed checkpoint; strict=False only
    notes those (a first install)."""
    from django.db import connection, transaction

    if public_key is None:
        public_key = _configured_public_key()
    if public_key is None and strict:
        return VerifyResult().fail(
            0,
            _(
                "the checkpoint public key is missing or unreadable (AUDIT_PUBLIC_KEY_FILE), so "
                "no signature can be checked."
            ),
        )
    expected = checkpoint_rows(expect)
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # One snapshot: appends that commit meanwhile neither show up half-way nor look missing.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return _verify_database(public_key, expected, strict, now)
    return _verify_database(public_key, expected, strict, now)


def _verify_database(
    public_key: Ed25519PublicKey | None,
    expected: list[CheckpointRow],
    strict: bool,
    now: datetime | None,
) -> VerifyResult:
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from audit.models import AuditEvent, ChainHead, Checkpoint

    head_before = ChainHead.objects.values_list("sequence", flat=True).first()
    checkpoints = [
        CheckpointRow(sequence, digest, signature, fingerprint, timestamp(signed_at))
        for sequence, digest, signature, fingerprint, signed_at in Checkpoint.objects.order_by(
            "sequence", "id"
        ).values_list("sequence", "hash", "signature", "key_fingerprint", "created_at")
    ]
    with connection.chunked_cursor() as cursor:
        cursor.execute(events_sql(connection.vendor))
        result = verify_rows(
            chain.from_iterable(_prefetched(cursor, CHUNK_SIZE)),
            checkpoints=checkpoints + expected,
            public_key=public_key,
            clock_skew=settings.AUDIT_CLOCK_SKEW_SECONDS,
        )
    if not result.ok:
        return result
    head_after = ChainHead.objects.values_list("sequence", flat=True).first()
    if head_before is not None and result.last_sequence < head_before:
        return result.fail(
            result.last_sequence + 1,
            _(
                "the chain ends at %(end)s but %(appended)s events were appended "
                "(events at the end were deleted)."
            )
            % {"end": result.last_sequence, "appended": head_before},
        )
    if head_after is not None and result.last_sequence > head_after:
        return result.fail(
            head_after + 1, _("events were added after the chain head, outside record().")
        )
    # The times are the insider's to write too: dated in the future, events never grow old
    # enough to need a signature. Strict verification trusts only times that move forward and
    # are not ahead of this clock (beyond AUDIT_CLOCK_SKEW_SECONDS).
    now = now or timezone.now()
    for problem_at, problem in _time_problems(result, now, settings.AUDIT_CLOCK_SKEW_SECONDS):
        if strict:
            return result.fail(problem_at, problem)
        result.notes.append(problem)
    covered = result.last_checkpoint if public_key is not None else None
    if result.checked and result.last_checkpoint is None:
        # Deleting the checkpoints must not leave a chain that verifies on its own.
        problem = _(
            "%(count)s events and no signed checkpoint at all (checkpoints deleted, or the "
            "audit signer never ran)."
        ) % {"count": result.checked}
        if strict:
            return result.fail(1, problem)
        result.notes.append(problem)
    # Every event old enough must be under a signature (bursts within the hour are not).
    cutoff = now - timedelta(seconds=settings.AUDIT_MAX_UNSIGNED_AGE)
    unsigned = AuditEvent.objects.filter(created_at__lt=cutoff)
    if covered is not None:
        unsigned = unsigned.filter(sequence__gt=covered)
    first_unsigned = unsigned.order_by("sequence").values_list("sequence", flat=True).first()
    if first_unsigned is not None:
        problem = _(
            "events from %(first)s on are older than %(age)s seconds and no signed checkpoint "
            "covers them (is the audit signer running?)."
        ) % {"first": first_unsigned, "age": settings.AUDIT_MAX_UNSIGNED_AGE}
        if strict:
            return result.fail(first_unsigned, problem)
        result.notes.append(problem)
    return result


def _time_problems(result: VerifyResult, now: datetime, skew: int) -> list[tuple[int, str]]:
    """(sequence, problem) for the first event dated ahead of `now` and the first dated
    earlier than the event before it, both beyond `skew` seconds; in sequence order."""
    from audit.models import AuditEvent

    problems = []
    ahead = (
        AuditEvent.objects.filter(created_at__gt=now + timedelta(seconds=skew))
        .order_by("sequence")
        .values_list("sequence", flat=True)
        .first()
    )
    if ahead is not None:
        problems.append(
            (
                ahead,
                _(
                    "it is dated in the future (more than %(skew)s seconds ahead of this "
                    "clock): event times were rewritten."
                )
                % {"skew": skew},
            )
        )
    if result.first_backdated is not None:
        problems.append(
            (
                result.first_backdated,
                _(
                    "it is dated earlier than the event before it (more than %(skew)s "
                    "seconds): event times were rewritten."
                )
                % {"skew": skew},
            )
        )
    return sorted(problems)


def verify_heads(
    statements: list[signing.Statement], *, public_key: Ed25519PublicKey | None
) -> VerifyResult:
    """Whether signed heads kept off the server are still in the database's chain: each must
    verify with the public key and its event must exist with that hash. Quick (one query),
    for the auditor's page; the full check is verify_database with `expect`."""
    from audit.models import AuditEvent

    result = VerifyResult()
    if public_key is None:
        return result.fail(0, _("the checkpoint public key is missing or unreadable."))
    result.key_fingerprint = signing.fingerprint(public_key)
    stored = dict(
        AuditEvent.objects.filter(sequence__in=[s.sequence for s in statements]).values_list(
            "sequence", "hash"
        )
    )
    end = AuditEvent.objects.order_by("-sequence").values_list("sequence", flat=True).first() or 0
    for item in sorted(statements, key=lambda s: s.sequence):
        if not signing.signature_valid(
            public_key,
            sequence=item.sequence,
            hash=item.hash,
            signed_at=item.signed_at,
            signature=item.signature,
        ):
            return result.fail(
                item.sequence,
                _("this signed head does not verify with the key %(key)s.")
                % {"key": result.key_fingerprint},
            )
        if item.sequence > end:
            return result.fail(
                end + 1,
                _(
                    "a signed head says the chain reached %(head)s, but it ends at %(end)s "
                    "(events deleted, or an older copy restored)."
                )
                % {"head": item.sequence, "end": end},
            )
        if item.sequence and stored.get(item.sequence) != item.hash:
            return result.fail(
                item.sequence,
                _("the chain holds another event here than the one signed (rewritten, or forked)."),
            )
        result.checked += 1
        result.last_checkpoint = item.sequence
    return result


def verify_events_after(after: tuple[int, str]) -> VerifyResult:
    """Verifies the events that follow (sequence, hash) in the database, links and hashes only
    (the signer's check before it signs)."""
    from django.db import connection

    with connection.chunked_cursor() as cursor:
        cursor.execute(events_sql(connection.vendor, after=after[0]))
        return verify_rows(chain.from_iterable(_prefetched(cursor, CHUNK_SIZE)), after=after)


def events_sql(vendor: str, *, after: int = 0) -> str:
    """Every event in sequence order as `verify_rows` wants it: plain columns read from a
    (server-side) cursor, no model instances; the database writes the times as text."""
    if vendor == "postgresql":
        created = "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
        json_text = "{}::text"
    else:
        # Django keeps UTC in SQLite as "YYYY-MM-DD HH:MM:SS[.ffffff]"; text, not a datetime.
        created = (
            "replace(CAST(created_at AS TEXT), ' ', 'T') || CASE WHEN length(created_at) = 19 "
            "THEN '.000000' ELSE '' END || '+00:00'"
        )
        json_text = "{}"
    # The one timestamp column is hashed in its canonical text form.
    expressions = {"created_at": created} | {
        name: json_text.format(name) for name, kind in EVENT_FIELDS if kind is Kind.JSON
    }
    columns = ", ".join(expressions.get(name, name) for name in ROW_FIELDS)
    return (
        f"SELECT {columns} FROM audit_auditevent WHERE sequence > {int(after)} "  # noqa: S608
        "ORDER BY sequence"
    )


def _prefetched(cursor, size: int) -> Iterator[list[tuple]]:
    """Chunks of rows, the next one fetched in a thread while this one is hashed.

    The database driver releases the GIL while it waits on the network, so fetching and
    hashing overlap; at most three chunks are in memory at once.
    """
    chunks: queue.Queue = queue.Queue(maxsize=2)
    stop = threading.Event()

    def fetch() -> None:
        try:
            while not stop.is_set():
                rows = cursor.fetchmany(size)
                chunks.put(rows)
                if not rows:
                    return
        except BaseException as exc:  # handed to the reading thread, which re-raises it
            chunks.put(exc)

    worker = threading.Thread(target=fetch, name="audit-verify-fetch", daemon=True)
    worker.start()
    try:
        while True:
            item = chunks.get()
            if isinstance(item, BaseException):
                raise item
            if not item:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():
            # Unblock a fetcher waiting on a full queue, then let it finish its last fetch.
            with contextlib.suppress(queue.Empty):
                chunks.get_nowait()
            worker.join(timeout=0.05)


def _configured_public_key() -> Ed25519PublicKey | None:
    try:
        return signing.public_key()
    except signing.SigningKeyError:
        return None


# --- exported files ----------------------------------------------------------------------------


class ExportFormatError(ValueError):
    """The file is not a Safe Passage audit export."""


def verify_file(
    handle: IO[str],
    *,
    public_key: Ed25519PublicKey | None = None,
    expect: Iterable[signing.Statement] = (),
) -> VerifyResult:
    """Verifies a JSON Lines export offline: header, then checkpoints, then events."""
    lines = iter(enumerate(handle, start=1))
    header = _json_line(next(lines, (1, ""))[1], 1)
    if header.get("type") != "header" or header.get("format") != EXPORT_FORMAT:
        raise ExportFormatError("The first line is not a Safe Passage audit export header.")
    filtered = bool(header.get("filtered"))
    checkpoints: list[CheckpointRow] = []
    first_event: dict | None = None
    for number, line in lines:
        item = _json_line(line, number)
        if item.get("type") == "checkpoint":
            try:
                checkpoints.append(
                    CheckpointRow(
                        int(item["sequence"]),
                        str(item["hash"]),
                        str(item["signature"]),
                        str(item.get("key_fingerprint", "")),
                        str(item["created_at"]),
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ExportFormatError(f"Line {number}: a malformed checkpoint.") from exc
            continue
        first_event = item
        break
    result = VerifyResult()
    if filtered:
        result.notes.append(_("This export was filtered: it does not hold the whole chain."))
    rows = _file_rows(first_event, lines)
    try:
        return verify_rows(
            rows,
            checkpoints=checkpoints + checkpoint_rows(expect),
            public_key=public_key,
            contiguous=not filtered,
            result=result,
        )
    except (TypeError, ValueError, AttributeError) as exc:
        if isinstance(exc, ExportFormatError):
            raise
        raise ExportFormatError("An event in the file has fields of the wrong type.") from exc


def _file_rows(first: dict | None, lines: Iterator[tuple[int, str]]) -> Iterator[tuple]:
    if first is None:
        return
    yield _event_tuple(first, 0)
    for number, line in lines:
        yield _event_tuple(_json_line(line, number), number)


def _event_tuple(item: dict, number: int) -> tuple:
    if item.get("type") != "event":
        raise ExportFormatError(f"Line {number}: expected an event (checkpoints come first).")
    missing = [name for name in ROW_FIELDS if name not in item]
    if missing:
        raise ExportFormatError(f"Line {number}: the event lacks {', '.join(missing)}.")
    try:
        values = event_values(item)
    except TypeError:
        values = None
    if values is None or not isinstance(item["hash"], str):
        raise ExportFormatError(f"Line {number}: an event field has the wrong type.")
    return (*values, item["hash"])


def _json_line(line: str, number: int) -> dict:
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ExportFormatError(f"Line {number} is not JSON.") from exc
    if not isinstance(item, dict):
        raise ExportFormatError(f"Line {number} is not a JSON object.")
    return item


def public_key_from(path: str | Path | None) -> Ed25519PublicKey | None:
    """An explicit key file, else the configured one, else None."""
    if path:
        return signing.public_key_load(Path(path))
    return _configured_public_key()
