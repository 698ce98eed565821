"""Updating many rows of one table by primary key, fast (a rotation's re-keying batches).

PostgreSQL: one `UPDATE ... FROM unnest(arrays)` statement per thousand rows, one array per
column (the statement's text never changes), bound server-side in binary (psycopg's client-side
binding, Django's default, quotes every bytea element as text: a tenth of a rotation's time);
one statement per row costs several times more at 100,000 cases. Elsewhere (SQLite): one UPDATE per
row, sent with executemany. Either way the caller's transaction holds them all.
"""

from __future__ import annotations

from django.db import connection

CHUNK = 1000


def update_by_pk(model, columns: list[str], rows: list[tuple]) -> None:
    """Sets `columns` on each row: `rows` holds (value, ..., pk) tuples, values in the order of
    `columns`. Values are bound as parameters, never formatted into the SQL."""
    if not rows:
        return
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    fields = [model._meta.get_field(name) for name in columns]
    names = [q(field.column) for field in fields]
    pk = q(model._meta.pk.column)
    if connection.vendor != "postgresql":
        assignments = ", ".join(f"{name} = %s" for name in names)
        with connection.cursor() as cursor:
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {pk} = %s",  # noqa: S608
                [tuple(row) for row in rows],
            )
        return
    types = [field.db_type(connection) for field in fields]
    types.append(model._meta.pk.rel_db_type(connection))
    # One array per column: the statement's text never changes, so it is parsed once.
    arrays = ", ".join(f"%b::{kind}[]" for kind in types)
    aliases = ", ".join([*(f"v{i}" for i in range(len(names))), "pk"])
    assignments = ", ".join(f"{name} = v.v{i}" for i, name in enumerate(names))
    sql = (
        f"UPDATE {table} SET {assignments} "  # noqa: S608
        f"FROM unnest({arrays}) AS v({aliases}) WHERE {table}.{pk} = v.pk"
    )
    import psycopg  # only here: the PostgreSQL driver

    connection.ensure_connection()
    # A plain (server-binding) cursor on Django's own connection: the same transaction.
    with psycopg.Cursor(connection.connection) as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            cursor.execute(sql, [list(column) for column in zip(*chunk, strict=True)])
