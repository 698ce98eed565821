from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import intake_data, vault_ready

pytestmark = pytest.mark.django_db


def _ru() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="ru")


def test_the_home_page_speaks_russian_when_the_browser_asks():
    page = _ru().get("/").content.decode()
    assert 'lang="ru"' in page
    assert "Помощь, чтобы безопасно уехать" in page
    assert "Быстрый выход" in page
    assert "Help to leave safely" not in page


def test_the_form_and_its_messages_are_in_russian():
    page = _ru().post("/request/", intake_data(name="", consent="")).content.decode()
    assert "Как к вам обращаться" in page
    assert "Пожалуйста, напишите, как к вам обращаться." in page
    assert "Медицинская помощь, в том числе продолжение лечения ВИЧ" in page
    assert "Please tell us" not in page


def test_the_receipt_and_status_pages_are_in_russian():
    vault_ready()
    client = _ru()
    page = client.post("/request/", intake_data()).content.decode()
    assert "Ваша просьба получена" in page
    missing = client.post("/status/", {"code": "0000"}).content.decode()
    assert "Мы не нашли просьбу с этим кодом." in missing  # noqa: RUF001
