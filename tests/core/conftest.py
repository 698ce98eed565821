from __future__ import annotations

import pytest


@pytest.fixture
def limits(settings):
    """Rate limits on, at the documented defaults, with a fixed key so hashes are repeatable."""
    settings.SECRET_KEY = "tests.core rate-limit key"
    settings.RATE_LIMITS_ENABLED = True
    settings.CLIENT_ADDRESS_HEADER = ""
    settings.RATE_LIMIT_WINDOW_SECONDS = 3600
    settings.RATE_LIMIT_INTAKE_PER_SOURCE = 10
    settings.RATE_LIMIT_INTAKE_PER_SECOND = 6
    settings.RATE_LIMIT_INTAKE_BURST = 60
    settings.RATE_LIMIT_LOOKUP_PER_SECOND = 6
    settings.RATE_LIMIT_LOOKUP_BURST = 60
    settings.RATE_LIMIT_CODE_FAILURES_PER_SOURCE = 30
    settings.RATE_LIMIT_CODE_TRICKLE_PER_MINUTE = 2
    settings.RATE_LIMIT_CASE_ACTIONS = 60
    settings.RATE_LIMIT_CASE_WINDOW_SECONDS = 900
    return settings
