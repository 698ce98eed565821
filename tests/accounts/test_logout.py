from __future__ import annotations

import pytest

from audit.models import AuditEvent
from tests.factories import verified_client

pytestmark = pytest.mark.django_db


def test_logout_is_a_post(carla):
    client = verified_client(carla)
    assert client.get("/staff/logout/").status_code == 405
    assert client.get("/staff/").status_code == 200


def test_logout_ends_the_session_and_forgets_the_vault_key(carla):
    client = verified_client(carla)
    response = client.post("/staff/logout/")
    assert response["Location"] == "/staff/login/"
    assert client.get("/staff/")["Location"].startswith("/staff/login/")
    assert AuditEvent.objects.filter(action="signout", actor=carla).exists()
    cookie = response.cookies.get("sp_vault_key")
    assert cookie is not None and cookie.value == ""
