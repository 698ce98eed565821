"""Least privilege on PostgreSQL: the web app's role runs the whole service, and PostgreSQL
itself refuses it every way of rewriting the audit history (manage.py db_roles, and the chain
head's forward-only triggers of audit/triggers.py).

The PostgreSQL tests make their own throw-away roles and database (unique names per run) and
run the service in subprocesses, as the owner (migrate, db_roles) and as the app role (the
journey); the database and roles are dropped afterwards, failed or not. The chain head tests at
the end run on both databases (the same rule holds in development on SQLite)."""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from audit import triggers
from audit.actions import Action
from audit.models import AuditEvent, ChainHead
from audit.services import record

BASE_DIR = Path(__file__).resolve().parents[2]
ORDINARY = {"SELECT", "INSERT", "UPDATE", "DELETE"}
EVERY_TABLE_PRIVILEGE = (
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
)
# What the app role may do to the audit tables, and nothing more (written out here, not taken
# from the command, so that a change there shows).
AUDIT = {
    "audit_auditevent": {"SELECT", "INSERT"},
    "audit_checkpoint": {"SELECT", "INSERT"},
    "audit_chainhead": {"SELECT", "INSERT", "UPDATE"},
}


# --- the throw-away database ---------------------------------------------------------------------


def _server() -> dict:
    """Where the suite's PostgreSQL is, as its (superuser) test connection reaches it."""
    db = settings.DATABASES["default"]
    return {
        "host": db.get("HOST") or "127.0.0.1",
        "port": int(db.get("PORT") or 5432),
        "user": db.get("USER") or "postgres",
        "password": db.get("PASSWORD") or None,
    }


def _connect(*, user: str | None = None, dbname: str = "postgres", autocommit: bool = True):
    server = _server()
    if user is not None:  # the test roles log in without a password (trust, as the suite does)
        server.update(user=user, password=None)
    return psycopg.connect(dbname=dbname, autocommit=autocommit, **server)


