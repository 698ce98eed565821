"""An upgrade, for real (marker `install`: once, as root): the commit named in deploy/UPGRADE_BASE
is checked out with `git worktree`, installed with its own installer into a temporary root
against a fresh PostgreSQL database and given data (a caseworker, the organisation key, a
request); then the working tree's installer runs with `--upgrade`. The upgrade takes an
encrypted backup before its migrations, installs the new code, migrates, collects the static
files, and the data is still there: the applicant's code opens the case and the caseworker
decrypts it, with the new code."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

from tests.deploy.test_install import (
    PYTHON,
    _drop_users,
    _free_port,
    _identifier,
    _unavailable,
)

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parents[2]
SERVER = "sp-upgrade.test"
PASSWORD = "upgrade-test-password-of-length"
TOOLS = ("nginx", "openssl", "git")

# Run by the installed code's `manage shell` as the web app's user: the caseworker's vault
# session (password, then the step after the second factor), as the sign-in pages run it, opens
# the case; the applicant's code opens it too. Prints what each read.
READ_BACK = """
import json, sys
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.test import RequestFactory
from accounts.models import User
from evacuation.models import Case
from evacuation.services import opening
from vault import session as vault_session
from vault.cases import case_cipher_for_applicant
from vault.middleware import SessionKeyCookieMiddleware
from vault.receipts import receipt_parse

given = json.loads(sys.stdin.read())
user = User.objects.get(username="carla")
state = {"session": SessionStore(), "cookies": {}}
state["session"].save()

def run(action):
    request = RequestFactory().get("/staff/")
    request.session = SessionStore(session_key=state["session"].session_key)
    request.user = user
    request.COOKIES.update(state["cookies"])
    out = {}
    def view(req):
        out["value"] = action(req)
        return HttpResponse()
    response = SessionKeyCookieMiddleware(view)(request)
    request.session.save()
    state["session"] = request.session
    for name, morsel in response.cookies.items():
        state["cookies"][name] = morsel.value
    return out.get("value")

run(lambda r: vault_session.unlock_begin(r, user=user, password=given["password"]))
run(vault_session.unlock_complete)
case = Case.objects.get(reference=given["reference"])
def open_it(request):
    keys = vault_session.staff_keys(request)
    return opening.case_open(case=case, actor=user, keys=keys, reason="assess")
