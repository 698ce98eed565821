from __future__ import annotations

import pytest

from tests.factories import make_staff, verified_client

pytestmark = pytest.mark.django_db


def test_staff_sessions_expire_after_thirty_idle_minutes_and_at_browser_close(settings):
    client = verified_client(make_staff())
    response = client.get("/staff/")
    cookie = response.cookies["sp_staff_session"]
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_SAVE_EVERY_REQUEST
    assert cookie["expires"] == "" and cookie["max-age"] == ""  # a browser-session cookie
    assert cookie["httponly"]
    assert cookie["samesite"] == "Strict"
    assert client.session.get_expiry_age() == 1800


def test_an_expired_session_is_signed_out():
    client = verified_client(make_staff())
    session = client.session
    session.set_expiry(-1)
    session.save()
    assert client.get("/staff/")["Location"].startswith("/staff/login/")
