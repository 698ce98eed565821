from __future__ import annotations

import pytest

from accounts.services import backup_codes_generate
from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, verified_client

pytestmark = pytest.mark.django_db


def _sign_in_with(client, user, code):
    client.post("/staff/login/", {"username": user.username, "password": DEFAULT_PASSWORD})
    return client.post("/staff/login/code/", {"token": code})


def test_a_backup_code_signs_in_once(client, carla):
    code = backup_codes_generate(user=carla)[0]
    assert _sign_in_with(client, carla, code)["Location"] == "/staff/"
    assert AuditEvent.objects.filter(action="backup_code.used", actor=carla).exists()
    client.post("/staff/logout/")

    response = _sign_in_with(client, carla, code)
    assert response.status_code == 200
    assert client.get("/staff/")["Location"] == "/staff/login/code/"


def test_regenerating_needs_the_password_and_retires_old_codes(client, carla):
    old = backup_codes_generate(user=carla)
    staff = verified_client(carla)

    refused = staff.post("/staff/security/", {"action": "backup_codes", "password": "wrong one"})
    assert "That password is not correct" in refused.content.decode()
    assert _sign_in_with(client, carla, old[0])["Location"] == "/staff/"
    client.post("/staff/logout/")

    response = staff.post(
        "/staff/security/", {"action": "backup_codes", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 200
    assert old[1] not in response.content.decode()
    assert _sign_in_with(client, carla, old[1]).status_code == 200
    assert client.get("/staff/")["Location"] == "/staff/login/code/"
