from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import DEFAULT_PASSWORD, make_staff, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def newcomer():
    """A new caseworker who has not enrolled an authenticator yet (not one of the cast)."""
    return make_staff(username="nina", totp=False)


def _password_step(client, user):
    return client.post("/staff/login/", {"username": user.username, "password": DEFAULT_PASSWORD})


def test_it_sends_a_new_staff_member_to_enrolment(client, newcomer):
    response = _password_step(client, newcomer)
    assert response["Location"] == "/staff/login/enrol/"


def test_it_keeps_every_staff_page_closed_until_a_factor_is_enrolled(client, newcomer):
    _password_step(client, newcomer)
    for path in ["/staff/", "/staff/cases/", "/staff/security/", "/audit/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/staff/login/code/", path
    assert client.get("/staff/login/code/")["Location"] == "/staff/login/enrol/"


def test_it_shows_a_qr_code_and_the_secret_as_text(client, newcomer):
    _password_step(client, newcomer)
    page = client.get("/staff/login/enrol/").content.decode()
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    assert 'src="data:image/svg+xml;base64,' in page
    secret = re.search(r'class="secret">([A-Z2-7]+)<', page).group(1)
    import base64

    assert base64.b32decode(secret) == device.bin_key


def test_it_confirms_the_device_and_shows_ten_backup_codes_once(client, newcomer):
    _password_step(client, newcomer)
    client.get("/staff/login/enrol/")
    device = TOTPDevice.objects.get(user=newcomer, confirmed=False)
    response = client.post("/staff/login/enrol/", {"token": totp_code(device)})
    assert response.status_code == 200
    codes = StaticToken.objects.filter(device__user=newcomer).values_list("token", flat=True)
    assert len(codes) == 10
    page = response.content.decode()
    assert all(code in page for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/").status_code == 200


def test_it_refuses_a_wrong_enrolment_code(client, newcomer):
    _password_step(client, newcomer)
    client.get("/staff/login/enrol/")
    response = client.post("/staff/login/enrol/", {"token": "000000"})
    assert "That code did not work" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=newcomer, confirmed=True).exists()
    assert client.get("/staff/")["Location"] == "/staff/login/code/"
