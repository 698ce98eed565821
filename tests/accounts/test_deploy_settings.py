from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "SAFE_PASSAGE_ENV": "production",
    "SECRET_KEY": "x" * 64 + "production-secret-for-the-check-only",
    "ALLOWED_HOSTS": "safe-passage.example.org",
    # The web app's environment: the public key only, never the signer's private key.
    "AUDIT_SIGNING_KEY_FILE": "",
    "DJANGO_SETTINGS_MODULE": "config.settings",
}


@pytest.fixture
def public_key_file(tmp_path) -> str:
    from audit.signing import key_generate

    key_generate(tmp_path / "signer-only.pem", tmp_path / "public.pem")
    return str(tmp_path / "public.pem")


def _manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.django_db
def test_check_deploy_prints_no_warning_with_production_settings(public_key_file):
    env = {**PRODUCTION_ENV, "AUDIT_PUBLIC_KEY_FILE": public_key_file}
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


def test_debug_is_off_unless_asked_for():
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.DEBUG)",
        env=PRODUCTION_ENV,
    )
    assert result.stdout.strip() == "False", result.stderr


def test_csrf_protection_is_installed_even_though_its_check_is_silenced():
    from django.conf import settings
    from django.middleware.csrf import CsrfViewMiddleware
    from django.utils.module_loading import import_string

    installed = [import_string(path) for path in settings.MIDDLEWARE]
    assert any(issubclass(cls, CsrfViewMiddleware) for cls in installed if isinstance(cls, type))
