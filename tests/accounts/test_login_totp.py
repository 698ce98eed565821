from __future__ import annotations

import pytest

from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, fresh_totp_code

pytestmark = pytest.mark.django_db


def _password_step(client, user, password=DEFAULT_PASSWORD):
    return client.post("/staff/login/", {"username": user.username, "password": password})


def test_it_asks_for_a_code_after_the_password(client, carla):
    response = _password_step(client, carla)
    assert response["Location"] == "/staff/login/code/"
    assert client.get("/staff/")["Location"] == "/staff/login/code/"


def test_it_signs_in_with_a_current_code(client, carla):
    _password_step(client, carla)
    response = client.post("/staff/login/code/", {"token": fresh_totp_code(carla)})
    assert response["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert AuditEvent.objects.filter(action="signin.succeeded", actor=carla).exists()


def test_it_rejects_a_bad_code(client, carla):
    _password_step(client, carla)
    response = client.post("/staff/login/code/", {"token": "123456"})
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert client.get("/staff/")["Location"] == "/staff/login/code/"
    assert AuditEvent.objects.filter(action="otp.failed", actor=carla).exists()


def test_it_throttles_codes_after_a_failure(client, carla):
    _password_step(client, carla)
    code = fresh_totp_code(carla)
    client.post("/staff/login/code/", {"token": "123456"})
    response = client.post("/staff/login/code/", {"token": code})
    assert "Too many attempts: wait 1 second, then try again." in response.content.decode()
    assert client.get("/staff/")["Location"] == "/staff/login/code/"


def test_it_rejects_a_replayed_code(client, carla):
    code = fresh_totp_code(carla)
    _password_step(client, carla)
    assert client.post("/staff/login/code/", {"token": code})["Location"] == "/staff/"
    client.post("/staff/logout/")

    _password_step(client, carla)
    response = client.post("/staff/login/code/", {"token": code})
    assert response.status_code == 200
    assert client.get("/staff/")["Location"] == "/staff/login/code/"