opened = run(open_it)
cipher = case_cipher_for_applicant(receipt_parse(given["code"]))
print(json.dumps({
    "staff_read": opened.intake.get("name") == "Upgrade Alias",
    "applicant_case": Case.objects.get(uid=cipher.case_uid).reference,
    "cases": Case.objects.count(),
}))
"""

MAKE_DATA = """
import json
from evacuation.services.intake import case_submit
case, code = case_submit(form_data={
    "name": "Upgrade Alias", "contact_method": "signal", "contact_handle": "@upgrade_alias",
    "country": "Country Now", "city": "City Now", "situation": "Before the upgrade.",
    "urgency": "weeks", "party_size": 1, "travel_documents": "valid_passport",
    "help_needed": ["transport"], "voucher": "", "consent": True,
})
print(json.dumps({"reference": case.reference, "code": str(code)}))
"""


def _base_commit() -> str:
    text = (ROOT / "deploy" / "UPGRADE_BASE").read_text()
    lines = [line.split("#")[0].strip() for line in text.splitlines()]
    return next(line for line in lines if line)


def _manage(prefix: Path, *args: str, input: str | None = None, owner: bool = False) -> str:
    command = [prefix / "bin" / "manage", *(["--owner"] if owner else []), *args]
    done = subprocess.run(command, capture_output=True, text=True, input=input, timeout=300)
    assert done.returncode == 0, f"manage {args}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_an_install_of_the_base_commit_upgrades_with_its_data(tmp_path):
    import pyrage

    from evacuation.services.backup import archive_open

    if os.geteuid() != 0:
        _unavailable("the upgrade test runs as root (the installer creates system users)")
    missing = [tool for tool in TOOLS if not shutil.which(tool)]
    if missing:
        _unavailable(f"missing {', '.join(missing)}")
    if not PYTHON.exists():
        _unavailable(f"{PYTHON} is missing")
    if not (ROOT / ".git").exists():
        _unavailable("not a git checkout: the base commit cannot be checked out")
    try:
        admin = psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
        )
    except psycopg.Error:
        _unavailable("no PostgreSQL on 127.0.0.1:5432 (scripts/ensure_postgres.sh)")
    base = _base_commit()
    token = secrets.token_hex(3)
    name = f"sp-u{token}"
    owner, app, database = f"sp_u{token}_owner", f"sp_u{token}_app", f"sp_u{token}"
    top = Path(tempfile.mkdtemp(prefix="sp-upgrade-", dir="/tmp"))
    top.chmod(0o755)
    worktree = top / "base"
    root = top / "root"
    prefix = root / "opt" / name
    identity = pyrage.x25519.Identity.generate()
    fresh_name, fresh_root, fresh_database = f"{name}r", top / "fresh", f"{database}_fresh"
    try:
        admin.execute(f"CREATE ROLE {_identifier(owner)} LOGIN")
        admin.execute(f"CREATE ROLE {_identifier(app)} LOGIN")
        admin.execute(f"CREATE DATABASE {_identifier(database)} OWNER {_identifier(owner)}")
        subprocess.run(
            ["git", "-C", ROOT, "worktree", "add", "--detach", worktree, base],
            check=True,
            capture_output=True,
        )
        tls = top / "tls"
        tls.mkdir(mode=0o700)
        subprocess.run(
            [
                *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
                *("-subj", f"/CN={SERVER}", "-keyout", tls / "key.pem", "-out", tls / "cert.pem"),
            ],
            check=True,
            capture_output=True,
        )
        where = ["--root", root, "--name", name]
        common = [
            *("--listen-address", "127.0.0.1"),
            *("--https-port", str(_free_port()), "--http-port", str(_free_port())),
            *("--tls-cert", tls / "cert.pem", "--tls-key", tls / "key.pem"),
            *("--python", PYTHON, "--no-start", "--no-onion"),
        ]

        def install(checkout: Path, *extra, log: str) -> str:
            with (top / log).open("w") as handle:
                done = subprocess.run(
                    ["bash", checkout / "deploy" / "install.sh", *common, *extra],
                    stdout=handle,
                    stderr=subprocess.STDOUT,
                    timeout=900,
                )
            text = (top / log).read_text()
            assert done.returncode == 0, text[-6000:]
            return text

        install(
            worktree,
            *where,
            *("--server-name", SERVER),
            *("--owner-database-url", f"postgres://{owner}@127.0.0.1:5432/{database}"),
            *("--app-database-url", f"postgres://{app}@127.0.0.1:5432/{database}"),
            log="base.log",
        )
        assert (prefix / "app" / "deploy" / "install.py").read_text() == (
            worktree / "deploy" / "install.py"
        ).read_text()

        # Data in the base install: a caseworker, the organisation key, a request.
        password_file = top / "password.txt"
        password_file.write_text(PASSWORD + "\n")
        password_file.chmod(0o644)
        _manage(prefix, "createstaff", "carla", "--role", "caseworker", "--password-file",
                str(password_file))  # fmt: skip
        password_file.unlink()
        _manage(prefix, "init_vault", "--grant", "carla")
        made = json.loads(_manage(prefix, "shell", "--no-imports", "-c", MAKE_DATA))

        # An upgrade without a backup key is refused before anything changes.
        refused = subprocess.run(
            ["bash", ROOT / "deploy" / "install.sh", *where, *common, "--upgrade"],
            capture_output=True,
            text=True,
            timeout=900,
        )
        assert refused.returncode != 0 and "--backup-recipient" in refused.stderr

        log = install(
            ROOT,
            *where,
            "--upgrade",
            "--backup-recipient",
            str(identity.to_public()),
            log="upgrade.log",
        )
        order = [log.index(f"== {title}") for title in ("code:", "backup", "migrate")]
        assert order == sorted(order), "the backup is taken before the migrations"
        assert (prefix / "app" / "deploy" / "UPGRADE_BASE").exists()  # the new code
        assert (prefix / "app" / "evacuation" / "services" / "backup.py").exists()
        migrations = _manage(prefix, "showmigrations", "--plan", owner=True)
        assert "[ ]" not in migrations, migrations
        assert (prefix / "static" / "staticfiles.json").exists()

        archives = list((root / "var" / "backups" / name).glob("safe-passage-*.age"))
        assert len(archives) == 1 and archives[0].stat().st_mode & 0o777 == 0o600
        key_file = top / "age-key.txt"
        key_file.write_text(f"{identity}\n")
        members = archive_open(archives[0], key_file)
        manifest = json.loads(members["manifest.json"])
        assert manifest["vendor"] == "postgresql" and manifest["cases"] == 1
        assert members["database.pgdump"].startswith(b"PGDMP")

        read = json.loads(
            _manage(
                prefix,
                *("shell", "--no-imports", "-c", READ_BACK),
                input=json.dumps({**made, "password": PASSWORD}),
            )
            .strip()
            .splitlines()[-1]
        )
        assert read == {"staff_read": True, "applicant_case": made["reference"], "cases": 1}

        # The runbook's fresh server: the audit key pair from its offline copy, then the
        # installer restores the upgrade's archive into an empty database instead of migrating.
        fresh_keys = fresh_root / "etc" / fresh_name / "keys"
        fresh_keys.mkdir(parents=True)
        for key in (root / "etc" / name / "keys").iterdir():
            shutil.copy2(key, fresh_keys / key.name)
        admin.execute(f"CREATE DATABASE {_identifier(fresh_database)} OWNER {_identifier(owner)}")
        restored = install(
            ROOT,
            *("--root", fresh_root, "--name", fresh_name, "--server-name", SERVER),
            *("--owner-database-url", f"postgres://{owner}@127.0.0.1:5432/{fresh_database}"),
            *("--app-database-url", f"postgres://{app}@127.0.0.1:5432/{fresh_database}"),
            *("--restore", archives[0], "--identity", key_file),
            *("--backup-recipient", str(identity.to_public())),
            log="restore.log",
        )
        assert "== restore, as the database owner" in restored
        assert "Restored the backup of" in restored and ": 1 cases" in restored, restored
        assert "not the one the backed-up server signed with" not in restored
        fresh_prefix = fresh_root / "opt" / fresh_name
        again = json.loads(
            _manage(
                fresh_prefix,
                *("shell", "--no-imports", "-c", READ_BACK),
                input=json.dumps({**made, "password": PASSWORD}),
            )
            .strip()
            .splitlines()[-1]
        )
        assert again == read
        # A backup of the fresh server, as the README has it (root, owner.env).
        _manage(fresh_prefix, "--root", "backup")
        assert len(list((fresh_root / "var" / "backups" / fresh_name).glob("*.age"))) == 1
    finally:
        subprocess.run(
            ["git", "-C", ROOT, "worktree", "remove", "--force", worktree], capture_output=True
        )
        for statement in (
            f"DROP DATABASE IF EXISTS {_identifier(fresh_database)} WITH (FORCE)",
            f"DROP DATABASE IF EXISTS {_identifier(database)} WITH (FORCE)",
            f"DROP ROLE IF EXISTS {_identifier(app)}",
            f"DROP ROLE IF EXISTS {_identifier(owner)}",
        ):
            with contextlib.suppress(psycopg.Error):
                admin.execute(statement)
        admin.close()
        _drop_users(name, f"{name}-signer", fresh_name, f"{fresh_name}-signer")
        shutil.rmtree(top, ignore_errors=True)
