"""`manage.py backup` and `manage.py restore`, between two real databases (docs/runbook.md
names this test: it is the practice of moving to a fresh server from a backup).

One site in its own processes (a temporary SQLite file; on the PostgreSQL pass a fresh database
on the shared server): three requests through the form, then a backup taken while another
process keeps sending requests. After the backup, on the old site, an applicant has everything
deleted and the auditor keeps the signed heads and an export of the log. The archive is restored
into a second, new database: the caseworker opens every case in it, every applicant whose
request the backup holds gets in with their code, the purged case stays shredded, and the
restore names exactly the events the backup lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CI = os.environ.get("CI") == "true"
AGE_MAGIC = b"age-encryption.org/v1"


def _unavailable(reason: str) -> None:
    if CI:
        pytest.fail(f"CI=true needs the backup test: {reason}")
    pytest.skip(reason)


class Databases:
    """Two new databases: the old server's and the fresh one; dropped afterwards."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.url = os.environ.get("DATABASE_URL", "")
        self.postgres = self.url.startswith(("postgres://", "postgresql://"))
        self.made: list[str] = []
        self.admin = None
        if self.postgres:
            import psycopg

            for tool in ("pg_dump", "pg_restore"):
                if not any((Path(p) / tool).exists() for p in os.environ["PATH"].split(":")):
                    _unavailable(f"{tool} is missing (apt-get install postgresql-client)")
            try:
                self.admin = psycopg.connect(
                    "host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True
                )
            except psycopg.Error:
                _unavailable("no PostgreSQL on 127.0.0.1:5432 user postgres")

    def new(self, name: str) -> str:
        if not self.postgres:
            return f"sqlite:///{self.folder / (name + '.sqlite3')}"
        database = f"sp_backup_{os.getpid()}_{name}"
        self.admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        self.admin.execute(f'CREATE DATABASE "{database}"')
        self.made.append(database)
        parts = urllib.parse.urlparse(self.url)
        return urllib.parse.urlunparse(parts._replace(path=f"/{database}"))

    def drop(self) -> None:
        for database in self.made:
            self.admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if self.admin is not None:
            self.admin.close()


class Site:
    """A server: its database and its own local folder (SECRET_KEY, the audit keys, media)."""

    def __init__(self, folder: Path, database_url: str, recipient: str, local: str) -> None:
        self.folder = folder
        self.local = folder / local
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "SAFE_PASSAGE_ENV": "development",
            "SAFE_PASSAGE_LOCAL_DIR": str(self.local),
            "DATABASE_URL": database_url,
            "RATE_LIMITS_ENABLED": "0",
            "BACKUP_AGE_RECIPIENT": recipient,
            "BACKUP_DIR": str(folder / "backups"),
            "PYTHONPATH": str(ROOT),
        }

    def step(self, name: str, *arguments: str) -> dict:
        out = self.folder / f"{name}.json"
        done = subprocess.run(
            [sys.executable, "-m", "tests.deploy.backup_scenario", name, out, *arguments],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return json.loads(out.read_text())

    def manage(self, *arguments: str, check: bool = True) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "manage.py", *arguments],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert done.returncode == 0, done.stdout + done.stderr
        return done


def _lines(path: Path) -> list[list[str]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("]")]


