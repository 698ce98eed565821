"""Staff pages and the error pages speak Russian when the browser or the language switch asks."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from tests.factories import sign_in, vault_ready

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_is_in_russian_when_the_browser_asks():
    page = Client(HTTP_ACCEPT_LANGUAGE="ru").get("/staff/login/").content.decode()
    assert 'lang="ru"' in page
    assert "Вход для сотрудников" in page
    assert "Имя пользователя" in page
    assert "Staff sign-in" not in page


def test_the_sign_in_page_is_in_russian_after_choosing_russian_with_the_switch():
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.post("/i18n/setlang/", {"language": "ru", "next": "/staff/login/"})
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "ru"
    assert "Вход для сотрудников" in client.get("/staff/login/").content.decode()


def test_a_wrong_password_is_explained_in_russian(carla):
    response = Client(HTTP_ACCEPT_LANGUAGE="ru").post(
        "/staff/login/", {"username": "carla", "password": "not the password"}
    )
    page = response.content.decode()
    assert "Не удалось войти с этим именем пользователя и паролем." in page  # noqa: RUF001


def test_the_not_found_page_is_in_russian():
    response = Client(HTTP_ACCEPT_LANGUAGE="ru").get("/no-such-page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "Страница не найдена" in page and "По этому адресу ничего нет." in page


def test_a_refused_staff_member_sees_the_forbidden_page_in_russian(audrey):
    client = sign_in(Client(HTTP_ACCEPT_LANGUAGE="ru"), audrey)
    response = client.get("/staff/team/")
    page = response.content.decode()
    assert response.status_code == 403
    assert "Доступ запрещён" in page
    assert "У вас нет доступа к этой странице." in page  # noqa: RUF001


def test_the_staff_home_page_and_its_menu_are_in_russian(cora):
    client = sign_in(Client(HTTP_ACCEPT_LANGUAGE="ru"), cora)
    page = client.get("/staff/").content.decode()
    assert "Ваша роль: Координатор." in page
    assert "Доступ команды" in page and "Безопасность" in page
    assert "Выйти" in page  # staff_base.html, from the root translations


def test_the_team_page_is_in_russian_for_a_coordinator(cora, carla):
    vault_ready(cora)
    page = sign_in(Client(HTTP_ACCEPT_LANGUAGE="ru"), cora).get("/staff/team/").content.decode()
    assert "Доступ команды к данным дел" in page
    assert "Выдать доступ: carla" in page
    assert "Куратор" in page
