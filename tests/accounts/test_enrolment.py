from __future__ import annotations

import re

import pytest
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import DEFAULT_PASSWORD, make_staff, totp_code

pytestmark = pytest.mark.django_db


def _password_step(client, user):
    return client.post("/staff/login/", {"username": user.username, "password": DEFAULT_PASSWORD})


def test_it_sends_a_new_staff_member_to_enrolment(client):
    user = make_staff(totp=False)
    response = _password_step(client, user)
    assert response["Location"] == "/staff/login/enrol/"


def test_it_keeps_every_staff_page_closed_until_a_factor_is_enrolled(client):
    user = make_staff(totp=False)
    _password_step(client, user)
    for path in ["/staff/", "/staff/cases/", "/staff/security/", "/audit/", "/admin/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"] == "/staff/login/code/", path
    assert client.get("/staff/login/code/")["Location"] == "/staff/login/enrol/"


def test_it_shows_a_qr_code_and_the_secret_as_text(client):
    user = make_staff(totp=False)
    _password_step(client, user)
    page = client.get("/staff/login/enrol/").content.decode()
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert 'src="data:image/svg+xml;base64,' in page
    secret = re.search(r'class="secret">([A-Z2-7]+)<', page).group(1)
    import base64

    assert base64.b32decode(secret) == device.bin_key


def test_it_confirms_the_device_and_shows_ten_backup_codes_once(client):
    user = make_staff(totp=False)
    _password_step(client, user)
    client.get("/staff/login/enrol/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/staff/login/enrol/", {"token": totp_code(device)})
    assert response.status_code == 200
    codes = StaticToken.objects.filter(device__user=user).values_list("token", flat=True)
    assert len(codes) == 10
    page = response.content.decode()
    assert all(code in page for code in codes)
    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/staff/").status_code == 200


def test_it_refuses_a_wrong_enrolment_code(client):
    user = make_staff(totp=False)
    _password_step(client, user)
    client.get("/staff/login/enrol/")
    response = client.post("/staff/login/enrol/", {"token": "000000"})
    assert "That code did not work" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert client.get("/staff/")["Location"] == "/staff/login/code/"
