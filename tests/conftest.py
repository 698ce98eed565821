from __future__ import annotations

import pytest
from django.db import connection
from django.utils import translation


def pytest_collection_modifyitems(config, items) -> None:
    """PostgreSQL-only tests are skipped, visibly, on the SQLite pass."""
    from django.conf import settings

    vendor = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    if vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (runs in the PostgreSQL pass)")
    for item in items:
        if "postgres_only" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _test_defaults(settings, tmp_path):
    """Each test gets its own media folder; rate limits are switched on by the tests about them."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.RATE_LIMITS_ENABLED = False
    yield
    # The test client leaves the last request's language active: the next test starts afresh.
    translation.deactivate()


@pytest.fixture
def on_postgres() -> bool:
    return connection.vendor == "postgresql"


# --- audit ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _audit_key_per_test(settings, tmp_path):
    """Checkpoints use a per-test key path (absent until a test makes a key), never .local/."""
    settings.AUDIT_SIGNING_KEY_FILE = str(tmp_path / "audit" / "signing_key.pem")


@pytest.fixture
def audit_key(settings):
    """A fresh Ed25519 checkpoint key at the configured path; returns its private key."""
    from pathlib import Path

    from audit.signing import key_generate

    return key_generate(Path(settings.AUDIT_SIGNING_KEY_FILE))
