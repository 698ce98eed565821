"""After a purge, no byte of what was shredded stays in the database's own files.

A real SQLite database on disk (WAL mode, secure_delete, as config/settings.py sets it), used by
a long-lived process as a web worker would use it: a request with a message both ways, an
addition and a file. Its case key copies and ciphertexts are recorded; after the purge the raw
bytes of the database file, its -wal and its -shm hold no 32-byte run of any of them, while the
process still has the database open and after it has gone. Before the purge each one is found,
so the search itself is shown to work.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
RUN = 32  # the length of a run of bytes that must not survive

# A worker holding the database open: the journey, then on "purge <how>" the purge, then "exit".
# It prints one JSON line after each step and waits for the next command.
WORKER = """
import io, json, sys
from datetime import timedelta
import django
django.setup()
from django.core.management import call_command
from django.utils import timezone
from accounts.models import Role
from evacuation.models import Addition, Attachment, Case, Message
from tests.factories import (
    applicant_with, make_staff, photo_with_gps, request_sent, vault_ready, verified_client,
)
from vault.models import ApplicantKey, CaseKey

def say(**what):
    print(json.dumps(what), flush=True)

carla = make_staff(username="carla", role=Role.CASEWORKER)
vault_ready(carla)
reference, code = request_sent(situation="Marker-scrubbed: the neighbours came at night")
staff = verified_client(carla)
staff.post(f"/staff/cases/{reference}/", {"reason": "reply"})  # writing needs the case open
sent = staff.post(f"/staff/cases/{reference}/message/", {"text": "Marker-to-applicant"})
assert sent.status_code == 302
applicant = applicant_with(code)
applicant.act("message", text="Marker-from-applicant")
applicant.act("add", text="Marker-addition")
applicant.act("upload", file=("photo.jpg", photo_with_gps()))
assert "Your file is sent." in applicant.page, applicant.page
applicant = applicant_with(code)  # a later visit: the sealed "seen" marker is written again
assert "Marker-to-applicant" in applicant.page
opened = staff.get(f"/staff/cases/{reference}/").content.decode()  # the opening lasts
assert "Marker-from-applicant" in opened and "Marker-addition" in opened

case = Case.objects.get(reference=reference)
uid = str(case.uid)
blobs = {"payload": bytes(case.payload), "seen": bytes(case.seen)}
for n, row in enumerate(CaseKey.objects.filter(case_uid=uid)):
    blobs[f"case key {n}"] = bytes(row.sealed)
for n, row in enumerate(ApplicantKey.objects.filter(case_uid=uid)):
    blobs[f"applicant key {n}"] = bytes(row.sealed)
    blobs[f"applicant public key {n}"] = bytes(row.public_key)
for n, row in enumerate(Message.objects.filter(case=case)):
    blobs[f"message {n} ({row.direction})"] = bytes(row.body)
for n, row in enumerate(Addition.objects.filter(case=case)):
    blobs[f"addition {n}"] = bytes(row.body)
for n, row in enumerate(Attachment.objects.filter(case=case)):
    blobs[f"attachment {n}"] = bytes(row.blob)
    blobs[f"attachment key {n}"] = bytes(row.wrapped_key)
say(step="journey", blobs={name: blob.hex() for name, blob in blobs.items()})

for line in sys.stdin:
    command, _, how = line.strip().partition(" ")
    if command == "exit":
        break
    if how == "withdraw_delete":
        applicant = applicant_with(code)
        applicant.act("confirm_withdraw")
        applicant.act("withdraw_delete")
        assert "Everything is deleted" in applicant.page, applicant.page
    else:
        applicant = applicant_with(code)
        applicant.act("confirm_withdraw")
        applicant.act("withdraw")
        Case.objects.filter(pk=case.pk).update(
            state_changed_at=timezone.now() - timedelta(days=400)
        )
        Message.objects.update(created_at=timezone.now() - timedelta(days=400))
        out = io.StringIO()
        call_command("purge_expired", stdout=out)
        assert "1 case(s) purged." in out.getvalue(), out.getvalue()
    case.refresh_from_db()
    assert case.is_purged
    say(step="purged", keys_left=CaseKey.objects.filter(case_uid=uid).count())
