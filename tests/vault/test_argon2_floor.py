"""The Argon2id floor (64 MiB, 3 passes) is refused where keys are derived, not only when a
management command runs: in production, parameters below it derive nothing, and web.service
runs `manage.py check --deploy` before gunicorn starts (vault.crypto, vault.checks)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import Client

from evacuation.models import Case
from tests.factories import Applicant, intake_data, vault_ready
from vault import crypto
from vault.models import ApplicantKey, CaseKey

ROOT = Path(__file__).resolve().parents[2]
REFUSED = "Argon2id parameters below the production floor"


@pytest.fixture
def production(settings):
    settings.ENVIRONMENT = "production"
    settings.VAULT_ARGON2_MEMORY_KIB = 64 * 1024
    settings.VAULT_ARGON2_ITERATIONS = 3
    return settings


@pytest.mark.parametrize(("memory_kib", "iterations"), [(1024, 3), (64 * 1024 - 1, 3), (65536, 2)])
def test_production_refuses_to_derive_below_the_floor(production, memory_kib, iterations):
    production.VAULT_ARGON2_MEMORY_KIB = memory_kib
    production.VAULT_ARGON2_ITERATIONS = iterations
    with pytest.raises(crypto.Argon2TooWeak) as refused:
        crypto.Argon2Params.from_settings()
    message = str(refused.value)
    assert REFUSED in message
    assert f"VAULT_ARGON2_MEMORY_KIB={memory_kib} (at least 65536)" in message
    assert f"VAULT_ARGON2_ITERATIONS={iterations} (at least 3)" in message


def test_the_floor_itself_and_development_derive(production, settings):
    assert crypto.Argon2Params.from_settings() == crypto.Argon2Params(64 * 1024, 3, 1)
    settings.ENVIRONMENT = "development"
    settings.VAULT_ARGON2_MEMORY_KIB = 1024
    settings.VAULT_ARGON2_ITERATIONS = 1
    assert crypto.Argon2Params.from_settings() == crypto.Argon2Params(1024, 1, 1)


@pytest.mark.django_db
def test_an_intake_under_weak_production_settings_stores_nothing(settings):
    vault_ready()
    applicant = Applicant(Client(raise_request_exception=False))
    applicant.open("/request/")  # drawn before the environment was weakened
    settings.ENVIRONMENT = "production"
    settings.VAULT_ARGON2_MEMORY_KIB = 1024
    response = applicant.act("intake", **intake_data())
    assert response.status_code == 500
    assert not re.search(r"\d{4}-\d{4}-\d{4}-\d{4}-\d{4}-\d{4}", applicant.page)  # no code
    assert not Case.objects.exists()
    assert not ApplicantKey.objects.exists() and not CaseKey.objects.exists()


def test_the_system_check_reports_the_weak_floor(production):
    assert "vault.E002" not in {error.id for error in run_checks()}
    production.VAULT_ARGON2_MEMORY_KIB = 1024
    assert "vault.E002" in {error.id for error in run_checks()}


def test_the_web_unit_runs_the_deploy_check_before_gunicorn():
    unit = (ROOT / "deploy" / "templates" / "web.service").read_text()
    service = unit.split("[Service]", 1)[1].split("[Install]", 1)[0]
    lines = [line for line in service.splitlines() if line.startswith("ExecStart")]
    assert lines[0] == "ExecStartPre={{VENV}}/bin/python manage.py check --deploy"
    assert lines[1].startswith("ExecStart={{VENV}}/bin/gunicorn ")
    assert re.search(r"^WorkingDirectory=\{\{APP\}\}$", service, re.M)  # where manage.py is


def test_the_deploy_check_fails_on_a_web_env_weakened_after_the_install(tmp_path):
    """What ExecStartPre runs, with web.env edited to 1 MiB: it fails, so gunicorn never starts."""
    from audit.signing import key_generate

    key_generate(tmp_path / "signer-only.pem", tmp_path / "public.pem")
    # Only what the check needs: nothing another test left in os.environ reaches it.
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),
        "LANG": "C.UTF-8",
        "SAFE_PASSAGE_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "x" * 64 + "production-secret-for-the-check-only",
        "ALLOWED_HOSTS": "safe-passage.example.org",
        "AUDIT_SIGNING_KEY_FILE": "",
        "AUDIT_PUBLIC_KEY_FILE": str(tmp_path / "public.pem"),
    }

    def check(**extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", "check", "--deploy"],
            cwd=ROOT,
            env={**env, **extra},
            capture_output=True,
            text=True,
            timeout=120,
        )

    strong = check()
    assert strong.returncode == 0, strong.stderr[-3000:] + strong.stdout[-3000:]
    weak = check(VAULT_ARGON2_MEMORY_KIB="1024")
    assert weak.returncode != 0
    assert "vault.E002" in weak.stderr + weak.stdout
