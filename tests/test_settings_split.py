"""Test-only code lives in tests/: production settings install none of it.

config/settings.py (what production and development run) has no test branch, no test app and no
flush override; tests/settings.py adds them for the suite only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import get_commands, load_command_class

ROOT = Path(__file__).resolve().parents[1]

# Loads the settings, then runs `flush` the way any caller would (call_command by name) on an
# empty database of its own, noting which class Django actually ran.
PROBE = """
import json
import django
from django.conf import settings
django.setup()
from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand
ran = []
execute = BaseCommand.execute
def spy(self, *args, **kwargs):
    ran.append(f"{type(self).__module__}.{type(self).__qualname__}")
    return execute(self, *args, **kwargs)
BaseCommand.execute = spy
call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
print(json.dumps({
    "environment": settings.ENVIRONMENT,
    "installed_apps": settings.INSTALLED_APPS,
    "password_hashers": settings.PASSWORD_HASHERS,
    "argon2": [settings.VAULT_ARGON2_MEMORY_KIB, settings.VAULT_ARGON2_ITERATIONS],
    "queue_counts_seconds": settings.QUEUE_COUNTS_SECONDS,
    "has_testing": hasattr(settings, "TESTING"),
    "flush_app": get_commands()["flush"],
    "flush_ran": ran,
}))
"""

DJANGO_FLUSH = "django.core.management.commands.flush.Command"
# Whatever the suite exported for itself must not leak into the "production" process.
SCRUBBED = {
    "DJANGO_SETTINGS_MODULE",
    "SAFE_PASSAGE_ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "SAFE_PASSAGE_BENCH",
    "VAULT_ARGON2_MEMORY_KIB",
    "VAULT_ARGON2_ITERATIONS",
    "QUEUE_COUNTS_SECONDS",
}


def _probe(tmp_path: Path, **env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    clean.update(
        {
            "SAFE_PASSAGE_LOCAL_DIR": str(tmp_path / "local"),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.sqlite3'}",
            "AUDIT_SIGNING_KEY_FILE": str(tmp_path / "audit.pem"),
            **env,
        }
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


PRODUCTION_SETTINGS = {
    "development": {"SAFE_PASSAGE_ENV": "development"},
    "production": {
        "SAFE_PASSAGE_ENV": "production",
        "SECRET_KEY": "x" * 64 + "-for-this-check-only",
        "ALLOWED_HOSTS": "safe-passage.example.org",
    },
}


@pytest.mark.parametrize("environment", sorted(PRODUCTION_SETTINGS))
def test_config_settings_install_no_test_code(tmp_path, environment):
    seen = _probe(
        tmp_path,
        DJANGO_SETTINGS_MODULE="config.settings",
        **PRODUCTION_SETTINGS[environment],
    )
    assert seen["environment"] == environment
    assert not any(app.startswith("tests") for app in seen["installed_apps"])
    assert not seen["has_testing"]
    assert seen["password_hashers"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert not any("tests." in h or "Quick" in h for h in seen["password_hashers"])
    assert seen["argon2"] == [64 * 1024, 3]
    assert seen["queue_counts_seconds"] == 10
    # No app overrides flush: call_command("flush") runs Django's own.
    assert seen["flush_app"] == "django.core"
    assert seen["flush_ran"] == [DJANGO_FLUSH]


def test_test_is_no_longer_an_environment(tmp_path):
    clean = {k: v for k, v in os.environ.items() if k not in SCRUBBED}
    clean.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        SAFE_PASSAGE_ENV="test",
        SAFE_PASSAGE_LOCAL_DIR=str(tmp_path / "local"),
    )
    done = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "SAFE_PASSAGE_ENV must be production or development" in done.stderr


def test_the_suite_runs_on_the_test_settings_and_its_flush():
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "tests.settings"
    assert settings.INSTALLED_APPS[0] == "tests.support"
    assert settings.PASSWORD_HASHERS == ["tests.support.hashers.QuickArgon2PasswordHasher"]
    assert get_commands()["flush"] == "tests.support"
    command = load_command_class(get_commands()["flush"], "flush")
    assert type(command).__module__ == "tests.support.management.commands.flush"


def test_test_settings_add_nothing_under_production(tmp_path):
    """A test may start a command with SAFE_PASSAGE_ENV=production to check the production
    configuration; it inherits DJANGO_SETTINGS_MODULE=tests.settings, which then weakens nothing."""
    seen = _probe(
        tmp_path,
        DJANGO_SETTINGS_MODULE="tests.settings",
        **PRODUCTION_SETTINGS["production"],
    )
    assert "tests.support" not in seen["installed_apps"]
    assert seen["password_hashers"][0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert seen["argon2"] == [64 * 1024, 3]
    assert seen["flush_ran"] == [DJANGO_FLUSH]
