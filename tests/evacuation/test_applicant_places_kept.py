"""The applicant's place is kept (issue 14): a kept receipt code goes when its minutes are up,
without anyone asking for it again; the language switch keeps the page and what was typed; a
status view leaves no event in the audit log; the home page says who runs the service."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.models import SpentToken
from evacuation.models import Case, Message
from tests.factories import (
    Applicant,
    applicant_with,
    intake_sent,
    language_switch,
    receipt_on,
    vault_ready,
)

pytestmark = pytest.mark.django_db

ALREADY_REACHED = "Your request had already reached us; no second request was made."


@pytest.fixture(autouse=True)
def recovery() -> str:
    return vault_ready()


def _sent() -> tuple[Applicant, str]:
    applicant = Applicant()
    intake_sent(applicant, name="Place Marker")
    code = receipt_on(applicant.page)
    assert code and Case.objects.count() == 1
    return applicant, code


# --- gap 4: a kept code is deleted after its minutes, with no resend ---------------------------


def test_a_kept_code_is_deleted_by_the_next_visitors_post_after_its_ten_minutes():
    """Nobody sends the first form again: someone else's POST to /request/ 11 minutes later
    (here one with nothing answered) is enough to drop the sealed code from the database."""
    _sent()
    assert SpentToken.objects.filter(sealed__isnull=False).count() == 1
    later = timezone.now() + timedelta(minutes=11)
    other = Applicant()
    other.open("/request/")
    with mock.patch("django.utils.timezone.now", return_value=later):
        other.act("intake", name="")  # refused (nothing answered), and makes nothing
    assert Case.objects.count() == 1
    assert not SpentToken.objects.filter(sealed__isnull=False).exists()
    assert not SpentToken.objects.filter(sealed_until__isnull=False).exists()


def test_within_its_minutes_another_visitors_post_leaves_the_kept_code_alone():
    applicant, code = _sent()
    other = Applicant()
    other.open("/request/")
    with mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=9)
    ):
        other.act("intake", name="")
    assert SpentToken.objects.filter(sealed__isnull=False).count() == 1
    applicant.resend()
    assert receipt_on(applicant.page) == code


# --- gap 3: the language switch keeps the place ----------------------------------------------


def test_switching_language_on_the_received_page_shows_the_same_code_in_the_other_language():
    applicant, code = _sent()
    response = language_switch(applicant, "ru")
    assert response.status_code == 200
    assert response.wsgi_request.path == "/ru/request/"
    assert '<html lang="ru">' in applicant.page
    assert receipt_on(applicant.page) == code  # the code is still on the screen
    assert ALREADY_REACHED not in applicant.page  # a switch, not a resend: no alarm
    assert Case.objects.count() == 1
    # And back again, still the same code; "I have written it down" works from there.
    language_switch(applicant, "en")
    assert receipt_on(applicant.page) == code
    applicant.act("written_down", written_down="1")
    assert code not in applicant.page
    assert not SpentToken.objects.filter(sealed__isnull=False).exists()


def test_switching_language_after_the_ten_minutes_shows_no_code():
    applicant, code = _sent()
    with mock.patch(
        "django.utils.timezone.now", return_value=timezone.now() + timedelta(minutes=11)
    ):
        language_switch(applicant, "ru")
    assert receipt_on(applicant.page) is None and code not in applicant.page
    assert Case.objects.count() == 1


def test_switching_language_on_the_status_page_keeps_the_message_being_typed():
    _applicant, code = _sent()
    person = applicant_with(code)
    typed = "Half a message <b>with</b> a link https://example.net/x"
    response = language_switch(person, "ru", {"text": typed})
    assert response.status_code == 200
    assert response.wsgi_request.path == "/ru/status/"
    assert '<html lang="ru">' in person.page
    assert 'name="capability"' in person.page  # still the status page, not code entry
    box = re.search(r'<textarea name="text" id="id_text"[^>]*>(.*?)</textarea>', person.page, re.S)
    assert box and html.unescape(box.group(1)) == typed
    assert not Message.objects.exists()  # nothing was sent
    # The message can then be sent from the page in Russian, once.
    person.act("message", text=typed)
    assert Message.objects.count() == 1


def test_switching_language_after_a_refused_addition_keeps_the_addition():
    """Once the "add" box is the one being written (here: refused as too long), the switch
    sends that form, with its text, instead of the message form."""
    _applicant, code = _sent()
    person = applicant_with(code)
    typed = "One more thing I forgot. " * 210  # over 5,000 characters
    person.act("add", text=typed)
    assert 'aria-invalid="true"' in person.page
    language_switch(person, "ru", {"text": typed})
    assert person.response.wsgi_request.POST["step"] == "add"
    box = re.search(r'<textarea name="text" id="add-text"[^>]*>(.*?)</textarea>', person.page, re.S)
    assert box and html.unescape(box.group(1)) == typed
    assert re.search(r'<details class="your-request" open>', person.page)
    assert not Message.objects.exists()


def _other_language_form(page: str, language: str) -> dict[str, str]:
    """The hidden fields of the switch's little form to `language` (pages without a text box)."""
    form = re.search(
        rf'<form method="post" action="/{language}/status/" class="inline">(.*?)</form>', page, re.S
    )
    assert form, f"no switch to {language!r} on the page"
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(1)))


def test_switching_language_on_the_withdraw_confirmation_stays_on_the_confirmation():
    _applicant, code = _sent()
    person = applicant_with(code)
    person.act("confirm_withdraw")
    assert 'data-form="withdraw"' in person.page
    fields = _other_language_form(person.page, "ru")
    person.response = person.client.post("/ru/status/", fields)
    person.language = "ru"
    assert '<html lang="ru">' in person.page
    assert 'data-form="withdraw"' in person.page and 'data-form="withdraw_delete"' in person.page
    assert Case.objects.get().is_open  # nothing was withdrawn by switching
    person.act("withdraw")
    assert not Case.objects.get().is_open


# --- gap 5: the "Also" items -------------------------------------------------------------------


def test_reading_the_status_page_records_no_event_in_the_audit_log():
    _applicant, code = _sent()
    before = AuditEvent.objects.count()
    person = applicant_with(code)  # the code typed
    person.act("confirm_withdraw")
    person.act("keep")  # back to the status page through its capability
    language_switch(person, "ru")
    assert AuditEvent.objects.count() == before
    assert not AuditEvent.objects.filter(action__contains="view").exists()


@pytest.mark.parametrize(
    ("language", "heading", "run_by"),
    [
        ("en", "Who runs this service", "This service is run by Example Rights Org."),
        ("ru", "Кто ведёт этот сервис", "Этот сервис ведёт организация Example Rights Org."),
    ],
)
def test_the_home_page_says_who_runs_the_service_and_where_to_check(
    settings, language, heading, run_by
):
    settings.ORGANISATION_NAME = "Example Rights Org"
    settings.ORGANISATION_URL = "https://example.org/safe-passage"
    settings.ONION_ADDRESS = "exampleexampleexampleexampleexampleexampleexampleexampl.onion"
    page = Applicant(language=language).open("/").content.decode()
    assert heading in page
    assert run_by in page
    assert 'href="https://example.org/safe-passage"' in page
    assert settings.ONION_ADDRESS in page
