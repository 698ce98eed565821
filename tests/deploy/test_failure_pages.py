"""When the database is down every page is the project's own error page, in the visitor's
language, never gunicorn's or Django's: the error path needs neither the session nor the
database (core.middleware.FailSafeMiddleware). Here every query of this process fails
(OperationalError, as a stopped server gives); the install test (tests/deploy/test_install.py)
does it for real, by cutting gunicorn's connection to PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import OperationalError
from django.db.backends import utils
from django.test import Client
from django.utils import translation

from tests.factories import Applicant, intake_data, verified_client
from vault.receipts import receipt_new

pytestmark = pytest.mark.django_db


def _title(language: str) -> str:
    with translation.override(language):
        return translation.gettext("Something went wrong")


@pytest.fixture
def database_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("connection refused (the test's database is 'down')")

    def down():
        monkeypatch.setattr(utils.CursorWrapper, "execute", refuse)
        monkeypatch.setattr(utils.CursorWrapper, "executemany", refuse)

    return down


def _is_our_error_page(response, language: str) -> None:
    body = response.content.decode()
    assert response.status_code in (500, 503), response.status_code
    assert f'<html lang="{language}">' in body
    assert _title(language) in body
    assert 'class="quick-exit"' in body
    assert "Internal Server Error" not in body and "Traceback" not in body
    assert not response.cookies, "an error page sets no cookie"
    assert response["Cache-Control"] == "no-store"
    # The protective headers every page has (tests/security/test_headers.py), this one included.
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_russian_has_its_own_words_for_the_error():
    assert _title("ru") != _title("en")


def test_a_signed_in_staff_page_shows_our_page_in_the_staff_language(team, database_down):
    staff = verified_client(team.carla)
    staff.raise_request_exception = False
    database_down()
    for language in ("ru", "en"):
        response = staff.get("/staff/cases/", headers={"accept-language": language})
        _is_our_error_page(response, language)


def test_the_applicant_pages_show_our_page_in_the_language_of_their_address(database_down):
    """A request sent and a receipt code typed, the forms as the pages gave them just before."""
    applicants = {}
    for language in ("ru", "en"):
        for path in ("/request/", "/status/"):
            applicant = Applicant(Client(raise_request_exception=False), language=language)
            applicant.open(path)
            applicants[language, path] = applicant
    database_down()
    for (language, path), applicant in applicants.items():
        if path == "/request/":
            response = applicant.act("intake", **intake_data())
        else:
            response = applicant.act("lookup", code=str(receipt_new()))
        _is_our_error_page(response, language)


def test_an_error_in_the_error_path_itself_still_gets_our_page(team, monkeypatch):
    """Even when Django's error page cannot be rendered (here its render raises), no bare
    'Internal Server Error' leaves the app: the fallback renders the template alone."""
    staff = verified_client(team.carla)
    staff.raise_request_exception = False

    def broken(*args, **kwargs):
        raise RuntimeError("the error page failed")

    monkeypatch.setattr("core.errors.render", broken)
    response = staff.get("/staff/cases/EV-2222-22/", headers={"accept-language": "ru"})
    _is_our_error_page(response, "ru")
    assert response.status_code == 500


def test_healthz_says_unavailable(database_down):
    database_down()
    response = Client(raise_request_exception=False).get("/healthz")
    assert response.status_code == 503
    assert response.content == b"unavailable\n"
