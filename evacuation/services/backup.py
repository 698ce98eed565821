"""Backups and restores: one archive, encrypted to the operator's age public key.

An archive (`safe-passage-YYYYMMDDTHHMMSSZ.age`, mode 0600) is an age file (X25519, through
pyrage) whose plaintext is a gzipped tar of:
  manifest.json      the format, when, the database vendor, the audit chain head the dump holds
                     (sequence and hash, read in the dump's own snapshot) and how many cases
  database.sqlite3   SQLite: a copy made with SQLite's backup API (consistent while others write)
  database.pgdump    PostgreSQL: `pg_dump --format=custom --snapshot=...` of the same snapshot
  environment.json   what a restore needs from the environment file (RESTORE_SETTINGS)
  audit_public_key.pem  the checkpoint public key (public: a restore verifies the chain with it)

The plaintext never touches the disk: the copy, the tar and the encryption are made in memory.
Every key that opens a case is in the database, wrapped (staff passwords, the recovery secret,
the receipt codes): nothing secret from the environment is needed to read the cases again.
SECRET_KEY is left out on purpose: a restore after a seizure must not reuse it (a new one ends
only the applicants' 15-minute status-page capabilities and resets the rate-limit counters).
The audit signing key is never in an archive: it is backed up offline (README, docs/runbook.md).

A restore goes into an empty database only, then: migrate, verify the chain against the signed
heads the operator kept (`--expect`, as verify_audit --expect: a restore that lost history says
exactly which events), re-apply every purge an audit export records (`--purges-from`), so that
no case shredded after the backup comes back, and record the restore in the chain.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit import signing
from audit.actions import Action
from audit.models import ChainHead
from audit.services import record
from audit.verify import ExportFormatError, VerifyResult, verify_database, verify_file
from evacuation.models import Case
from evacuation.services import retention

FORMAT = "safe-passage-backup/v1"
NAME_RE = re.compile(r"^safe-passage-(\d{8}T\d{6}Z)(?:-\d+)?\.age$")
AGE_MAGIC = b"age-encryption.org/v1"
# The settings a restored server must share with the one backed up: the purge must shred by
# the same rules. Nothing else from the environment is needed (see the module's docstring).
RESTORE_SETTINGS = ("RETENTION_DAYS", "UNTOUCHED_DAYS", "RECENT_MESSAGE_DAYS")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why and what to do."""


# --- keys -----------------------------------------------------------------------------------------


def recipient_parse(text: str):
    import pyrage

    text = (text or "").strip()
    if not text:
        raise BackupError(
            "No age public key: set BACKUP_AGE_RECIPIENT (age1...; README: Backups) or give "
            "--recipient."
        )
    try:
        return pyrage.x25519.Recipient.from_str(text)
    except (pyrage.RecipientError, ValueError) as exc:
        raise BackupError("BACKUP_AGE_RECIPIENT is not an age public key (age1...).") from exc


def identity_load(path: str | Path):
    """The age private key in a file (age-keygen's format: comments, then AGE-SECRET-KEY-1...)."""
    import pyrage

    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise BackupError(f"Cannot read the age identity {path}: {exc.strerror}.") from exc
    for line in text.splitlines():
        if line.strip().startswith("AGE-SECRET-KEY-"):
            try:
                return pyrage.x25519.Identity.from_str(line.strip())
            except (pyrage.IdentityError, ValueError) as exc:
                raise BackupError(f"{path}: not a valid age identity.") from exc
    raise BackupError(f"{path}: no AGE-SECRET-KEY-1... line (an age identity file).")


# --- the database copy ----------------------------------------------------------------------------


def _sqlite_copy() -> tuple[bytes, tuple[int, str], int]:
    """SQLite's online backup into memory: one consistent copy while others write."""
    connection.ensure_connection()
    memory = sqlite3.connect(":memory:")
    try:
        connection.connection.backup(memory)
        head = memory.execute(
            f"SELECT sequence, hash FROM {ChainHead._meta.db_table} ORDER BY id LIMIT 1"  # noqa: S608
        ).fetchone()
        cases = memory.execute(f"SELECT COUNT(*) FROM {Case._meta.db_table}").fetchone()[0]  # noqa: S608
        return _rollback_journal(memory.serialize()), (head or (0, "")), cases
    finally:
        memory.close()