def _wait_for_lines(path: Path, count: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while len(_lines(path)) < count:
        assert time.monotonic() < deadline, f"the writer sent fewer than {count} requests"
        time.sleep(0.05)


def test_a_backup_taken_while_requests_arrive_restores_into_a_fresh_database(tmp_path):
    import pyrage

    from evacuation.services.backup import RESTORE_SETTINGS, archive_open

    identity = pyrage.x25519.Identity.generate()
    key_file = tmp_path / "operator-age-key.txt"  # on the operator's computer, never the server
    key_file.write_text(f"# the operator's\n{identity}\n")
    databases = Databases(tmp_path)
    try:
        old = Site(tmp_path, databases.new("old"), str(identity.to_public()), "local")
        sent = old.step("setup")["sent"]

        backups = tmp_path / "backups"
        backups.mkdir(mode=0o700)
        stale = backups / "safe-passage-20200101T000000Z.age"  # older than --keep-days
        stale.write_bytes(b"age-encryption.org/v1\nan old archive")
        recent = backups / f"safe-passage-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-9.age"
        recent.write_bytes(b"age-encryption.org/v1\nyesterday's archive")

        # A second process keeps sending requests through the form while the backup runs.
        stream, stop = tmp_path / "writer.jsonl", tmp_path / "writer.stop"
        writer = subprocess.Popen(
            [sys.executable, "-m", "tests.deploy.backup_scenario", "writer", stream, stop],
            cwd=ROOT,
            env=old.env,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "writer.log").open("w"),
        )
        try:
            _wait_for_lines(stream, 2)
            made = old.manage("backup", "--keep-days", "14")
            during = len(_lines(stream))
            _wait_for_lines(stream, during + 2)
        finally:
            stop.touch()
            writer.wait(timeout=60)
        assert writer.returncode == 0, (tmp_path / "writer.log").read_text()
        written = _lines(stream)

        archives = sorted(backups.glob("safe-passage-*.age"))
        assert stale not in archives and recent in archives, "--keep-days pruned the wrong ones"
        assert f"Deleted an old backup: {stale.name}" in made.stdout
        archive = next(path for path in archives if path != recent)
        assert archive.stat().st_mode & 0o777 == 0o600
        raw = archive.read_bytes()
        assert raw.startswith(AGE_MAGIC)
        for marker in (b"SQLite format 3", b"PGDMP", b"Alias Before", b"safe_passage"):
            assert marker not in raw
        for _reference, code in sent + written:
            assert code.replace("-", "").encode() not in raw and code.encode() not in raw
        backed_up = int(made.stdout.split("audit chain to sequence ")[1].split(")")[0])
        # Decrypted off the server: the dump, the retention settings and the public key; no
        # SECRET_KEY, no private key of any kind.
        plain = tmp_path / "backup.tar.gz"
        plain.write_bytes(pyrage.decrypt(raw, [identity]))
        members = archive_open(plain, None)
        assert set(members) == {
            "manifest.json", "environment.json", "audit_public_key.pem",
            "database.pgdump" if databases.postgres else "database.sqlite3",
        }  # fmt: skip
        assert set(json.loads(members["environment.json"])) == set(RESTORE_SETTINGS)
        assert json.loads(members["manifest.json"])["audit_sequence"] == backed_up
        secret_key = (old.local / "secret_key").read_bytes().strip()
        signing_key = (old.local / "audit_signing_key.pem").read_bytes()
        for data in members.values():
            assert b"PRIVATE KEY" not in data and signing_key not in data
            assert secret_key not in data

        # After the backup, on the old server: one applicant has everything deleted now.
        purged_reference = sent[0][0]
        newest_head = old.step("after_backup", purged_reference)["newest_head"]
        assert newest_head > backed_up + 1

        # Bad input changes nothing: a non-empty database, a wrong key, an export edited.
        refused = old.manage(
            "restore", archive, "--identity", key_file, "--expect", tmp_path / "heads.jsonl",
            check=False,
        )  # fmt: skip
        assert refused.returncode != 0 and "The database is not empty" in refused.stderr
        stranger = tmp_path / "stranger.txt"
        stranger.write_text(f"{pyrage.x25519.Identity.generate()}\n")
        # The fresh server has its own local folder, so its own new SECRET_KEY; only the audit
        # key pair is carried over (docs/runbook.md section 3 step 3).
        fresh = Site(tmp_path, databases.new("fresh"), str(identity.to_public()), "fresh-local")
        fresh.local.mkdir()
        carried = sorted(path.name for path in old.local.glob("audit_signing_key*.pem"))
        assert carried == ["audit_signing_key.pem", "audit_signing_key.pub.pem"], carried
        for name in carried:
            (fresh.local / name).write_bytes((old.local / name).read_bytes())
            (fresh.local / name).chmod(0o600)
        wrong = fresh.manage("restore", archive, "--identity", stranger, check=False)
        assert wrong.returncode != 0 and "does not open the archive" in wrong.stderr
        forged = tmp_path / "forged.jsonl"
        forged.write_text(
            (tmp_path / "export.jsonl").read_text().replace('"rule":"asked"', '"rule":"ended"')
        )
        edited = fresh.manage(
            "restore", archive, "--identity", key_file, "--purges-from", forged, check=False
        )
        assert edited.returncode != 0 and "does not verify" in edited.stderr

        restored = fresh.manage(
            "restore", archive, "--identity", key_file,
            "--expect", tmp_path / "heads.jsonl", "--purges-from", tmp_path / "export.jsonl",
        )  # fmt: skip
        out = restored.stdout
        lost = newest_head - backed_up
        assert (
            f"LOST: the newest signed head is at sequence {newest_head}; the backup ends at "
            f"{backed_up}: events {backed_up + 1} to {newest_head} ({lost} events)" in out
        ), out
        assert f"Audit chain BROKEN at sequence {backed_up + 1}" in out, out
        assert f"Purges re-applied: 1.\n  {purged_reference}\n" in out, out

        # verify_audit --expect on the restored server names the same lost tail.
        verify = fresh.manage("verify_audit", "--expect", tmp_path / "heads.jsonl", check=False)
        assert verify.returncode != 0
        assert f"a checkpoint signs sequence {newest_head}" in verify.stderr, verify.stderr

        codes = tmp_path / "codes.json"
        codes.write_text(json.dumps(sent + written))
        seen = fresh.step("check", str(codes))
        # The restore ran under another SECRET_KEY: nothing staff or applicants need hung on it.
        fresh_secret_key = (fresh.local / "secret_key").read_bytes().strip()
        assert fresh_secret_key and fresh_secret_key != secret_key
    finally:
        databases.drop()

    staff, applicants = seen["staff"], seen["applicants"]
    # The caseworker opens every case the backup holds, except the one purged since.
    assert staff.pop(purged_reference) == "purged"
    for number, (reference, _code) in enumerate(sent[1:], start=1):
        assert staff[reference] == f"Alias Before {number}"
    in_backup = [(i, ref) for i, (ref, _code) in enumerate(written) if ref in staff]
    assert in_backup, "the backup holds none of the requests sent while it ran"
    for number, reference in in_backup:
        assert staff[reference] == f"Alias Writer {number}"
    assert len(staff) == len(sent) - 1 + len(in_backup)
    # The requests sent while it ran are there up to a point, and none after it.
    assert [i for i, _ref in in_backup] == list(range(len(in_backup)))
    assert len(in_backup) < len(written)
    # Every applicant whose request the backup holds gets in with their code; the purged one
    # and the ones sent after the backup are refused (as a made-up code is).
    for reference, _code in sent + written:
        expected = "opened" if reference in staff else "refused"
        assert applicants[reference] == expected, reference
