"""Settings for the test suite: config/settings.py, made fast, plus the test-only app.

pytest loads this module (DJANGO_SETTINGS_MODULE in pyproject.toml), and so does every server
or command a test starts in a subprocess (they inherit DJANGO_SETTINGS_MODULE). Every choice
that exists only for the tests is made here; config/settings.py has none.
"""

from __future__ import annotations

import os

# The suite runs on the development configuration (a local secret, no Secure cookies).
os.environ.setdefault("SAFE_PASSAGE_ENV", "development")

from config.env import env_int
from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS, PRODUCTION

# A test may start a command under SAFE_PASSAGE_ENV=production to check the production
# configuration (tests/accounts/test_deploy_settings.py): then nothing is weakened or added, and
# this module is config/settings.py exactly.
if not PRODUCTION:
    # Django takes a management command from the first app in INSTALLED_APPS that has one, so
    # listed first, tests.support's flush (which lifts the audit triggers) is the one that runs.
    INSTALLED_APPS = ["tests.support", *INSTALLED_APPS]

    # The same Argon2 code path at tiny costs, so the suite is not spent hashing.
    PASSWORD_HASHERS = ["tests.support.hashers.QuickArgon2PasswordHasher"]
    VAULT_ARGON2_MEMORY_KIB = env_int("VAULT_ARGON2_MEMORY_KIB", 1024)
    VAULT_ARGON2_ITERATIONS = env_int("VAULT_ARGON2_ITERATIONS", 1)

    # The queue's per-state counts are never reused between requests: tests see every change.
    QUEUE_COUNTS_SECONDS = env_int("QUEUE_COUNTS_SECONDS", 0)

    # Tasks are queued and not run, unless a test runs them (the notification tests run the
    # worker, `db_worker`, on the database backend).
    TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