class Place:
    """The throw-away database, its owner role and its app role."""

    def __init__(self, tmp: Path) -> None:
        token = f"{os.getpid()}_{secrets.token_hex(4)}"
        self.owner = f"sp_test_owner_{token}"
        self.app = f"sp_test_app_{token}"
        self.database = f"sp_test_roles_{token}"
        self.local = tmp / "local"

    def url(self, role: str) -> str:
        server = _server()
        return f"postgres://{role}@{server['host']}:{server['port']}/{self.database}"

    def env(self, role: str, **extra: str) -> dict:
        return {
            **os.environ,
            "PYTHONPATH": str(BASE_DIR),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "SAFE_PASSAGE_ENV": "development",
            "SAFE_PASSAGE_LOCAL_DIR": str(self.local),  # never the developer's .local/
            "SECRET_KEY": "tests.audit.test_database_roles",
            "DATABASE_URL": self.url(role),
            "RATE_LIMITS_ENABLED": "0",
            **extra,
        }

    def manage(self, role: str, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=BASE_DIR,
            env=self.env(role),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"manage.py {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def python(self, role: str, script: str, *args: str, **env: str) -> str:
        done = subprocess.run(
            [sys.executable, "-c", script, *args],
            cwd=BASE_DIR,
            env=self.env(role, **env),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"as {role}:\n{done.stdout}\n{done.stderr[-6000:]}"
        return done.stdout

    def connect(self, role: str, *, autocommit: bool = True):
        return _connect(user=role, dbname=self.database, autocommit=autocommit)


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


@pytest.fixture(scope="module")
def place(tmp_path_factory):
    """Two roles and a database owned by the first, migrated and given db_roles, as the
    installer does it; dropped afterwards, whatever happened."""
    here = Place(tmp_path_factory.mktemp("database_roles"))
    owner, app, database = map(_identifier, (here.owner, here.app, here.database))
    with _connect() as admin:
        try:
            admin.execute(f"CREATE ROLE {owner} LOGIN")
            admin.execute(f"CREATE ROLE {app} LOGIN")
            admin.execute(f"CREATE DATABASE {database} OWNER {owner}")
            here.migrated = here.manage(here.owner, "migrate", "--no-input")
            here.granted = here.manage(here.owner, "db_roles", "--app-role", here.app)
            yield here
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {app}")
            admin.execute(f"DROP ROLE IF EXISTS {owner}")


def _privileges(place: Place, role: str) -> dict[str, set[str]]:
    """Every table of the schema and what `role` may do to it, as PostgreSQL says."""
    checks = ", ".join(f"has_table_privilege(%s, c.oid, '{p}')" for p in EVERY_TABLE_PRIVILEGE)
    with place.connect(place.owner) as conn:
        rows = conn.execute(
            f"SELECT c.relname, {checks} FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v') ORDER BY c.relname",
            [role] * len(EVERY_TABLE_PRIVILEGE),
        ).fetchall()
    return {
        name: {p for p, ok in zip(EVERY_TABLE_PRIVILEGE, flags, strict=True) if ok}
        for name, *flags in rows
    }


# --- what db_roles gives -------------------------------------------------------------------------

pg = pytest.mark.postgres_only


@pg
def test_the_app_role_holds_exactly_its_privileges_and_owns_nothing(place):
    held = _privileges(place, place.app)
    assert {name: held[name] for name in AUDIT} == AUDIT
    ordinary = {name: got for name, got in held.items() if name not in AUDIT}
    assert len(ordinary) > 10
    assert {name for name, got in ordinary.items() if got != ORDINARY} == set()
    with place.connect(place.owner) as conn:
        owned = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
            "WHERE r.rolname = %s UNION ALL SELECT p.proname FROM pg_proc p "
            "JOIN pg_roles r ON r.oid = p.proowner WHERE r.rolname = %s",
            [place.app, place.app],
        ).fetchall()
        schema_create = conn.execute(
            "SELECT has_schema_privilege(%s, 'public', 'CREATE')", [place.app]
        ).fetchone()[0]
        sequences = conn.execute(
            "SELECT bool_and(has_sequence_privilege(%s, c.oid, 'USAGE')), "
            "bool_or(has_sequence_privilege(%s, c.oid, 'UPDATE')) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind = 'S'",
            [place.app, place.app],
        ).fetchone()
    assert owned == []
    assert schema_create is False
    assert sequences == (True, False)


@pg
def test_db_roles_says_what_it_did_and_running_it_again_changes_nothing(place):
    assert f'GRANT SELECT, INSERT ON TABLE "public"."audit_auditevent" TO "{place.app}"' in (
        place.granted
    )
    assert "ALTER DEFAULT PRIVILEGES" in place.granted
    before = _privileges(place, place.app)
    again = place.manage(place.owner, "db_roles", "--app-role", place.app)
    assert again == place.granted
    assert _privileges(place, place.app) == before


@pg
def test_db_roles_refuses_an_app_role_that_could_undo_it(place):
    for role, reason in ((place.owner, "owns the tables"), ("sp_test_nobody", "no role")):
        done = subprocess.run(
            [sys.executable, "manage.py", "db_roles", "--app-role", role],
            cwd=BASE_DIR,
            env=place.env(place.owner),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0 and reason in done.stderr, done.stderr


@pg
def test_a_table_a_later_migration_adds_gets_the_ordinary_privileges(place):
    with place.connect(place.owner) as owner:
        owner.execute(
            "CREATE TABLE later_added (id bigint GENERATED BY DEFAULT AS IDENTITY, x int)"
        )
    try:
        with place.connect(place.app) as app:
            app.execute("INSERT INTO later_added (x) VALUES (1)")
            app.execute("UPDATE later_added SET x = 2")
            assert app.execute("SELECT x FROM later_added").fetchall() == [(2,)]
            app.execute("DELETE FROM later_added")
            with pytest.raises(psycopg.errors.InsufficientPrivilege, match="must be owner"):
                app.execute("DROP TABLE later_added")
    finally:
        with place.connect(place.owner) as owner:
            owner.execute("DROP TABLE later_added")


# --- the service, run as the app role -------------------------------------------------------------

JOURNEY = r"""
import json, re, sys
from io import StringIO

import django

django.setup()
from django.test.utils import setup_test_environment

setup_test_environment()  # the test client's host, as in the suite

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Role
from accounts.services import staff_create
from audit.models import AuditEvent, ChainHead
from audit.signer import sign_if_due
from audit.verify import verify_database
from evacuation.models import Case
from evacuation.services import casework, retention
from evacuation.services.correspondence import message_from_applicant
from tests.factories import DEFAULT_PASSWORD, RECEIPT_RE, intake_data, opened_by, sign_in
from vault.cases import case_cipher_for_applicant
from vault.receipts import receipt_parse

done = []
with connection.cursor() as cursor:
    cursor.execute("SELECT current_user")
    assert cursor.fetchone()[0] == sys.argv[1], "not connected as the app role"

carla = staff_create(
    username="carla", role=Role.CASEWORKER, password=DEFAULT_PASSWORD, actor="system"
)
TOTPDevice.objects.create(user=carla, name="authenticator", confirmed=True)
done.append("staff")
call_command("init_vault", "--grant", "carla", stdout=StringIO())
done.append("vault")


def intake(client):
    page = client.get("/en/request/").content.decode()
    token = re.search(r'name="form_token" value="([^"]+)"', page).group(1)
    return client.post("/en/request/", {**intake_data(), "form_token": token})


applicant = Client()
answer = intake(applicant)
assert answer.status_code == 200, answer.status_code
code = re.search(RECEIPT_RE, answer.content.decode()).group(1)
reference = re.search(r"<strong>(EV-[\w-]+)</strong>", answer.content.decode()).group(1)
done.append("intake")

# RATE_LIMIT_INTAKE_PER_SOURCE=1: the same source's second request is refused for now.
refused = intake(applicant)
assert refused.status_code == 429, refused.status_code
done.append("rate limited")

case = Case.objects.get(reference=reference)
case = casework.case_take(case=case, actor=carla)
case = casework.case_assess(
    case=case,
    actor=carla,
    keys=opened_by(carla, case),
    risk_level=3,
    verified_by="referee",
    support=["relocation"],
)
done.append("casework")

cipher = case_cipher_for_applicant(receipt_parse(code))
message_from_applicant(case=case, cipher=cipher, text="We are ready to leave.")
done.append("message")

staff = sign_in(Client(), carla)
assert staff.get("/staff/").status_code == 200
assert staff.post("/staff/logout/").status_code == 302
done.append("sign-in and sign-out")

assert retention.case_delete_now(case=Case.objects.get(pk=case.pk)) is True
retention.storage_scrub()  # VACUUM: PostgreSQL skips (with a warning) tables the role doesn't own
assert Case.objects.get(pk=case.pk).purged_at is not None
done.append("purge")

# The audit signer (a process of its own; here with the app role's privileges) signs the head.
call_command("audit_keygen", stdout=StringIO())
assert sign_if_due(force=True) is not None
done.append("checkpoint")

result = verify_database()
assert result.ok, result.problem
head = ChainHead.objects.get(pk=1)
assert head.sequence == AuditEvent.objects.count() == result.last_sequence
print(json.dumps({
    "done": done,
    "events": head.sequence,
    "actions": sorted(set(AuditEvent.objects.values_list("action", flat=True))),
}))
"""

VERIFY = r"""
import json
import django

django.setup()
from audit.verify import verify_database

result = verify_database()
print(json.dumps({"ok": result.ok, "problem": result.problem, "checked": result.checked}))
"""

# What PostgreSQL must answer the app role: privileges it lacks, things only an owner may do,
# and the chain head's trigger. (statement, the error's words)
REFUSED = (
    (
        "UPDATE audit_auditevent SET target_ref = 'EV-FORGED' WHERE sequence = 2",
        "permission denied",
    ),
    ("DELETE FROM audit_auditevent WHERE sequence = 2", "permission denied"),
    ("TRUNCATE audit_auditevent", "permission denied"),
    ("UPDATE audit_checkpoint SET hash = hash", "permission denied"),
    ("DELETE FROM audit_checkpoint", "permission denied"),
    ("TRUNCATE audit_chainhead", "permission denied"),
    ("DELETE FROM audit_chainhead", "permission denied"),
    ("ALTER TABLE audit_auditevent DISABLE TRIGGER ALL", "must be owner"),
    ("ALTER TABLE audit_chainhead DISABLE TRIGGER ALL", "must be owner"),
    ("DROP TRIGGER audit_auditevent_no_change ON audit_auditevent", "must be owner"),
    ("DROP TRIGGER audit_chainhead_forward_only ON audit_chainhead", "must be owner"),
    ("DROP FUNCTION audit_refuse_change() CASCADE", "must be owner"),
    ("DROP TABLE audit_auditevent", "must be owner"),
    ("ALTER TABLE audit_auditevent OWNER TO CURRENT_USER", "must be owner"),
    ("SET session_replication_role = replica", "permission denied"),  # would skip triggers
    ("CREATE TABLE audit_shadow (id int)", "permission denied for schema"),
    ("UPDATE audit_chainhead SET sequence = sequence - 1", triggers.HEAD_REFUSED),
    ("UPDATE audit_chainhead SET sequence = sequence + 1", triggers.HEAD_REFUSED),
    (
        "UPDATE audit_chainhead SET hash = (SELECT hash FROM audit_auditevent WHERE sequence = 1)",
        triggers.HEAD_REFUSED,
    ),
)


@pg
def test_the_app_role_runs_the_service_but_cannot_rewrite_its_history(place):
    printed = place.python(
        place.app, JOURNEY, place.app, RATE_LIMITS_ENABLED="1", RATE_LIMIT_INTAKE_PER_SOURCE="1"
    )
    outcome = json.loads(printed.strip().splitlines()[-1])
    assert outcome["done"] == [
        "staff",
        "vault",
        "intake",
        "rate limited",
        "casework",
        "message",
        "sign-in and sign-out",
        "purge",
        "checkpoint",
    ]
    for action in (
        Action.STAFF_CREATED,
        Action.VAULT_INITIALISED,
        Action.CASE_RECEIVED,
        Action.CASE_ASSIGNED,
        Action.CASE_ASSESSED,
        Action.SIGNIN_SUCCEEDED,
        Action.SIGNOUT,
        Action.CASE_PURGED,
    ):
        assert str(action) in outcome["actions"]

    wrong = []
    for statement, words in REFUSED:
        with place.connect(place.app, autocommit=False) as app:
            try:
                app.execute(statement)
            except psycopg.errors.InsufficientPrivilege as exc:
                if words not in str(exc):
                    wrong.append(f"{statement}: refused, but not as expected: {exc}")
            else:
                wrong.append(f"{statement}: allowed")
            finally:
                app.rollback()
    assert wrong == []

    with place.connect(place.app) as app:
        head = app.execute("SELECT sequence FROM audit_chainhead").fetchone()[0]
        events = app.execute("SELECT count(*) FROM audit_auditevent").fetchone()[0]
    assert head == events == outcome["events"]
    verified = json.loads(place.python(place.app, VERIFY).strip().splitlines()[-1])
    assert verified == {"ok": True, "problem": "", "checked": outcome["events"]}


# --- the chain head only moves forward (SQLite and PostgreSQL) ------------------------------------


def _event(number: int) -> AuditEvent:
    return record(
        action=Action.CASE_RECEIVED,
        actor="applicant",
        target_type="case",
        target_ref=f"EV-{number:04d}",
        data={"urgency": "now"},
    )


def _refused(change) -> None:
    with pytest.raises(DatabaseError, match=r"audit chain head"), transaction.atomic():
        change()


@pytest.mark.django_db
def test_record_moves_the_head_forward_and_nothing_else_can():
    for number in range(3):
        _event(number)
    head = ChainHead.objects.get(pk=1)
    third = AuditEvent.objects.get(sequence=3)
    assert (head.sequence, head.hash) == (3, third.hash)
    heads = ChainHead.objects.filter(pk=1)
    _refused(lambda: heads.update(sequence=2, hash=AuditEvent.objects.get(sequence=2).hash))
    _refused(lambda: heads.update(sequence=4, hash=third.hash))  # no event 4
    _refused(lambda: heads.update(hash="f" * 64))
    _refused(lambda: heads.update(id=2))
    _refused(lambda: heads.delete())
    assert ChainHead.objects.values_list("sequence", "hash").get() == (3, third.hash)
    assert _event(4).sequence == 4


@pytest.mark.django_db
def test_a_step_forward_must_reach_the_event_of_its_sequence():
    first = _event(0)
    # An event appended outside record() (INSERT is allowed): the head may step onto it only
    # with its hash.
    second = AuditEvent.objects.create(
        sequence=2,
        created_at=first.created_at,
        actor_kind="system",
        action=Action.CASE_RECEIVED,
        prev_hash=first.hash,
        hash="e" * 64,
    )
    heads = ChainHead.objects.filter(pk=1)
    _refused(lambda: heads.update(sequence=2, hash=first.hash))
    heads.update(sequence=2, hash=second.hash)
    assert ChainHead.objects.get(pk=1).sequence == 2


@pytest.mark.django_db
def test_lifted_takes_the_head_triggers_off_and_puts_them_back():
    _event(0)
    with triggers.lifted(connection):
        ChainHead.objects.filter(pk=1).update(sequence=0)
    _refused(lambda: ChainHead.objects.filter(pk=1).update(sequence=5))
    assert ChainHead.objects.get(pk=1).sequence == 0


@pytest.mark.django_db
def test_the_head_refuses_truncate_on_postgres(on_postgres):
    if not on_postgres:
        pytest.skip("SQLite has no TRUNCATE")
    refused = pytest.raises(DatabaseError, match=r"cannot be removed \(TRUNCATE")
    with refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_chainhead")
