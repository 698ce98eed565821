"""kill -9 of a server worker in the middle of an intake burst loses no half-written case: every
case that exists is complete and opens, every receipt code handed out works, and the audit
chain still verifies with exactly one intake event per case."""

from __future__ import annotations

import html
import http.client
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.db import connection

from tests.factories import RECEIPT_RE, checkpoint_now, intake_data, vault_ready

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8
BURST_SECONDS = 8.0
MARKER = "crash-test-applicant"
# The intake form's one-time token (applicant pages set no cookie and have no CSRF token).
TOKEN_RE = re.compile(r'<input type="hidden" name="form_token" value="([^"]+)"')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server(tmp_path: Path) -> tuple[subprocess.Popen, int]:
    db = connection.settings_dict
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "SAFE_PASSAGE_ENV": "development",
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "AUDIT_SIGNING_KEY_FILE": settings.AUDIT_SIGNING_KEY_FILE,
        "AUDIT_PUBLIC_KEY_FILE": settings.AUDIT_PUBLIC_KEY_FILE,
        "SAFE_PASSAGE_LOCAL_DIR": str(tmp_path / "local"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "RATE_LIMITS_ENABLED": "0",
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "60",
            "--access-logfile",
            "/dev/null",
            "--error-logfile",
            str(tmp_path / "gunicorn.log"),
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            conn.request("GET", "/en/")
            if conn.getresponse().status == 200 and len(_workers(process)) == 2:
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("gunicorn did not start")


def _workers(process: subprocess.Popen) -> list[int]:
    out = subprocess.run(
        ["ps", "-o", "pid=", "--ppid", str(process.pid)], capture_output=True, text=True
    ).stdout
    return [int(pid) for pid in out.split()]


def _intake(port: int, n: int) -> str | None:
    """One applicant: GET the form, POST it with its token; the receipt code, or None if
    anything failed."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/en/request/")
        response = conn.getresponse()
        page = response.read().decode()
        assert not response.getheader("Set-Cookie"), "the request form set a cookie"
        token = html.unescape(TOKEN_RE.search(page).group(1))
        body = urlencode({**intake_data(name=f"{MARKER}-{n}"), "form_token": token}, doseq=True)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request(
            "POST",
            "/en/request/",
            body,
            {"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"},
        )
        response = conn.getresponse()
        page = response.read().decode()
        assert response.status < 500, f"the server answered {response.status}"
        match = re.search(RECEIPT_RE, page)
        return match.group(1) if response.status == 200 and match else None
    except (OSError, http.client.HTTPException, AttributeError):
        return None  # the killed worker dropped this one: allowed, as long as nothing half-stays


def test_killing_a_worker_mid_burst_leaves_only_complete_cases_and_a_valid_chain(
    tmp_path, audit_key
):
    from audit.models import AuditEvent
    from audit.verify import verify_database
    from evacuation.models import Case
    from vault.cases import CaseCipher, case_cipher_for_applicant, case_dek_info
    from vault.crypto import keypair_from_private_bytes, unseal
    from vault.models import ApplicantKey, CaseKey
    from vault.org import org_keys_from_recovery
    from vault.receipts import receipt_parse

    recovery = vault_ready()
    process, port = _server(tmp_path)
    codes: list[str] = []
    failures: list[str] = []
    stop = time.monotonic() + BURST_SECONDS
    counter = iter(range(10**6))

    def applicant() -> None:
        while time.monotonic() < stop:
            try:
                code = _intake(port, next(counter))
            except AssertionError as exc:
                failures.append(str(exc))
                return
            if code:
                codes.append(code)

    threads = [threading.Thread(target=applicant) for _ in range(CLIENTS)]
    began = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        killed = []
        for moment in (2.0, 4.5):
            time.sleep(max(0.0, began + moment - time.monotonic()))
            victim = _workers(process)[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
        for thread in threads:
            thread.join(timeout=60)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
    connection.close()

    assert not failures, failures
    assert len(killed) == 2
    print(f"crash test: {len(codes)} receipts, {Case.objects.count()} cases, {next(counter)} tries")
    cases = list(Case.objects.values_list("uid", "reference", "payload"))
    assert len(cases) >= len(codes) > 10, (len(cases), len(codes))
    # Every receipt code that reached an applicant opens their case.
    for code in codes:
        cipher = case_cipher_for_applicant(receipt_parse(code))
        case = Case.objects.get(uid=cipher.case_uid)
        assert MARKER in json.loads(cipher.decrypt("intake", bytes(case.payload)))["name"]
    # Every case that exists, answered or not, is whole and opens with the organisation key.
    org_private = {
        version: keypair_from_private_bytes(raw).private
        for version, raw in org_keys_from_recovery(recovery).items()
    }
    sealed = dict(CaseKey.objects.values_list("case_uid", "sealed"))
    versions = dict(CaseKey.objects.values_list("case_uid", "org_key_id"))
    applicant_keys = set(ApplicantKey.objects.values_list("case_uid", flat=True))
    for uid, reference, payload in cases:
        uid = str(uid)
        assert uid in sealed and uid in applicant_keys, f"{reference} is missing a key"
        dek = unseal(org_private[versions[uid]], bytes(sealed[uid]), info=case_dek_info(uid))
        assert MARKER in json.loads(CaseCipher(uid, dek).decrypt("intake", bytes(payload)))["name"]
    assert len(sealed) == len(applicant_keys) == len(cases), "a key without its case"
    # One intake event per case, no more, no fewer; the chain verifies.
    received = set(AuditEvent.objects.filter(action="case.received").values_list("target_ref"))
    assert received == {(reference,) for _uid, reference, _p in cases}
    assert AuditEvent.objects.filter(action="case.received").count() == len(cases)
    checkpoint_now()  # the audit signer at work: strict verification needs it
    result = verify_database()
    assert result.ok, result.summary()
