"""What a person's browser and the server keep after a visit: as little as possible."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tests.factories import intake_data, submit_intake, vault_ready

pytestmark = pytest.mark.django_db

ALLOWED_COOKIES = {"csrftoken", "django_language"}


@pytest.fixture(autouse=True)
def _vault():
    vault_ready()


def _responses():
    client = Client()
    yield client.get("/")
    yield client.get("/request/")
    yield client.post("/request/", intake_data(name=""))
    _ref, code = submit_intake(client)
    yield client.post("/request/", intake_data())
    yield client.get("/status/")
    yield client.post("/status/", {"code": code})
    yield client.post("/status/", {"code": code, "step": "confirm_withdraw"})
    yield client.post("/status/", {"code": code, "step": "withdraw"})
    yield client.post("/status/", {"code": "0000"})


def test_every_applicant_page_is_uncached_unreferred_and_has_a_quick_exit(settings):
    for response in _responses():
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        assert response["Referrer-Policy"] == "no-referrer"
        page = response.content.decode()
        assert f'class="quick-exit" href="{settings.QUICK_EXIT_URL}"' in page
        assert '<meta name="referrer" content="no-referrer">' in page
        assert "<script" not in page
        assert "style=" not in page


def test_no_cookie_but_csrf_is_set_and_no_session_is_stored():
    for response in _responses():
        assert set(response.cookies) <= ALLOWED_COOKIES, set(response.cookies)
    assert Session.objects.count() == 0


def test_pages_load_nothing_from_another_site():
    for response in _responses():
        page = response.content.decode()
        for attribute in ('src="http', "src='http", 'href="//', 'src="//'):
            assert attribute not in page
        assert '<link rel="stylesheet" href="/static/' in page
