from __future__ import annotations

import pytest
from django.db import connection
from django.utils import translation

from tests.factories import CAST, Team, cast_member, team_ready


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
    """Every test has its own checkpoint key pair and signer state (never .local/), so a strict
    verification can check signatures; a test about a missing key removes it."""
    from audit.signing import key_generate

    folder = tmp_path / "audit"
    settings.AUDIT_SIGNING_KEY_FILE = str(folder / "signing_key.pem")
    settings.AUDIT_PUBLIC_KEY_FILE = str(folder / "signing_key.pub.pem")
    settings.AUDIT_SIGNER_STATE_DIR = str(folder / "signer")
    key_generate(folder / "signing_key.pem", folder / "signing_key.pub.pem")


@pytest.fixture
def audit_key(settings):
    """The test's Ed25519 checkpoint key (the signer's private key)."""
    from audit.signing import signing_key

    return signing_key()


# --- the cast ------------------------------------------------------------------------------------
# The same people in the same roles in every test (tests.factories.CAST). Each fixture makes one
# person, TOTP enrolled, with a personal key and no grant: a test that initialises the vault
# itself says who holds the key. `team` is everyone, with the key granted to the case staff.


def _cast_fixture(name: str):
    def person(db):
        return cast_member(name)

    person.__doc__ = f"{name.capitalize()}, the cast's {CAST[name]}, holding no grant yet."
    return pytest.fixture(person, name=name)


carla = _cast_fixture("carla")  # caseworker
kim = _cast_fixture("kim")  # caseworker
cora = _cast_fixture("cora")  # coordinator
colin = _cast_fixture("colin")  # coordinator
audrey = _cast_fixture("audrey")  # auditor
adam = _cast_fixture("adam")  # admin


@pytest.fixture
def team(carla, kim, cora, colin, audrey, adam) -> Team:
    """The whole cast; the vault is initialised and the case staff hold the organisation key."""
    return team_ready(carla=carla, kim=kim, cora=cora, colin=colin, audrey=audrey, adam=adam)


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the whole run: its sync API keeps an event loop in this thread,
    so a second one started beside it (say, by the install test after the browser tests) fails."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        yield driver
