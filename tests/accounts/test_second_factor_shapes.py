"""A code is tried only on the device its shape belongs to; a throttled device says how long to
wait; backup codes are accepted however they are typed. Through the real sign-in pages."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import backup_codes_generate
from accounts.twofactor import code_kind, normalise
from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, totp_code

pytestmark = pytest.mark.django_db

DID_NOT_WORK = "That code did not work."


def _password_step(client: Client, user) -> None:
    response = client.post(
        "/staff/login/", {"username": user.username, "password": DEFAULT_PASSWORD}
    )
    assert response["Location"] == "/staff/login/code/"


def _code_step(client: Client, token: str):
    return client.post("/staff/login/code/", {"token": token})


def _signs_in_with(user, token: str, client: Client | None = None) -> bool:
    client = client or Client()
    _password_step(client, user)
    return _code_step(client, token).get("Location") == "/staff/"


def _totp(user) -> TOTPDevice:
    return TOTPDevice.objects.get(user=user, confirmed=True)


def test_ten_backup_code_sign_ins_in_a_row_leave_the_authenticator_working(carla):
    for code in backup_codes_generate(user=carla):
        client = Client()
        assert _signs_in_with(carla, code, client)
        client.post("/staff/logout/")

    device = _totp(carla)
    assert device.throttling_failure_count == 0
    # The authenticator's own code, as the phone shows it (its throttle is not reset first).
    assert _signs_in_with(carla, totp_code(device))


def test_wrong_backup_codes_do_not_throttle_the_authenticator(carla):
    backup_codes_generate(user=carla)
    client = Client()
    _password_step(client, carla)
    assert DID_NOT_WORK in _code_step(client, "zzzz2222").content.decode()
    assert _totp(carla).throttling_failure_count == 0
    assert StaticDevice.objects.get(user=carla).throttling_failure_count == 1
    assert _code_step(client, totp_code(_totp(carla)))["Location"] == "/staff/"


def test_a_wrong_authenticator_code_leaves_the_backup_codes_usable(carla):
    code = backup_codes_generate(user=carla)[0]
    client = Client()
    _password_step(client, carla)
    assert DID_NOT_WORK in _code_step(client, "000000").content.decode()
    assert _code_step(client, code)["Location"] == "/staff/"


def test_a_code_of_neither_shape_touches_no_device(carla):
    backup_codes_generate(user=carla)
    client = Client()
    _password_step(client, carla)
    assert DID_NOT_WORK in _code_step(client, "12345").content.decode()
    assert _totp(carla).throttling_failure_count == 0
    assert StaticDevice.objects.get(user=carla).throttling_failure_count == 0
    event = AuditEvent.objects.filter(action="otp.failed", actor=carla).get()
    assert event.data == {"method": "malformed"}


def _throttle(device, failures: int) -> None:
    type(device).objects.filter(pk=device.pk).update(
        throttling_failure_count=failures, throttling_failure_timestamp=timezone.now()
    )


def test_a_throttled_authenticator_says_how_long_to_wait(carla):
    _throttle(_totp(carla), 4)  # 1, 2, 4, 8: the fourth failure asks for 8 seconds
    client = Client()
    _password_step(client, carla)
    page = _code_step(client, totp_code(_totp(carla))).content.decode()
    assert "Too many attempts: wait 8 seconds, then try again." in page
    assert client.get("/staff/")["Location"] == "/staff/login/code/"
    assert AuditEvent.objects.filter(
        action="otp.failed", actor=carla, data__method="throttled"
    ).exists()


def test_a_backup_code_still_works_while_the_authenticator_is_throttled(carla):
    code = backup_codes_generate(user=carla)[0]
    _throttle(_totp(carla), 10)
    assert _signs_in_with(carla, code)


def test_a_throttled_backup_device_says_how_long_to_wait_in_russian(carla):
    code = backup_codes_generate(user=carla)[0]
    _throttle(StaticDevice.objects.get(user=carla), 2)
    client = Client(HTTP_ACCEPT_LANGUAGE="ru")
    _password_step(client, carla)
    page = _code_step(client, code).content.decode()
    assert "Слишком много попыток: подождите 2 секунды и попробуйте снова." in page


@pytest.mark.parametrize(
    "typed",
    [
        lambda c: c.upper(),
        lambda c: f"{c[:4].upper()} {c[4:]}",
        lambda c: f"{c[:4]}-{c[4:]}",
        lambda c: f"  {c[:4].upper()} \u2013 {c[4:].upper()}  ",  # an en dash, as phones make it
        lambda c: " ".join(c),
    ],
    ids=["capitals", "ABCD efgh", "abcd-efgh", "en dash and spaces", "spaced out"],
)
def test_backup_codes_are_accepted_however_they_are_typed(carla, typed):
    code = backup_codes_generate(user=carla)[0]
    assert _signs_in_with(carla, typed(code))
    assert not StaticDevice.objects.get(user=carla).token_set.filter(token=code).exists()


def test_the_code_field_does_not_ask_for_a_digits_only_keyboard(carla):
    client = Client()
    _password_step(client, carla)
    page = client.get("/staff/login/code/").content.decode()
    assert 'name="token"' in page and 'inputmode="numeric"' not in page
    assert 'autocapitalize="none"' in page


def test_code_shapes():
    assert normalise(" ABCD-efgh ") == "abcdefgh"
    assert code_kind("123456") == "totp"
    assert code_kind("abcd2345") == "backup"
    assert code_kind("12345678") is None  # digits outside base32's 2-7
    assert code_kind("abcd234") is None
    assert code_kind("\u0661\u0662\u0663\u0664\u0665\u0666") is None  # not ASCII digits
