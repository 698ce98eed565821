"""Verification needs only read access: `verify_audit` runs on a read-only replica (a hot standby
refuses every write, as `default_transaction_read_only` does here) and on a SELECT-only role;
it verifies, says the result was not recorded, and writes nothing.

Like tests/audit/test_database_roles.py, the test makes its own throw-away database and roles
(unique names per run) and runs the commands in subprocesses; they are dropped afterwards."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from tests.audit.test_database_roles import _connect, _identifier, _server

BASE_DIR = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.postgres_only

APPEND_AND_SIGN = """
import django

django.setup()
from django.db import transaction

from audit.actions import Action
from audit.services import record
from audit.signer import sign_if_due

with transaction.atomic():
    for _ in range(5):
        record(action=Action.SIGNOUT, actor="system")
assert sign_if_due(force=True).sequence == 5
"""


class Replica:
    def __init__(self, tmp: Path) -> None:
        token = f"{os.getpid()}_{secrets.token_hex(4)}"
        self.database = f"sp_test_replica_{token}"
        self.reader = f"sp_test_reader_{token}"
        self.tmp = tmp

    def env(self, user: str | None = None, **extra: str) -> dict:
        server = _server()
        user = user or server["user"]
        password = f":{server['password']}" if server["password"] and user == server["user"] else ""
        url = f"postgres://{user}{password}@{server['host']}:{server['port']}/{self.database}"
        return {
            **os.environ,
            "PYTHONPATH": str(BASE_DIR),
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "SAFE_PASSAGE_ENV": "development",
            "SAFE_PASSAGE_LOCAL_DIR": str(self.tmp / "local"),
            "SECRET_KEY": "tests.audit.test_read_only_replica",
            "DATABASE_URL": url,
            "AUDIT_SIGNING_KEY_FILE": str(self.tmp / "key.pem"),
            "AUDIT_PUBLIC_KEY_FILE": str(self.tmp / "key.pub.pem"),
            "AUDIT_SIGNER_STATE_DIR": str(self.tmp / "signer"),
            **extra,
        }

    def run(self, *args: str, user: str | None = None, **extra: str):
        return subprocess.run(
            [sys.executable, *args],
            cwd=BASE_DIR,
            env=self.env(user, **extra),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )

    def events(self) -> list[tuple[int, str]]:
        with _connect(dbname=self.database) as conn:
            return conn.execute(
                "SELECT sequence, action FROM audit_auditevent ORDER BY sequence"
            ).fetchall()


@pytest.fixture(scope="module")
def replica(tmp_path_factory):
    """A migrated database with five events and a signed checkpoint, and a SELECT-only role."""
    here = Replica(tmp_path_factory.mktemp("read_only_replica"))
    database, reader = _identifier(here.database), _identifier(here.reader)
    with _connect() as admin:
        try:
            admin.execute(f"CREATE DATABASE {database}")
            admin.execute(f"CREATE ROLE {reader} LOGIN")
            for args in (("manage.py", "migrate", "--no-input", "-v", "0"),
                         ("manage.py", "audit_keygen"),
                         ("-c", APPEND_AND_SIGN)):  # fmt: skip
                done = here.run(*args)
                assert done.returncode == 0, f"{args}:\n{done.stdout}\n{done.stderr[-4000:]}"
            with _connect(dbname=here.database) as conn:
                conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {reader}")
            yield here
        finally:
            admin.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
            admin.execute(f"DROP ROLE IF EXISTS {reader}")


def test_verify_audit_on_a_read_only_database_verifies_and_writes_nothing(replica):
    before = replica.events()
    assert len(before) == 5
    done = replica.run(
        "manage.py",
        "verify_audit",
        PGOPTIONS="-c default_transaction_read_only=on",
    )
    assert done.returncode == 0, done.stderr
    assert "Audit chain OK: 5 events checked" in done.stdout
    assert "1 checkpoint signatures verified" in done.stdout
    assert "(Read-only database: the result was not recorded.)" in done.stderr
    assert replica.events() == before
    # Where the database is writable, the same run joins the chain.
    done = replica.run("manage.py", "verify_audit")
    assert done.returncode == 0, done.stderr
    assert "not recorded" not in done.stderr
    assert replica.events()[-1] == (6, "audit.verified")


def test_verify_audit_as_a_select_only_role_verifies_and_a_broken_chain_still_exits_1(replica):
    before = replica.events()
    done = replica.run("manage.py", "verify_audit", user=replica.reader)
    assert done.returncode == 0, done.stderr
    assert "Audit chain OK" in done.stdout
    assert "(Read-only database: the result was not recorded.)" in done.stderr
    assert replica.events() == before
    # The replica of a chain whose tail was cut: still named, still exit 1, still nothing written.
    with _connect(dbname=replica.database) as conn:
        conn.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
        try:
            conn.execute("DELETE FROM audit_auditevent WHERE sequence = 3")
        finally:
            conn.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
    done = replica.run(
        "manage.py",
        "verify_audit",
        user=replica.reader,
        PGOPTIONS="-c default_transaction_read_only=on",
    )
    assert done.returncode == 1
    assert "BROKEN at sequence 3" in done.stderr
    assert len(replica.events()) == len(before) - 1
