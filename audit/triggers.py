"""Database triggers that refuse to change audit history.

Two sets, each installed by its own migration:

- append-only (migration 0002): audit events and checkpoints refuse UPDATE and DELETE, and on
  PostgreSQL TRUNCATE (SQLite has no TRUNCATE);
- the chain head (migration 0003): the one audit_chainhead row only moves forward, one appended
  event at a time: an UPDATE must set sequence to the old sequence + 1 and hash to the hash of
  the event with that sequence; DELETE (and TRUNCATE) are refused.

Together with the app role of `manage.py db_roles` (which may not own, drop or disable
anything), PostgreSQL itself keeps the web app from rewriting the chain. `install_sql` and
`remove_sql` cover both sets, so `lifted()` (the test-only flush, tamper tests) lifts both.
"""

from __future__ import annotations

from contextlib import contextmanager

PROTECTED_TABLES = ("audit_auditevent", "audit_checkpoint")
HEAD_TABLE = "audit_chainhead"
EVENT_TABLE = "audit_auditevent"

HEAD_REFUSED = "the audit chain head only moves forward, one appended event at a time"

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit history cannot be changed (% on %)', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;
"""

# The events table is named through the trigger's own schema (TG_TABLE_SCHEMA) and the search
# path is fixed: a temporary table called audit_auditevent (pg_temp is searched first for
# tables otherwise) cannot stand in for the real events.
_PG_HEAD_FUNCTION = f"""
CREATE OR REPLACE FUNCTION audit_chainhead_forward() RETURNS trigger LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    expected text;
BEGIN
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'the audit chain head cannot be removed (% on %)', TG_OP, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('SELECT hash FROM %I.{EVENT_TABLE} WHERE sequence = $1', TG_TABLE_SCHEMA)
        INTO expected USING NEW.sequence;
    IF NEW.id IS DISTINCT FROM OLD.id
        OR NEW.sequence IS DISTINCT FROM OLD.sequence + 1
        OR expected IS NULL
        OR NEW.hash IS DISTINCT FROM expected
    THEN
        RAISE EXCEPTION '{HEAD_REFUSED} (#% to #%)', OLD.sequence, NEW.sequence
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END
$$;
"""  # noqa: S608 (constant names only)


# --- append-only: audit events and checkpoints (migration 0002) --------------------------------


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


def append_only_install_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [_PG_FUNCTION] + [sql for t in PROTECTED_TABLES for sql in _pg_install(t)]
    if vendor == "sqlite":
        return [sql for t in PROTECTED_TABLES for sql in _sqlite_install(t)]
    raise NotImplementedError(f"No audit triggers for the {vendor} database.")


def append_only_remove_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [sql for t in PROTECTED_TABLES for sql in _pg_remove(t)] + [
            "DROP FUNCTION IF EXISTS audit_refuse_change();"
        ]
    if vendor == "sqlite":
        return [sql for t in PROTECTED_TABLES for sql in _sqlite_remove(t)]
    raise NotImplementedError(f"No audit triggers for the {vendor} database.")


# --- the chain head: forward only (migration 0003) ---------------------------------------------


def head_install_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            _PG_HEAD_FUNCTION,
            f"CREATE TRIGGER {HEAD_TABLE}_forward_only BEFORE UPDATE OR DELETE ON {HEAD_TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION audit_chainhead_forward();",
            f"CREATE TRIGGER {HEAD_TABLE}_no_truncate BEFORE TRUNCATE ON {HEAD_TABLE} "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_chainhead_forward();",
        ]
    if vendor == "sqlite":
        # A missing event makes the subquery NULL, and `hash IS NOT NULL` refuses too.
        return [
            f"CREATE TRIGGER {HEAD_TABLE}_forward_only BEFORE UPDATE ON {HEAD_TABLE} "  # noqa: S608
            "WHEN NEW.id IS NOT OLD.id OR NEW.sequence IS NOT OLD.sequence + 1 "
            f"OR NEW.hash IS NOT (SELECT hash FROM {EVENT_TABLE} WHERE sequence = NEW.sequence) "
            f"BEGIN SELECT RAISE(ABORT, '{HEAD_REFUSED}'); END;",
            f"CREATE TRIGGER {HEAD_TABLE}_no_delete BEFORE DELETE ON {HEAD_TABLE} "
            "BEGIN SELECT RAISE(ABORT, 'the audit chain head cannot be removed (DELETE)'); END;",
        ]
    raise NotImplementedError(f"No audit triggers for the {vendor} database.")


def head_remove_sql(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_forward_only ON {HEAD_TABLE};",
            f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_no_truncate ON {HEAD_TABLE};",
            "DROP FUNCTION IF EXISTS audit_chainhead_forward();",
        ]
    if vendor == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_forward_only;",
            f"DROP TRIGGER IF EXISTS {HEAD_TABLE}_no_delete;",
        ]
    raise NotImplementedError(f"No audit triggers for the {vendor} database.")


# --- every audit trigger: what lifted() takes off and puts back --------------------------------


def install_sql(vendor: str) -> list[str]:
    return append_only_install_sql(vendor) + head_install_sql(vendor)


def remove_sql(vendor: str) -> list[str]:
    return head_remove_sql(vendor) + append_only_remove_sql(vendor)


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


# --- migrations: each installs (and on reversal removes) its own set, as it was ----------------


def _run(schema_editor, statements: list[str]) -> None:
    for sql in statements:
        schema_editor.execute(sql, params=None)


def migrate_install(apps, schema_editor) -> None:
    """Migration 0002: the append-only triggers on events and checkpoints."""
    _run(schema_editor, append_only_install_sql(schema_editor.connection.vendor))


def migrate_remove(apps, schema_editor) -> None:
    _run(schema_editor, append_only_remove_sql(schema_editor.connection.vendor))


def migrate_install_head(apps, schema_editor) -> None:
    """Migration 0003: the chain head moves forward only."""
    _run(schema_editor, head_install_sql(schema_editor.connection.vendor))


def migrate_remove_head(apps, schema_editor) -> None:
    _run(schema_editor, head_remove_sql(schema_editor.connection.vendor))


# A later migration that alters an audit table wraps its operations in these two, first
#     migrations.RunPython(migrate_remove_all, migrate_install_all)
# and last
#     migrations.RunPython(migrate_install_all, migrate_remove_all)
# SQLite rebuilds an altered table: that drops the table's own triggers, and the rebuild of
# audit_auditevent fails on the chain head's trigger, which names it. (PostgreSQL keeps its
# triggers through ALTER TABLE; there the pair only drops and re-creates them.)


def migrate_remove_all(apps, schema_editor) -> None:
    _run(schema_editor, remove_sql(schema_editor.connection.vendor))


def migrate_install_all(apps, schema_editor) -> None:
    _run(schema_editor, install_sql(schema_editor.connection.vendor))
