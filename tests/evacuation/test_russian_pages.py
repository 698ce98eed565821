"""The applicant's pages in Russian: the language is in the URL (/ru/...), chosen from the
browser's Accept-Language at "/", and the language switch keeps the page and what was typed."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client

from core.models import SpentToken
from evacuation.models import Case
from tests.factories import (
    Applicant,
    applicant_with,
    code_typed,
    code_with_secret,
    intake_data,
    intake_sent,
    language_switch,
    receipt_on,
    request_sent,
    send_form,
    set_cookies,
    vault_ready,
)

pytestmark = pytest.mark.django_db

NOT_FOUND_RU = "Мы не нашли заявку с этим кодом."  # noqa: RUF001
TWO_LINES = "Строка один\nСтрока два"  # noqa: RUF001


def _ru() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="ru")


def test_the_home_page_speaks_russian_when_the_browser_asks():
    response = _ru().get("/")
    assert response.status_code == 302 and response["Location"] == "/ru/"
    assert set_cookies(response) == []  # the language is in the URL, not in a cookie
    page = _ru().get("/ru/").content.decode()
    assert 'lang="ru"' in page
    assert "Помощь, чтобы безопасно уехать" in page
    assert "Быстрый выход" in page
    assert "Help to leave safely" not in page


def test_a_link_without_a_language_goes_to_the_browsers_language():
    assert _ru().get("/request/")["Location"] == "/ru/request/"
    assert Client(HTTP_ACCEPT_LANGUAGE="en").get("/request/")["Location"] == "/en/request/"
    assert Client().get("/status/")["Location"] == "/en/status/"


def test_the_form_and_its_messages_are_in_russian():
    vault_ready()
    applicant = Applicant(language="ru")
    page = intake_sent(applicant, name="", consent="").content.decode()
    assert "Как к вам обращаться" in page
    assert "Пожалуйста, напишите, как к вам обращаться." in page
    assert "Медицинская помощь, в том числе продолжение лечения ВИЧ" in page
    assert "Please tell us" not in page


def test_the_receipt_and_status_pages_are_in_russian():
    vault_ready()
    applicant = Applicant(language="ru")
    _reference, code = request_sent(applicant)
    assert "Ваша заявка получена" in applicant.page
    assert "Here is its code again" not in applicant.page
    missing = Applicant(language="ru")
    missing.check(code_with_secret(code, "0" * 16))
    assert NOT_FOUND_RU in missing.page
    missing.check("0000")
    assert "В коде заявки 24 цифры, шесть групп по четыре." in missing.page  # noqa: RUF001
    status = applicant_with(code, language="ru")
    assert "Мы получили вашу заявку." in status.page


# --- the language switch -----------------------------------------------------------------------


def _checked(page: str, name: str) -> set[str]:
    """The values of the radio buttons and checkboxes `name` that the page shows ticked."""
    return {
        value
        for tag in re.findall(rf'<input type="(?:radio|checkbox)" name="{name}"[^>]*>', page)
        if " checked" in tag
        for value in re.findall(r'value="([^"]*)"', tag)
    }


def test_the_switch_on_the_request_form_keeps_what_was_typed():
    vault_ready()
    applicant = Applicant()
    applicant.open("/request/")
    _action, hidden = applicant.form("intake")
    typed = intake_data(
        name="Switch Marker", city="Kept City", situation="Typed before the switch.", urgency="now"
    )
    response = language_switch(applicant, "ru", typed)
    page = applicant.page
    assert response.status_code == 200
    assert 'lang="ru"' in page and "Как к вам обращаться" in page
    assert "Please tell us" not in page and "Пожалуйста, напишите" not in page  # not checked yet
    assert 'value="Switch Marker"' in page and 'value="Kept City"' in page
    assert "Typed before the switch." in page
    assert _checked(page, "urgency") == {"now"}
    assert _checked(page, "help_needed") == {"transport", "medical"}
    assert _checked(page, "contact_method") == {"signal"}
    action, kept = applicant.form("intake")
    assert action == "/ru/request/"
    assert kept["form_token"] == hidden["form_token"]  # the same form, nothing spent
    assert not Case.objects.exists() and not SpentToken.objects.exists()
    # Sent from the Russian page, it is one request, answered in Russian.
    send_form(applicant, "intake", typed)
    assert receipt_on(applicant.page) and "Ваша заявка получена" in applicant.page
    assert Case.objects.count() == 1


def test_the_switch_back_to_english_keeps_the_text_as_typed():
    vault_ready()
    applicant = Applicant(language="ru")
    applicant.open("/request/")
    typed = intake_data(name="Имя <b>и</b> «кавычки»", situation=TWO_LINES)
    language_switch(applicant, "en", typed)
    page = applicant.page
    assert 'lang="en"' in page and "Name or alias we should use" in page
    assert html.escape("Имя <b>и</b> «кавычки»") in page
    assert "Имя <b>" not in page  # shown back as text, never as markup
    assert TWO_LINES in page


def test_the_switch_on_the_lookup_page_keeps_the_typed_code_and_looks_nothing_up():
    vault_ready()
    _reference, code = request_sent()
    applicant = Applicant()
    applicant.open("/status/")
    language_switch(applicant, "ru", {"code": code})
    assert 'lang="ru"' in applicant.page and "Проверить заявку" in applicant.page
    assert code_typed(applicant.page) == code
    assert 'name="capability"' not in applicant.page  # nothing was looked up yet
    applicant.act("lookup", code=code_typed(applicant.page))
    assert "Мы получили вашу заявку." in applicant.page


def test_the_switch_on_the_status_page_keeps_the_request_open_and_spends_nothing():
    vault_ready()
    reference, code = request_sent()
    applicant = applicant_with(code)
    spent = SpentToken.objects.count()
    # The switch sends the message form (what is typed in it goes along) and sends nothing.
    response = language_switch(applicant, "ru", {"text": ""})
    assert response.wsgi_request.POST["step"] == "message"
    page = response.content.decode()
    assert response.status_code == 200
    assert 'lang="ru"' in page and reference in page and "Мы получили вашу заявку." in page
    assert 'name="capability"' in page and code not in page
    assert SpentToken.objects.count() == spent
