"""The vault through the real sign-in pages (accounts wires unlock_begin / unlock_complete)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from tests.factories import fresh_totp_code, vault_ready
from vault.session import SESSION_KEY

pytestmark = pytest.mark.django_db

COOKIE = "sp_vault_key"


def test_the_password_page_sets_the_key_cookie_and_the_code_page_opens_the_grant(carla, settings):
    settings.SESSION_COOKIE_SECURE = True
    vault_ready(carla)
    client = Client(secure=True)
    response = client.post(
        "/staff/login/", {"username": "carla", "password": "correct horse battery staple 42"}
    )
    cookie = response.cookies[COOKIE]
    assert cookie["httponly"] and cookie["secure"] and cookie["samesite"] == "Strict"
    assert set(client.session[SESSION_KEY]) == {"user", "pending"}

    response = client.post("/staff/login/code/", {"token": fresh_totp_code(carla)})
    assert response.status_code == 302
    stored = SessionStore(session_key=client.session.session_key).load()
    assert set(stored[SESSION_KEY]) == {"user", "org"}
    assert client.cookies[COOKIE].value


def test_a_staff_member_without_a_grant_leaves_sign_in_with_no_key_at_all(kim):
    vault_ready()
    client = Client()
    client.post("/staff/login/", {"username": "kim", "password": "correct horse battery staple 42"})
    response = client.post("/staff/login/code/", {"token": fresh_totp_code(kim)})
    assert response.cookies[COOKIE].value == ""
    assert SESSION_KEY not in client.session


def test_a_wrong_password_sets_no_key_cookie(carla):
    vault_ready(carla)
    response = Client().post("/staff/login/", {"username": "carla", "password": "wrong password"})
    assert COOKIE not in response.cookies
