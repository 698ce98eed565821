from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import Role
from tests.factories import make_staff, verified_client

pytestmark = pytest.mark.django_db

PAGES = ["/audit/", "/audit/checkpoints/", "/audit/export.jsonl", "/audit/export.csv"]


@pytest.mark.parametrize("role", [Role.CASEWORKER, Role.COORDINATOR, Role.ADMIN])
def test_it_refuses_every_audit_page_to_roles_other_than_auditor(role):
    client = verified_client(make_staff(username=f"someone-{role}", role=role))
    for page in PAGES:
        assert client.get(page).status_code == 403, page
    assert client.get("/audit/events/1/").status_code == 403
    assert client.post("/audit/verify/").status_code == 403


def test_it_shows_every_audit_page_to_an_auditor(audrey):
    client = verified_client(audrey)
    for page in PAGES:
        assert client.get(page).status_code == 200, page
    assert client.get("/audit/events/1/").status_code == 200
    assert client.post("/audit/verify/").status_code == 200


def test_it_sends_strangers_to_the_sign_in_page():
    response = Client().get("/audit/")
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/")


def test_it_answers_404_for_an_event_that_does_not_exist(audrey):
    client = verified_client(audrey)
    assert client.get("/audit/events/999999/").status_code == 404
