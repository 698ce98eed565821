from __future__ import annotations

import pytest

from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-in attempts"


def _attempt(client, username, password):
    return client.post("/staff/login/", {"username": username, "password": password})


def test_it_locks_a_username_after_five_failures(client, carla):
    for _ in range(4):
        response = _attempt(client, carla.username, "not the password")
        assert "did not work" in response.content.decode()
    fifth = _attempt(client, carla.username, "not the password")
    assert fifth.status_code == 429
    response = _attempt(client, carla.username, DEFAULT_PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert client.get("/staff/")["Location"].startswith("/staff/login/")
    assert AuditEvent.objects.filter(action="signin.locked_out").exists()


@pytest.mark.usefixtures("carla")
def test_a_missing_username_is_locked_with_the_same_words(client):
    for _ in range(5):
        _attempt(client, "nobody-here", "not the password")
    response = _attempt(client, "nobody-here", "not the password")
    assert response.status_code == 429
    assert LOCKED in response.content.decode()


def test_failures_are_logged_without_the_username_or_password(client):
    _attempt(client, "mallory", "hunter2-secret")
    event = AuditEvent.objects.get(action="signin.failed")
    assert "mallory" not in str(event.data)
    assert "hunter2" not in str(event.data)
    assert len(event.data["username_hash"]) == 32


def test_another_username_is_not_locked(client, carla, kim):
    for _ in range(5):
        _attempt(client, carla.username, "not the password")
    assert _attempt(client, kim.username, DEFAULT_PASSWORD)["Location"] == "/staff/login/code/"
