"""/healthz (public: the database and migrations only), the loopback-only /health/ and
`manage.py healthcheck` (everything: disk, the signer's checkpoints, key files, verification)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from audit.actions import Action
from audit.services import record
from audit.signer import sign_if_due
from core import health

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_migration_check(monkeypatch):
    monkeypatch.setattr(health, "_migrations_ok_until", 0.0)


@pytest.fixture
def healthy(settings):
    """Everything the full check asks for: a fresh checkpoint, a passed verification, the
    signing key for its user alone (the tests run as root, who plays the signer here)."""
    settings.AUDIT_SIGNER_USER = "root"
    settings.HEALTH_DISK_MIN_FREE_MB = 1
    sign_if_due(force=True)
    _verified(ok=True)
    return settings


def _verified(*, ok: bool) -> None:
    record(
        action=Action.AUDIT_VERIFIED,
        actor="system",
        target_type="audit",
        data={"ok": ok, "checked": 1, "first_bad": None if ok else 1},
    )


def _full(**meta) -> tuple[int, dict]:
    response = Client().get("/health/", **meta)
    return response.status_code, json.loads(response.content) if response.status_code != 403 else {}


def _failed(results) -> set[str]:
    return {result.name for result in results if not result.ok}


def test_healthz_says_ok_and_nothing_else():
    response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"].startswith("text/plain")
    assert not response.cookies
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]


def test_healthz_stays_ok_when_only_the_audit_side_is_unwell(settings):
    """No checkpoint, no verification, a disk floor nobody meets: the applicant site stays up."""
    settings.HEALTH_DISK_MIN_FREE_MB = 10**12
    assert Client().get("/healthz").status_code == 200
    assert {"checkpoint", "verification", "disk"} <= _failed(health.full_results())


def test_healthz_is_503_when_a_migration_is_missing(monkeypatch):
    monkeypatch.setattr(
        "django.db.migrations.executor.MigrationExecutor.migration_plan",
        lambda self, targets: [("audit", "9999_missing")],
    )
    response = Client().get("/healthz")
    assert response.status_code == 503 and response.content == b"unavailable\n"


def test_the_full_check_passes_when_all_is_well(healthy):
    assert _failed(health.full_results()) == set()
    status, body = _full(REMOTE_ADDR="127.0.0.1")
    assert status == 200 and body["ok"] is True
    assert [check["name"] for check in body["checks"]] == [
        "database",
        "migrations",
        "disk",
        "checkpoint",
        "keys",
        "verification",
    ]
    out = StringIO()
    call_command("healthcheck", stdout=out)
    assert out.getvalue().strip().endswith("healthy")


def test_the_full_page_is_refused_to_anyone_not_on_this_machine(healthy):
    healthy.CLIENT_ADDRESS_HEADER = "X-Real-IP"
    assert _full(REMOTE_ADDR="203.0.113.9")[0] == 403
    # Behind nginx on loopback (or its Unix socket), the client nginx names counts.
    assert _full(REMOTE_ADDR="127.0.0.1", HTTP_X_REAL_IP="203.0.113.9")[0] == 403
    assert _full(REMOTE_ADDR="", HTTP_X_REAL_IP="fc00:dead:beef:4dad::1")[0] == 403
    assert _full(REMOTE_ADDR="", HTTP_X_REAL_IP="127.0.0.1")[0] == 200
    assert _full(REMOTE_ADDR="")[0] == 200  # gunicorn's socket, asked directly
    assert _full(REMOTE_ADDR="::1")[0] == 200


def test_a_stale_checkpoint_is_a_fault(settings):
    settings.AUDIT_SIGNER_USER = "root"
    settings.HEALTH_DISK_MIN_FREE_MB = 1
    settings.AUDIT_MAX_UNSIGNED_AGE = 3600
    sign_if_due(now=timezone.now() - timedelta(hours=2), force=True)  # the signer stopped then
    _verified(ok=True)
    assert _failed(health.full_results()) == {"checkpoint"}
    with pytest.raises(CommandError, match="unhealthy: checkpoint"):
        call_command("healthcheck", stdout=StringIO())


def test_a_failed_verification_is_a_fault(healthy):
    _verified(ok=False)
    results = {r.name: r for r in health.full_results()}
    assert not results["verification"].ok
    assert "failed at sequence 1" in results["verification"].detail


def test_key_files_must_belong_to_the_right_users(healthy, settings):
    os.chmod(settings.AUDIT_SIGNING_KEY_FILE, 0o644)
    results = {r.name: r for r in health.full_results()}
    assert not results["keys"].ok and "readable by others" in results["keys"].detail
    os.chmod(settings.AUDIT_SIGNING_KEY_FILE, 0o600)
    settings.AUDIT_SIGNER_USER = "nobody"
    results = {r.name: r for r in health.full_results()}
    assert not results["keys"].ok and "does not belong to nobody" in results["keys"].detail
    settings.AUDIT_PUBLIC_KEY_FILE = "/nonexistent/public.pem"
    assert "keys" in _failed(health.full_results())


def test_the_web_app_needs_only_the_signing_key_path(healthy, settings):
    """The web app's environment has no AUDIT_SIGNING_KEY_FILE: HEALTH_SIGNING_KEY_FILE names the
    file whose owner and mode are checked."""
    settings.HEALTH_SIGNING_KEY_FILE, settings.AUDIT_SIGNING_KEY_FILE = (
        settings.AUDIT_SIGNING_KEY_FILE,
        "",
    )
    assert _failed(health.full_results()) == set()


def test_readable_by_judges_from_the_outside(tmp_path):
    # The folders on the way count: pytest's own tmp_path is root's alone (0700).
    assert not health.readable_by(tmp_path, "nobody")
    top = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        _readable_by_in(top)
    finally:
        shutil.rmtree(top)


def _readable_by_in(top: Path) -> None:
    folder = top / "keys"
    folder.mkdir()
    key = folder / "key.pem"
    key.write_text("secret")
    os.chmod(top, 0o755)  # noqa: S103 (the point: others may pass)
    os.chmod(folder, 0o755)  # noqa: S103
    os.chmod(key, 0o600)
    assert health.readable_by(key, "root")
    assert not health.readable_by(key, "nobody")
    os.chmod(key, 0o644)
    assert health.readable_by(key, "nobody")
    os.chmod(folder, 0o700)
    assert not health.readable_by(key, "nobody")
