from __future__ import annotations

import pytest

from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, fresh_totp_code, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return make_staff(username="alice")


def _password_step(client, user, password=DEFAULT_PASSWORD):
    return client.post("/staff/login/", {"username": user.username, "password": password})


def test_it_asks_for_a_code_after_the_password(client, alice):
    response = _password_step(client, alice)
    assert response["Location"] == "/staff/login/code/"
    assert client.get("/staff/")["Location"] == "/staff/login/code/"


def test_it_signs_in_with_a_current_code(client, alice):
    _password_step(client, alice)
    response = client.post("/staff/login/code/", {"token": fresh_totp_code(alice)})
    assert response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(action="signin.succeeded", actor=alice).exists()


def test_it_rejects_a_bad_code(client, alice):
    _password_step(client, alice)
    response = client.post("/staff/login/code/", {"token": "123456"})
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert client.get("/staff/")["Location"] == "/staff/login/code/"
    assert AuditEvent.objects.filter(action="otp.failed", actor=alice).exists()


def test_it_throttles_codes_after_a_failure(client, alice):
    _password_step(client, alice)
    code = fresh_totp_code(alice)
    client.post("/staff/login/code/", {"token": "123456"})
    response = client.post("/staff/login/code/", {"token": code})
    assert "Too many wrong codes" in response.content.decode()
    assert client.get("/staff/")["Location"] == "/staff/login/code/"


def test_it_rejects_a_replayed_code(client, alice):
    code = fresh_totp_code(alice)
    _password_step(client, alice)
    assert client.post("/staff/login/code/", {"token": code})["Location"] == "/staff/"
    client.post("/staff/logout/")

    _password_step(client, alice)
    response = client.post("/staff/login/code/", {"token": code})
    assert response.status_code == 200
    assert client.get("/staff/")["Location"] == "/staff/login/code/"
