"""Database triggers that refuse to change audit history.

PostgreSQL refuses UPDATE, DELETE and TRUNCATE; SQLite refuses UPDATE and DELETE (it has no
TRUNCATE). Installed by migration 0002; tests lift them only to prove tampering is detected.
"""

from __future__ import annotations

from contextlib import contextmanager

PROTECTED_TABLES = ("audit_auditevent", "audit_checkpoint")

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit history cannot be changed (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""


def _pg_install(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
        "FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();",
        f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();",
    ]


def _pg_remove(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};",
        f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
    ]


def _sqlite_install(table: str) -> list[str]:
    return [
        f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'audit history cannot be changed (UPDATE)'); END;",
        f"CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table} "
        "BEGIN SELECT RAISE(ABORT, 'audit history cannot be changed (DELETE)'); END;",
    ]


def _sqlite_remove(table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {table}_no_update;",
        f"DROP TRIGGER IF EXISTS {table}_no_delete;",
    ]


def install_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_PG_FUNCTION] + [sql for t in PROTECTED_TABLES for sql in _pg_install(t)]
    if vendor == "sqlite":
        return [sql for t in PROTECTED_TABLES for sql in _sqlite_install(t)]
    raise NotImplementedError(f"No audit triggers for the {vendor} database.")


def remove_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [sql for t in PROTECTED_TABLES for sql in _pg_remove(t)] + [
            "DROP FUNCTION IF EXISTS audit_refuse_change();"
        ]
    if vendor == "sqlite":
        return [sql for t in PROTECTED_TABLES for sql in _sqlite_remove(t)]
    raise NotImplementedError(f"No audit triggers for the {vendor} database.")


def install(connection) -> None:
    with connection.cursor() as cursor:
        for sql in install_sql(connection.vendor):
            cursor.execute(sql)


def remove(connection) -> None:
    with connection.cursor() as cursor:
        for sql in remove_sql(connection.vendor):
            cursor.execute(sql)


@contextmanager
def lifted(connection):
    """Triggers off for the block, back on afterwards (test teardown and tamper tests only)."""
    remove(connection)
    try:
        yield
    finally:
        install(connection)


def migrate_install(apps, schema_editor) -> None:
    for sql in install_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)


def migrate_remove(apps, schema_editor) -> None:
    for sql in remove_sql(schema_editor.connection.vendor):
        schema_editor.execute(sql, params=None)