"""


def _env(tmp_path: Path) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SAFE_PASSAGE_ENV": "development",
        "SAFE_PASSAGE_LOCAL_DIR": str(tmp_path / "local"),
        "SECRET_KEY": "tests.evacuation purge scrubs the files",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'cases.sqlite3'}",
        "RATE_LIMITS_ENABLED": "0",
    }


def _files(database: Path) -> dict[str, bytes]:
    """The raw bytes of the database and its companions, as a seizure would copy them."""
    found = {}
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(f"{database}{suffix}")
        if path.exists():
            found[path.name] = path.read_bytes()
    return found


def _runs_found(blob: bytes, data: bytes) -> bool:
    """Whether any RUN consecutive bytes of `blob` occur in `data`.

    Every run of 2*H bytes of `data` holds a piece of `data` of H bytes starting at a multiple
    of H; so the pieces of `data` at those offsets are looked up among every H-byte piece of
    the blob, and each hit is grown both ways to see whether RUN bytes match. A blob shorter
    than RUN (the sealed "seen" marker) is looked for whole."""
    if len(blob) < RUN:
        return blob in data
    half = RUN // 2
    pieces: dict[bytes, list[int]] = {}
    for at in range(len(blob) - half + 1):
        pieces.setdefault(blob[at : at + half], []).append(at)
    for start in range(0, len(data) - half + 1, half):
        for at in pieces.get(data[start : start + half], ()):
            left = 0
            while left < min(at, start) and blob[at - left - 1] == data[start - left - 1]:
                left += 1
            right = 0
            while (
                at + half + right < len(blob)
                and start + half + right < len(data)
                and blob[at + half + right] == data[start + half + right]
            ):
                right += 1
            if left + half + right >= RUN:
                return True
    return False


def _survivors(blobs: dict[str, bytes], files: dict[str, bytes]) -> list[str]:
    return [
        f"{name} in {file}"
        for name, blob in blobs.items()
        for file, data in files.items()
        if _runs_found(blob, data)
    ]


def test_the_search_finds_a_run_and_only_a_run():
    blob = bytes(range(100))
    assert _runs_found(blob, b"x" * 7 + blob[40:72] + b"y" * 9)
    assert _runs_found(blob, blob[3:35])
    assert not _runs_found(blob, b"z" * 5 + blob[40:71] + b"z" * 5)
    assert not _runs_found(blob, blob[0:31] + b"-" + blob[31:62])
    assert _runs_found(blob[:30], b"." + blob[:30]) and not _runs_found(blob[:30], blob[:29])


@pytest.mark.parametrize("how", ["purge_expired", "withdraw_delete"])
def test_no_run_of_a_shredded_key_or_ciphertext_stays_in_the_database_files(tmp_path, how):
    env = _env(tmp_path)
    database = tmp_path / "cases.sqlite3"
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert migrate.returncode == 0, migrate.stderr[-3000:]

    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER],
        cwd=BASE_DIR,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:

        def step() -> dict:
            line = worker.stdout.readline()
            assert line, worker.stderr.read()[-3000:]
            return json.loads(line)

        journey = step()
        blobs = {name: bytes.fromhex(blob) for name, blob in journey["blobs"].items()}
        assert {"payload", "seen", "case key 0", "applicant key 0", "attachment 0"} <= set(blobs)
        assert sum(name.startswith("message") for name in blobs) == 2
        assert all(len(blob) >= 24 for blob in blobs.values())  # none is trivially short

        # Before the purge, while the worker holds the database open: every one is there.
        before = _files(database)
        assert database.name in before
        missing = [
            name
            for name, blob in blobs.items()
            if not any(_runs_found(blob, data) for data in before.values())
        ]
        assert not missing, f"not found before the purge, so the search proves nothing: {missing}"

        worker.stdin.write(f"purge {how}\n")
        worker.stdin.flush()
        assert step() == {"step": "purged", "keys_left": 0}

        # After the purge, the worker still running (its connection open, as a web worker's).
        during = _files(database)
        assert not _survivors(blobs, during), _survivors(blobs, during)

        worker.stdin.write("exit\n")
        worker.stdin.flush()
        worker.communicate(timeout=60)
        assert worker.returncode == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()

    # And once nothing holds it open any more.
    after = _files(database)
    assert not _survivors(blobs, after), _survivors(blobs, after)
