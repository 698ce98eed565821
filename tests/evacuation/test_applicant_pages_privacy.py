"""What a person's browser and the server keep after a visit: as little as possible. Every
applicant page, in every state it can be in, sets no cookie at all and stores no session."""

from __future__ import annotations

import time
from types import SimpleNamespace
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.test import Client

from tests.factories import (
    CROSS_SITE,
    Applicant,
    code_mistyped,
    code_with_secret,
    intake_data,
    intake_sent,
    language_switch,
    post_again,
    request_sent,
    send_form,
    set_cookies,
    vault_ready,
)
from vault import capabilities

NOT_FROM_HERE_RU = "Эта форма пришла не с наших страниц"  # noqa: RUF001
BUSY_RU = "С вашего подключения за короткое время пришло слишком много попыток."  # noqa: RUF001

# The deletion page scrubs the database files, which must happen outside a transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _vault():
    vault_ready()


def _pages(settings, client: Client):
    """(what, expected status, a text it shows, response) for every applicant page in every
    state, all seen by one browser (`client`)."""
    applicant = Applicant(client)
    yield "home", 200, "Help to leave safely", applicant.open("/")
    yield (
        "home in Russian",
        200,
        "Помощь, чтобы безопасно уехать",
        Applicant(client, language="ru").open("/"),
    )
    yield "request form", 200, "Send my request", applicant.open("/request/")
    yield (
        "request form with errors",
        200,
        "Please tell us what we should call you.",
        send_form(applicant, "intake", intake_data(name="")),
    )
    yield (
        "request form switched",
        200,
        "Как к вам обращаться",
        language_switch(applicant, "ru", intake_data()),
    )
    applicant = Applicant(client)
    yield "received", 200, "This is your receipt code.", intake_sent(applicant)
    answer = applicant.response
    yield "received again", 200, "had already reached us", applicant.resend()
    yield (
        "written down",
        200,
        "Your code is no longer kept anywhere on our side.",
        applicant.act("written_down", written_down="1"),
    )
    yield "already sent", 200, "Your request was already sent", post_again(applicant, answer)
    _reference, code = request_sent(Applicant(client))

    looking = Applicant(client)
    yield "lookup", 200, "Enter the receipt code", looking.open("/status/")
    yield (
        "lookup, wrong code",
        200,
        "We could not find a request with this code.",
        looking.act("lookup", code=code_with_secret(code, "0" * 16)),
    )
    yield (
        "lookup, typo",
        200,
        "One of the digits does not fit",
        looking.act("lookup", code=code_mistyped(code)),
    )
    yield (
        "lookup, malformed",
        200,
        "A receipt code has 24 digits",
        looking.act("lookup", code="12345"),
    )
    yield "lookup switched", 200, "Проверить заявку", language_switch(looking, "ru", {"code": code})

    person = Applicant(client)
    yield "status", 200, "We have received your request.", person.check(code)
    yield "status, message sent", 200, "Your message is sent.", person.act("message", text="Hello")
    yield "status, already sent", 200, "This was already sent.", person.resend()
    yield "confirm withdraw", 200, "Withdraw your request?", person.act("confirm_withdraw")
    yield "withdrawn", 200, "Your request has been withdrawn.", person.act("withdraw")
    later = SimpleNamespace(time=lambda: time.time() + 16 * 60)
    with mock.patch.object(capabilities, "time", later):
        yield (
            "capability expired",
            200,
            "forgets your code after 15 minutes",
            person.act("message", text="Too late"),
        )
    person.check(code)
    person.act("confirm_withdraw")
    yield "deleted", 200, "Everything is deleted", person.act("withdraw_delete")

    form = Applicant(client)
    form.open("/request/")
    yield (
        "refused, request",
        403,
        "This form did not come from our own pages",
        send_form(form, "intake", intake_data(), headers=CROSS_SITE),
    )
    looking.open("/status/")
    yield (
        "refused, lookup (in Russian)",
        403,
        NOT_FROM_HERE_RU,
        looking.act("lookup", code=code, headers=CROSS_SITE),
    )

    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_INTAKE_PER_SOURCE = 1
    settings.RATE_LIMIT_CODE_FAILURES_PER_SOURCE = 1
    settings.RATE_LIMIT_CODE_TRICKLE_PER_MINUTE = 1
    settings.RATE_LIMIT_CASE_ACTIONS = 1
    _reference, code = request_sent(Applicant(client))
    yield (
        "busy, request",
        429,
        "Many attempts have come from your connection",
        intake_sent(Applicant(client)),
    )
    person = Applicant(client)
    person.check(code)
    person.act("message", text="One")
    yield "busy, status", 429, "Please try again in", person.act("message", text="Two")
    for _ in range(2):
        looking.check(code_with_secret(code, "0" * 16))
    yield (
        "busy, lookup (in Russian)",
        429,
        BUSY_RU,
        looking.check(code_with_secret(code, "1" * 16)),
    )


def test_every_applicant_page_is_uncached_unreferred_and_has_a_quick_exit(settings):
    for what, status, text, response in _pages(settings, Client()):
        assert response.status_code == status, what
        assert text in response.content.decode(), what
        assert response["Cache-Control"] == "no-store", what
        assert response["Referrer-Policy"] == "no-referrer", what
        page = response.content.decode()
        assert f'class="quick-exit" href="{settings.QUICK_EXIT_URL}"' in page, what
        assert '<meta name="referrer" content="no-referrer">' in page, what
        assert "<script" not in page, what
        assert "style=" not in page, what


def test_no_page_in_any_state_sets_a_cookie_or_stores_a_session(settings):
    client = Client()
    seen = []
    for what, status, _text, response in _pages(settings, client):
        assert response.status_code == status, what
        assert set_cookies(response) == [], (what, set_cookies(response))
        seen.append(what)
    assert len(seen) == 26
    assert not client.cookies  # the browser holds nothing from us
    assert Session.objects.count() == 0


def test_the_redirects_to_a_language_set_no_cookie_either():
    for path in ("/", "/request/", "/status/"):
        for language in ("en", "ru"):
            response = Client(HTTP_ACCEPT_LANGUAGE=language).get(path)
            assert response.status_code == 302
            assert response["Location"] == f"/{language}{path}"
            assert set_cookies(response) == []
    assert Session.objects.count() == 0


def test_pages_load_nothing_from_another_site(settings):
    for what, _status, _text, response in _pages(settings, Client()):
        page = response.content.decode()
        for attribute in ('src="http', "src='http", 'href="//', 'src="//'):
            assert attribute not in page, what
        assert '<link rel="stylesheet" href="/static/' in page, what
