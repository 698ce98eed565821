from __future__ import annotations

import pytest

from tests.factories import verified_client

pytestmark = pytest.mark.django_db


def test_staff_sessions_expire_after_thirty_idle_minutes_and_at_browser_close(carla, settings):
    client = verified_client(carla)
    response = client.get("/staff/")
    cookie = response.cookies["sp_staff_session"]
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert client.session.get_expiry_age() == 1800


def test_an_expired_session_is_signed_out(carla):
    client = verified_client(carla)
    session = client.session
    session.set_expiry(-1)
    session.save()
    assert client.get("/staff/")["Location"].startswith("/staff/login/")
