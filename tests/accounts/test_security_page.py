from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, totp_code, verified_client

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "another long passphrase 99"


def test_replacing_the_authenticator_needs_the_password_then_a_code_from_the_new_one(carla):
    old_device = TOTPDevice.objects.get(user=carla)
    client = verified_client(carla)

    page = client.post("/staff/security/", {"action": "replace_totp", "password": DEFAULT_PASSWORD})
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()
    new_device = TOTPDevice.objects.get(user=carla, confirmed=False)

    response = client.post("/staff/security/authenticator/", {"token": totp_code(new_device)})
    assert response.status_code == 200
    assert list(TOTPDevice.objects.filter(user=carla).values_list("pk", flat=True)) == [
        new_device.pk
    ]
    assert not TOTPDevice.objects.filter(pk=old_device.pk).exists()
    assert AuditEvent.objects.filter(action="totp.replaced", actor=carla).exists()


def test_replacing_the_authenticator_with_a_wrong_password_changes_nothing(carla):
    client = verified_client(carla)
    response = client.post("/staff/security/", {"action": "replace_totp", "password": "nope"})
    assert "That password is not correct" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=carla, confirmed=False).exists()


def test_changing_the_password_keeps_the_session_and_the_new_password_signs_in(carla):
    client = verified_client(carla)
    response = client.post(
        "/staff/security/",
        {"action": "password", "password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert response["Location"] == "/staff/security/"
    assert client.get("/staff/").status_code == 200
    carla.refresh_from_db()
    assert carla.check_password(NEW_PASSWORD)
    verified_client(carla, NEW_PASSWORD)


def test_a_weak_new_password_is_refused(carla):
    client = verified_client(carla)
    response = client.post(
        "/staff/security/",
        {"action": "password", "password": DEFAULT_PASSWORD, "new_password": "12345678"},
    )
    assert response.status_code == 200
    carla.refresh_from_db()
    assert carla.check_password(DEFAULT_PASSWORD)