def _rollback_journal(image: bytes) -> bytes:
    """The copy's header says WAL when the live database is in WAL mode (bytes 18 and 19); a
    copy on its own is a plain rollback-journal file, which SQLite opens anywhere."""
    image = bytearray(image)
    if image[18:20] == b"\x02\x02":
        image[18:20] = b"\x01\x01"
    return bytes(image)


def _pg_environment() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = {**os.environ}
    for key, name in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if db.get(key):
            env[name] = str(db[key])
    sslmode = (db.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return env


def _pg_tool(name: str, arguments: list[str], *, stdin: bytes | None = None) -> bytes:
    try:
        done = subprocess.run(  # noqa: S603 (fixed tool, arguments from the settings)
            [name, *arguments],
            input=stdin,
            capture_output=True,
            env=_pg_environment(),
            check=False,
        )
    except FileNotFoundError as exc:
        raise BackupError(
            f"{name} is missing (apt-get install postgresql-client-15, the server's version)."
        ) from exc
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
        raise BackupError(f"{name} failed: " + " / ".join(message))
    return done.stdout


def _postgresql_copy() -> tuple[bytes, tuple[int, str], int]:
    """pg_dump of one exported snapshot, and the chain head read in that same snapshot."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            cursor.execute("SELECT pg_export_snapshot()")
            snapshot = cursor.fetchone()[0]
        head = ChainHead.objects.values_list("sequence", "hash").first() or (0, "")
        cases = Case.objects.count()
        dump = _pg_tool("pg_dump", ["--format=custom", f"--snapshot={snapshot}", "--no-password"])
    return dump, head, cases


# --- the archive ----------------------------------------------------------------------------------


@dataclass
class Written:
    path: Path
    sequence: int
    cases: int
    size: int
    pruned: list[Path] = field(default_factory=list)
    recorded: bool = True


def _tar(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o600
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _public_key_pem() -> bytes:
    path = settings.AUDIT_PUBLIC_KEY_FILE
    if path and Path(path).is_file():
        return Path(path).read_bytes()
    return b""


def backup_write(
    *,
    directory: str | Path,
    recipient: str,
    keep_days: int,
    now: datetime | None = None,
) -> Written:
    """Writes one encrypted archive into `directory` (made 0700 when missing), records it in
    the audit chain, then deletes archives older than `keep_days`."""
    import pyrage

    if keep_days < 1:
        raise BackupError("--keep-days must be at least 1.")
    if not str(directory):
        raise BackupError("No backup folder: set BACKUP_DIR or give --output-dir.")
    key = recipient_parse(recipient)
    directory = Path(directory)
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    if connection.vendor == "sqlite":
        data, head, cases = _sqlite_copy()
        dump_name = "database.sqlite3"
    elif connection.vendor == "postgresql":
        data, head, cases = _postgresql_copy()
        dump_name = "database.pgdump"
    else:
        raise BackupError(f"No backup for a {connection.vendor} database.")
    manifest = {
        "format": FORMAT,
        "created_at": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "vendor": connection.vendor,
        "audit_sequence": head[0],
        "audit_hash": head[1],
        "cases": cases,
        "dump": dump_name,
    }
    environment = {name: str(getattr(settings, name)) for name in RESTORE_SETTINGS}
    members = {
        "manifest.json": json.dumps(manifest, indent=1).encode(),
        dump_name: data,
        "environment.json": json.dumps(environment, indent=1).encode(),
        "audit_public_key.pem": _public_key_pem(),
    }
    encrypted = pyrage.encrypt(_tar(members), [key])
    del members, data
    stamp = now.strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"safe-passage-{stamp}.age"
    counter = 1
    while path.exists():
        path = directory / f"safe-passage-{stamp}-{counter}.age"
        counter += 1
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(encrypted)
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(path, 0o600)
    written = Written(path=path, sequence=head[0], cases=cases, size=len(encrypted))
    try:
        with transaction.atomic():
            record(
                action=Action.BACKUP_MADE,
                actor="system",
                target_type="audit",
                data={"sequence": head[0], "cases": cases},
            )
    except DatabaseError:
        # An upgrade backs up with the new code before its migrations ran: the archive is
        # written; the event waits for a backup on the migrated schema.
        written.recorded = False
    written.pruned = backups_prune(directory, keep_days=keep_days, now=now)
    return written


def backups_prune(directory: Path, *, keep_days: int, now: datetime | None = None) -> list[Path]:
    """Deletes this folder's archives made more than `keep_days` ago (by the time in the name)."""
    now = now or datetime.now(UTC)
    cutoff = now - timedelta(days=keep_days)
    gone = []
    for path in sorted(Path(directory).iterdir()):
        match = NAME_RE.match(path.name)
        if not match or not path.is_file():
            continue
        made = datetime.strptime(match.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        if made < cutoff:
            path.unlink()
            gone.append(path)
    return gone


# --- restore --------------------------------------------------------------------------------------


@dataclass
class Restored:
    manifest: dict
    environment: dict
    verification: VerifyResult | None = None
    newest_head: int = 0
    lost_from: int | None = None
    lost_to: int | None = None
    purges: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def archive_open(path: str | Path, identity_path: str | Path | None) -> dict[str, bytes]:
    """The members of an archive: decrypted with the identity, or a tar already decrypted
    elsewhere (`age -d -i key.txt ARCHIVE > backup.tar.gz`, on the operator's own computer)."""
    import pyrage

    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror}.") from exc
    if raw.startswith(AGE_MAGIC):
        if not identity_path:
            raise BackupError(
                "The archive is encrypted: give --identity with the operator's age key, or "
                "decrypt it off the server (age -d) and give the decrypted file."
            )
        try:
            raw = pyrage.decrypt(raw, [identity_load(identity_path)])
        except pyrage.DecryptError as exc:
            raise BackupError("This age key does not open the archive (another key?).") from exc
    try:
        with tarfile.open(fileobj=io.BytesIO(raw), mode="r:*") as tar:
            members = {}
            for info in tar.getmembers():
                if not info.isfile() or "/" in info.name:
                    raise BackupError("Not a Safe Passage backup (unexpected member).")
                members[info.name] = tar.extractfile(info).read()
    except (tarfile.TarError, gzip.BadGzipFile, EOFError) as exc:
        raise BackupError("Not a Safe Passage backup (not an archive).") from exc
    try:
        manifest = json.loads(members["manifest.json"])
    except (KeyError, ValueError) as exc:
        raise BackupError("Not a Safe Passage backup (no manifest).") from exc
    if manifest.get("format") != FORMAT or manifest.get("dump") not in members:
        raise BackupError(f"Not a {FORMAT} archive.")
    return members


def database_is_empty() -> bool:
    return not connection.introspection.table_names()


def _load(manifest: dict, dump: bytes) -> None:
    if manifest["vendor"] != connection.vendor:
        raise BackupError(
            f"The archive holds a {manifest['vendor']} database; DATABASE_URL names a "
            f"{connection.vendor} one."
        )
    if connection.vendor == "sqlite":
        name = settings.DATABASES["default"]["NAME"]
        connection.close()
        source = sqlite3.connect(":memory:")
        target = sqlite3.connect(name)
        try:
            source.deserialize(_rollback_journal(dump))
            source.backup(target)
        finally:
            source.close()
            target.close()
    else:
        _pg_tool(
            "pg_restore",
            [
                *("--no-owner", "--no-acl", "--exit-on-error", "--single-transaction"),
                *("--no-password", "--dbname", settings.DATABASES["default"]["NAME"]),
            ],
            stdin=dump,
        )
    connection.close()


def _archived_public_key(pem: bytes):
    """The checkpoint public key the archive carries (used when this server has none yet)."""
    with tempfile.NamedTemporaryFile(suffix=".pem") as handle:
        handle.write(pem)
        handle.flush()
        try:
            return signing.public_key_load(Path(handle.name))
        except signing.SigningKeyError as exc:
            raise BackupError("The archive's audit public key is not readable.") from exc


def _purged_references(path: str | Path, public_key) -> list[tuple[int, str, str]]:
    """(sequence, reference, rule) of every purge an audit export records; the export must
    verify (its hashes, links and signatures) before anything is taken from it."""
    if public_key is None:
        raise BackupError(
            "No audit public key to verify the export with (--public-key): nothing changed."
        )
    try:
        with open(path, encoding="utf-8") as handle:
            result = verify_file(handle, public_key=public_key, expect=[])
    except OSError as exc:
        raise BackupError(f"Cannot read {path}: {exc.strerror}.") from exc
    except (ExportFormatError, UnicodeDecodeError) as exc:
        raise BackupError(f"{path} is not an audit export: {exc}") from exc
    if not result.ok:
        raise BackupError(f"{path} does not verify, nothing taken from it: {result.summary()}")
    found = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            item = json.loads(line)
            if item.get("type") == "event" and item.get("action") == Action.CASE_PURGED:
                rule = (item.get("data") or {}).get("rule") or retention.RULE_ASKED
                found.append((int(item["sequence"]), str(item["target_ref"]), str(rule)))
    return found


def restore(
    *,
    archive: str | Path,
    identity: str | Path | None,
    expect: list[signing.Statement],
    purges_from: str | Path | None,
    public_key=None,
) -> Restored:
    """Restores an archive into the empty database of DATABASE_URL (see the module docstring)."""
    from audit.verify import public_key_from

    members = archive_open(archive, identity)
    manifest = json.loads(members["manifest.json"])
    environment = json.loads(members.get("environment.json") or b"{}")
    # The chain is verified with the key its checkpoints were signed with: given, else the
    # archive's, else this server's.
    configured = public_key_from(None)
    archived = None
    if members.get("audit_public_key.pem"):
        archived = _archived_public_key(members["audit_public_key.pem"])
    public_key = public_key or archived or configured
    # The export is checked before anything is written.
    purged = _purged_references(purges_from, public_key) if purges_from else []
    if not database_is_empty():
        raise BackupError(
            "The database is not empty: a restore goes into a new, empty database only "
            "(createdb NEW; DATABASE_URL=.../NEW). Nothing was changed."
        )
    _load(manifest, members[manifest["dump"]])
    call_command("migrate", interactive=False, verbosity=0)
    done = Restored(manifest=manifest, environment=environment)
    if archived is not None and (
        configured is None or signing.fingerprint(configured) != signing.fingerprint(archived)
    ):
        done.notes.append(
            "This server's audit public key is not the one the backed-up server signed with "
            f"({signing.fingerprint(archived)}): put the offline copy of the audit key pair in "
            "place (docs/runbook.md) before the signer starts, or verification will fail."
        )
    for name, value in environment.items():
        if str(getattr(settings, name, "")) != value:
            done.notes.append(
                f"{name} was {value} on the server backed up, and is "
                f"{getattr(settings, name, '')} here: set it in the environment file."
            )
    # Before anything is written: the chain as the archive holds it, against the heads kept.
    done.verification = verify_database(public_key=public_key, expect=expect, strict=False)
    end = ChainHead.objects.values_list("sequence", flat=True).first() or 0
    if expect:
        done.newest_head = max(item.sequence for item in expect)
        if done.newest_head > end:
            done.lost_from, done.lost_to = end + 1, done.newest_head
    for _sequence, reference, rule in purged:
        with transaction.atomic():
            locked = Case.objects.select_for_update().filter(reference=reference).first()
            if locked is None or locked.is_purged:
                continue
            retention.case_shred(locked, rule=rule)
            done.purges.append(reference)
    with transaction.atomic():
        record(
            action=Action.BACKUP_RESTORED,
            actor="system",
            target_type="audit",
            data={
                "sequence": int(manifest.get("audit_sequence") or 0),
                "heads": done.newest_head,
                "first_bad": done.lost_from,
                "cases": len(done.purges),
            },
        )
    retention.storage_scrub()
    return done
