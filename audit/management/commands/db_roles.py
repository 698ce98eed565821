"""The web app's PostgreSQL role and its privileges, all from this one place.

The owner role (which `migrate` runs as) owns every table, trigger and function; the app role
(which the web app and its timers run as) owns nothing, so it can neither ALTER, DISABLE nor
DROP a trigger or a table. It may read and write the ordinary tables, only read and append
audit events and checkpoints, and move the chain head (whose triggers let it move forward only,
audit/triggers.py). Run as the owner after every `migrate`; running it again changes nothing.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from audit.models import AuditEvent, ChainHead, Checkpoint

ORDINARY = ("SELECT", "INSERT", "UPDATE", "DELETE")
SEQUENCES = ("USAGE", "SELECT")
TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")


def audit_privileges() -> dict[str, tuple[str, ...]]:
    """The audit tables and all that the app role may do to each."""
    return {
        AuditEvent._meta.db_table: ("SELECT", "INSERT"),
        Checkpoint._meta.db_table: ("SELECT", "INSERT"),
        # UPDATE only through the triggers that keep the head moving forward (audit/triggers.py).
        ChainHead._meta.db_table: ("SELECT", "INSERT", "UPDATE"),
    }


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class Command(BaseCommand):
    help = (
        "PostgreSQL only (on SQLite it has nothing to do). Run as the owner role after every "
        "`migrate`: gives the app role USAGE on the schema; SELECT, INSERT, UPDATE, DELETE on "
        "every table but the audit tables; only SELECT, INSERT on audit_auditevent and "
        "audit_checkpoint; SELECT, INSERT, UPDATE on audit_chainhead (its triggers keep UPDATE "
        "forward-only); USAGE, SELECT on sequences; and default privileges, so tables that later "
        "migrations add get the ordinary privileges without anyone remembering. An audit table "
        "added later gets the ordinary ones too until this runs again: run it after every "
        "migrate. Refuses an app role that owns anything, is a superuser, may create roles or "
        "is a member of the owner role. Idempotent; prints each statement it ran."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--app-role",
            required=True,
            metavar="NAME",
            help="The role the web app connects as (it must exist and own nothing).",
        )
        parser.add_argument(
            "--database",
            default=DEFAULT_DB_ALIAS,
            help="The database alias (default: %(default)s).",
        )

    def handle(self, *args, **options) -> None:
        alias, app = options["database"], options["app_role"]
        connection = connections[alias]
        if connection.vendor != "postgresql":
            self.stdout.write(
                f"db_roles: nothing to do on {connection.vendor}: database roles and privileges "
                "are PostgreSQL's (the audit triggers still refuse changes to history)."
            )
            return
        with connection.cursor() as cursor:
            facts = self._facts(cursor, app)
            statements = self._statements(cursor, app, facts)
            self.stdout.write(
                f"db_roles: app role {app}, owner {facts['owner']}, database "
                f"{facts['database']}, schema {facts['schema']}:"
            )
            with transaction.atomic(using=alias):
                for sql in statements:
                    cursor.execute(sql)
                    self.stdout.write(f"  {sql};")
            self._report(cursor, app, facts)

    # --- what is there, and whether it is safe to go on ---------------------------------------

    def _facts(self, cursor, app: str) -> dict:
        cursor.execute("SELECT current_user, current_database(), current_schema()")
        me, database, schema = cursor.fetchone()
        cursor.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname = %s AND tablename = %s",
            [schema, AuditEvent._meta.db_table],
        )
        row = cursor.fetchone()
        if row is None:
            raise CommandError(
                f"No audit tables in schema {schema} of {database}: run `manage.py migrate` "
                "(as the owner role) first."
            )
        owner = row[0]
        cursor.execute(
            "SELECT oid, rolsuper, rolcreaterole FROM pg_roles WHERE rolname = %s", [app]
        )
        row = cursor.fetchone()
        if row is None:
            raise CommandError(
                f"There is no role {app}. Create it first, as a superuser: "
                f"CREATE ROLE {quoted(app)} LOGIN PASSWORD '...';"
            )
        app_oid, superuser, createrole = row
        if app == owner:
            raise CommandError(
                f"{app} owns the tables: the app role must be another role, one that owns nothing."
            )
        if superuser:
            raise CommandError(f"{app} is a superuser: every privilege check passes for it.")
        if createrole:
            raise CommandError(
                f"{app} may create roles (CREATEROLE), and so grant itself more: "
                f"ALTER ROLE {quoted(app)} NOCREATEROLE;"
            )
        cursor.execute("SELECT pg_has_role(%s, %s, 'MEMBER')", [app, owner])
        if cursor.fetchone()[0]:
            raise CommandError(
                f"{app} is a member of the owner role {owner} and would hold all its rights: "
                f"REVOKE {quoted(owner)} FROM {quoted(app)};"
            )
        cursor.execute("SELECT pg_has_role(current_user, %s, 'USAGE')", [owner])
        if not cursor.fetchone()[0]:
            raise CommandError(f"Run db_roles as the owner role {owner} (this is {me}).")
        owned = self._owned_by(cursor, app_oid)
        if owned:
            raise CommandError(
                f"{app} owns {', '.join(owned[:10])}{' ...' if len(owned) > 10 else ''}; the app "
                f"role must own nothing. As a superuser, in this database: "
                f"REASSIGN OWNED BY {quoted(app)} TO {quoted(owner)};"
            )
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tableowner <> %s "
            "ORDER BY tablename",
            [schema, owner],
        )
        foreign = [name for (name,) in cursor.fetchall()]
        if foreign:
            raise CommandError(
                f"Tables not owned by {owner}: {', '.join(foreign)}. Every table must belong to "
                "the owner role (ALTER TABLE ... OWNER TO ...)."
            )
        cursor.execute("SELECT has_database_privilege(%s, %s, 'CONNECT')", [app, database])
        connect = cursor.fetchone()[0]
        return {"owner": owner, "database": database, "schema": schema, "connect": connect}

    @staticmethod
    def _owned_by(cursor, oid: int) -> list[str]:
        cursor.execute(
            "SELECT 'table ' || n.nspname || '.' || c.relname FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relowner = %s AND n.nspname NOT LIKE 'pg\\_temp\\_%%' "
            "AND n.nspname NOT LIKE 'pg\\_toast\\_temp\\_%%' "
            "UNION ALL SELECT 'function ' || p.proname FROM pg_proc p WHERE p.proowner = %s "
            "UNION ALL SELECT 'schema ' || nspname FROM pg_namespace WHERE nspowner = %s "
            "UNION ALL SELECT 'database ' || datname FROM pg_database WHERE datdba = %s "
            "ORDER BY 1",
            [oid, oid, oid, oid],
        )
        return [name for (name,) in cursor.fetchall()]

    # --- the grants -------------------------------------------------------------------------------

    @staticmethod
    def _statements(cursor, app: str, facts: dict) -> list[str]:
        role, owner, schema = quoted(app), quoted(facts["owner"]), quoted(facts["schema"])
        statements = []
        if not facts["connect"]:
            statements.append(f"GRANT CONNECT ON DATABASE {quoted(facts['database'])} TO {role}")
        statements += [
            f"REVOKE CREATE ON SCHEMA {schema} FROM {role}",
            f"GRANT USAGE ON SCHEMA {schema} TO {role}",
            # Every table from a clean slate, then the ordinary privileges...
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {role}",
            f"GRANT {', '.join(ORDINARY)} ON ALL TABLES IN SCHEMA {schema} TO {role}",
        ]
        # ...and the audit tables narrowed to read and append (nobody else, PUBLIC included).
        for table, privileges in audit_privileges().items():
            statements += [
                f"REVOKE ALL ON TABLE {schema}.{quoted(table)} FROM {role}, PUBLIC",
                f"GRANT {', '.join(privileges)} ON TABLE {schema}.{quoted(table)} TO {role}",
            ]
        statements += [
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {role}",
            f"GRANT {', '.join(SEQUENCES)} ON ALL SEQUENCES IN SCHEMA {schema} TO {role}",
        ]
        # Tables and sequences that later migrations (run by the owner) create.
        default = f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema}"
        statements += [
            f"{default} REVOKE ALL ON TABLES FROM {role}",
            f"{default} GRANT {', '.join(ORDINARY)} ON TABLES TO {role}",
            f"{default} REVOKE ALL ON SEQUENCES FROM {role}",
            f"{default} GRANT {', '.join(SEQUENCES)} ON SEQUENCES TO {role}",
        ]
        return statements

    # --- what the role holds now, as PostgreSQL sees it --------------------------------------

    def _report(self, cursor, app: str, facts: dict) -> None:
        checks = ", ".join(
            f"has_table_privilege(%s, c.oid, '{privilege}')" for privilege in TABLE_PRIVILEGES
        )
        cursor.execute(
            f"SELECT c.relname, {checks} FROM pg_class c "  # noqa: S608 (fixed privilege names)
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') ORDER BY c.relname",
            [app] * len(TABLE_PRIVILEGES) + [facts["schema"]],
        )
        held = {
            name: tuple(p for p, ok in zip(TABLE_PRIVILEGES, flags, strict=True) if ok)
            for name, *flags in cursor.fetchall()
        }
        wrong = []
        for table, privileges in audit_privileges().items():
            extra = sorted(set(held.get(table, ())) - set(privileges))
            if extra:
                wrong.append(f"{table}: {', '.join(extra)}")
        ordinary = [name for name, got in held.items() if got == ORDINARY]
        self.stdout.write(f"{app} now holds (as PostgreSQL reports it):")
        self.stdout.write(f"  {', '.join(ORDINARY)} on {len(ordinary)} tables")
        for table in audit_privileges():
            self.stdout.write(f"  {', '.join(held.get(table, ())) or 'nothing'} on {table}")
        for name, got in sorted(held.items()):
            if name not in audit_privileges() and got != ORDINARY:
                self.stdout.write(f"  {', '.join(got) or 'nothing'} on {name} (through others)")
        self.stdout.write(
            f"  owns nothing; tables {facts['owner']} creates later get "
            f"{', '.join(ORDINARY)} (run db_roles again after every migrate)"
        )
        cursor.execute("SELECT has_schema_privilege(%s, %s, 'CREATE')", [app, facts["schema"]])
        if cursor.fetchone()[0]:
            schema = quoted(facts["schema"])
            self.stderr.write(
                f"Warning: {app} may still create objects in schema {facts['schema']} (granted "
                f"to PUBLIC). As the schema's owner: REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC;"
            )
        if wrong:
            raise CommandError(
                f"{app} still holds more than it should on the audit tables, through PUBLIC or a "
                f"role it is a member of: {'; '.join(wrong)}."
            )
