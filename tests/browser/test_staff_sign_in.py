from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import DEFAULT_PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_caseworker_signs_in_with_password_and_totp(live_server, page, carla):
    device = TOTPDevice.objects.get(user=carla)

    page.goto(f"{live_server.url}/staff/")
    assert page.url.endswith("/staff/login/?next=%2Fstaff%2F")
    page.fill("input[name=username]", "carla")
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]:has-text('Continue')")
    page.wait_for_url("**/staff/login/code/")

    page.fill("input[name=token]", totp_code(device))
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_url(f"{live_server.url}/staff/")
    assert "Signed in as carla" in page.content()
