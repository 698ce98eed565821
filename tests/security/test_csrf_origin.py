"""Applicant pages send no referrer, so browsers post them with `Origin: null`."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import intake_data, vault_ready

pytestmark = pytest.mark.django_db


def _client_with_token(path: str) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.get(path)
    return client, client.cookies["csrftoken"].value


def test_an_applicant_form_posted_with_a_null_origin_and_its_token_is_accepted():
    vault_ready()
    client, token = _client_with_token("/request/")
    response = client.post(
        "/request/", {**intake_data(), "csrfmiddlewaretoken": token}, HTTP_ORIGIN="null"
    )
    assert response.status_code == 200
    assert b'class="receipt"' in response.content


def test_an_applicant_form_without_the_token_is_still_refused():
    client, _token = _client_with_token("/request/")
    response = client.post("/request/", intake_data(), HTTP_ORIGIN="null")
    assert response.status_code == 403


def test_a_staff_form_with_a_null_origin_is_refused():
    client, token = _client_with_token("/staff/login/")
    response = client.post(
        "/staff/login/",
        {"username": "x", "password": "y", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="null",
    )
    assert response.status_code == 403
