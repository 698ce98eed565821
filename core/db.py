"""Making deleted rows really gone from the database's own files."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.db.transaction import TransactionManagementError


def scrub_deleted(tables: Iterable[str]) -> None:
    """After rows were deleted for good (crypto-shredding), leaves none of their bytes in the
    database files that this server can reach.

    SQLite (with `PRAGMA secure_delete=ON`, set for every connection in the settings) zeroes
    deleted content in the pages it writes, but the old pages stay in the write-ahead log until a
    checkpoint: truncate it. PostgreSQL marks deleted tuples dead and leaves their bytes until
    VACUUM reclaims them: vacuum the tables now. What neither can reach is said in the README:
    PostgreSQL's WAL segments already written and archived, and every backup taken before.
    Must run outside a transaction (VACUUM refuses one)."""
    if connection.in_atomic_block:
        # Neither VACUUM nor a checkpoint can run inside a transaction (and a failed statement
        # would abort the caller's): the next purge_expired, outside one, does it.
        raise TransactionManagementError("The database files are scrubbed outside a transaction.")
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    elif connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(f"VACUUM {connection.ops.quote_name(table)}")
