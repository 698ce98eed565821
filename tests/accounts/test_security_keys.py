"""Security keys: the personal key bound to a key's PRF, the role policy, who may enrol, and the
script rules (issue 17). The ceremonies themselves run in Chromium with its virtual
authenticator: tests/browser/test_security_keys.py."""

from __future__ import annotations

import os
import re

import pytest
from django.test import Client
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp_webauthn.models import WebAuthnCredential

from accounts import services
from audit.models import AuditEvent
from tests.factories import (
    DEFAULT_PASSWORD,
    fresh_totp_code,
    make_case,
    vault_ready,
    verified_client,
)
from vault import crypto
from vault import staff as vault_staff
from vault.errors import HardwareBound, LastBinding, WrongPassword
from vault.models import StaffKey

pytestmark = pytest.mark.django_db
KEY_ROLES = ["caseworker", "coordinator"]


def _bound(user, prf: bytes, credential: str = "c1") -> None:
    vault_staff.binding_add(
        user=user,
        password=DEFAULT_PASSWORD,
        credential=credential,
        prf_output=prf,
        private_bytes=None,
    )


def _opens(user, password: str, prf: bytes, credential: str = "c1") -> bytes:
    inner = vault_staff.bindings_unwrap(user=user, password=password)[credential]
    pair = vault_staff.binding_open(
        user_pk=user.pk, credential=credential, inner=inner, prf_output=prf
    )
    return pair.public_bytes


def test_a_bound_personal_key_needs_the_password_and_the_key(carla):
    public = bytes(StaffKey.objects.get(user=carla).public_key)
    prf = os.urandom(32)
    _bound(carla, prf)

    row = StaffKey.objects.get(user=carla)
    assert bytes(row.wrapped_private) == b""  # the password-only copy is gone
    with pytest.raises(HardwareBound):
        vault_staff.personal_key_open(user=carla, password=DEFAULT_PASSWORD)
    # The database row plus the password: an HPKE ciphertext sealed to the key's PRF pair.
    with pytest.raises(crypto.DecryptionFailed):
        _opens(carla, DEFAULT_PASSWORD, os.urandom(32))
    with pytest.raises(WrongPassword):
        _opens(carla, "not the password at all", prf)
    # Both together open the same key pair: grants sealed to it stay valid.
    assert _opens(carla, DEFAULT_PASSWORD, prf) == public


def test_a_password_change_re_wraps_every_bound_copy_without_the_keys(carla):
    first, second = os.urandom(32), os.urandom(32)
    _bound(carla, first, "c1")
    private = vault_staff.binding_open(
        user_pk=carla.pk,
        credential="c1",
        inner=vault_staff.bindings_unwrap(user=carla, password=DEFAULT_PASSWORD)["c1"],
        prf_output=first,
    ).private_bytes
    vault_staff.binding_add(
        user=carla,
        password=DEFAULT_PASSWORD,
        credential="c2",
        prf_output=second,
        private_bytes=private,  # what the session that signed in with a key holds
    )
    new = "another long passphrase for carla"
    services.password_change(user=carla, old_password=DEFAULT_PASSWORD, new_password=new)
    public = bytes(StaffKey.objects.get(user=carla).public_key)
    for credential, prf in (("c1", first), ("c2", second)):
        with pytest.raises(WrongPassword):
            _opens(carla, DEFAULT_PASSWORD, prf, credential)
        assert _opens(carla, new, prf, credential) == public


def test_another_persons_private_key_is_never_bound(carla):
    _bound(carla, os.urandom(32))
    foreign = crypto.keypair_generate().private_bytes
    with pytest.raises(ValueError):
        vault_staff.binding_add(
            user=carla,
            password=DEFAULT_PASSWORD,
            credential="c2",
            prf_output=os.urandom(32),
            private_bytes=foreign,
        )


def test_the_last_bound_key_stays_unless_the_session_holds_the_personal_key(carla):
    prf = os.urandom(32)
    _bound(carla, prf)
    private = crypto.keypair_from_private_bytes(
        vault_staff.binding_open(
            user_pk=carla.pk,
            credential="c1",
            inner=vault_staff.bindings_unwrap(user=carla, password=DEFAULT_PASSWORD)["c1"],
            prf_output=prf,
        ).private_bytes
    ).private_bytes
    kwargs = {"user": carla, "credential": "c1", "password": DEFAULT_PASSWORD}
    with pytest.raises(LastBinding):  # a role that must use a key keeps one
        vault_staff.binding_remove(**kwargs, private_bytes=private, keep_one=True)
    with pytest.raises(LastBinding):  # without the personal key it would be lost
        vault_staff.binding_remove(**kwargs, private_bytes=None, keep_one=False)
    assert vault_staff.binding_remove(**kwargs, private_bytes=private, keep_one=False)
    # The password alone opens it again.
    assert vault_staff.personal_key_open(user=carla, password=DEFAULT_PASSWORD)


def _key(user, name: str = "blue key") -> WebAuthnCredential:
    return WebAuthnCredential.objects.create(
        user=user, name=name, credential_id=os.urandom(16), public_key=b"cose", confirmed=True
    )


def _password_step(user) -> Client:
    client = Client(HTTP_HOST="localhost")  # the relying-party ID in the suite's settings
    data = {"username": user.username, "password": DEFAULT_PASSWORD}
    response = client.post("/staff/login/", data)
    assert response.status_code == 302
    return client


def test_a_key_role_cannot_sign_in_with_totp(settings, carla):
    settings.WEBAUTHN_REQUIRED_ROLES = KEY_ROLES
    _key(carla)
    client = _password_step(carla)
    response = client.post("/staff/login/code/", {"token": fresh_totp_code(carla)})
    assert response.status_code == 200
    assert "Your role signs in with a security key" in response.content.decode()
    assert client.get("/staff/cases/")["Location"] == "/staff/login/code/"


def test_a_backup_code_signs_a_key_role_in_but_opens_no_case(settings, carla):
    settings.WEBAUTHN_REQUIRED_ROLES = KEY_ROLES
    vault_ready(carla)
    case = make_case()
    _key(carla)
    device = StaticDevice.objects.create(user=carla, name="backup")
    StaticToken.objects.create(device=device, token="abcdefgh")
    client = _password_step(carla)
    response = client.post("/staff/login/code/", {"token": "abcdefgh"}, follow=True)
    text = response.content.decode()
    assert "this session cannot open case data" in text
    assert client.get("/staff/cases/").status_code == 200  # the queue, yes
    response = client.post(f"/staff/cases/{case.reference}/", {"reason": "assess"}, follow=True)
    assert "Threatened by my neighbours." not in response.content.decode()


def test_a_key_role_without_a_key_reaches_no_staff_page(settings, carla):
    settings.WEBAUTHN_REQUIRED_ROLES = KEY_ROLES
    client = _password_step(carla)
    page = client.get("/staff/login/code/").content.decode()
    assert "you have none yet" in page
    device = StaticDevice.objects.create(user=carla, name="backup")
    StaticToken.objects.create(device=device, token="abcdefgh")
    client.post("/staff/login/code/", {"token": "abcdefgh"})
    for url in ("/staff/", "/staff/cases/", "/staff/security/"):
        assert client.get(url)["Location"] == "/staff/security/keys/needed/", url
    assert (
        "Ask an administrator for an enrolment link"
        in client.get("/staff/security/keys/needed/").content.decode()
    )


def test_password_and_totp_alone_cannot_enrol_a_key(carla):
    client = _password_step(carla)  # as a phisher holding the password and a live code
    client.post("/staff/login/code/", {"token": fresh_totp_code(carla)})
    page = client.get("/staff/security/keys/new/").content.decode()
    assert "A password and an authenticator code are" in page
    response = client.post(
        "/staff/keys/register/begin/",
        {"name": "attacker", "password": DEFAULT_PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "Sign in with a security key you already have" in response.json()["error"]
    assert not WebAuthnCredential.objects.filter(user=carla).exists()


BAD_BODIES = ["", "not json", "[1, 2]", '{"credential": "x"}', '{"credential": {}}']


@pytest.mark.parametrize("body", BAD_BODIES)
def test_the_key_steps_answer_bad_input_with_a_message(carla, body):
    _key(carla)
    client = _password_step(carla)
    for url in ("/staff/keys/assert/begin/", "/staff/keys/assert/complete/"):
        response = client.post(url, body, content_type="application/json")
        assert response.status_code in (200, 400), url
    response = client.post("/staff/keys/assert/complete/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]
    assert client.get("/staff/")["Location"] == "/staff/login/code/"  # not signed in


def test_a_wrong_answer_is_refused_and_recorded(carla):
    _key(carla)
    client = _password_step(carla)
    assert "options" in client.post("/staff/keys/assert/begin/", {}, "application/json").json()
    forged = {
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {"clientDataJSON": "e30", "authenticatorData": "AA", "signature": "AA"},
        "clientExtensionResults": {},
    }
    response = client.post(
        "/staff/keys/assert/complete/", {"credential": forged, "prf": ""}, "application/json"
    )
    assert response.status_code == 400
    assert "That key did not work" in response.json()["error"]
    assert AuditEvent.objects.filter(action="otp.failed", data__method="webauthn").exists()
    assert client.get("/staff/")["Location"] == "/staff/login/code/"


def test_keys_are_not_offered_on_the_onion_address_and_totp_there_opens_no_case(settings, carla):
    onion = "a" * 56 + ".onion"
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, onion]
    settings.WEBAUTHN_REQUIRED_ROLES = KEY_ROLES
    _key(carla)
    client = Client(HTTP_HOST=onion)
    client.post("/staff/login/", {"username": "carla", "password": DEFAULT_PASSWORD})
    page = client.get("/staff/login/code/").content.decode()
    assert "webauthn.js" not in page  # no key button where keys cannot work
    response = client.post("/staff/login/code/", {"token": fresh_totp_code(carla)}, follow=True)
    assert "this session cannot open case data" in response.content.decode()
    assert client.get("/staff/cases/").status_code == 200


def test_script_only_on_staff_pages_from_our_own_static_files(carla):
    _key(carla)
    client = _password_step(carla)
    response = client.get("/staff/login/code/")
    page = response.content.decode()
    scripts = re.findall(r"<script\b[^>]*>", page)
    assert scripts == ['<script src="/static/staff/webauthn.js" defer>']
    assert "</script>" in page and re.search(r"<script[^>]*>\s*</script>", page)  # no inline code
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for url in ("/en/", "/ru/", "/en/request/", "/en/status/"):
        assert "<script" not in Client(HTTP_HOST="localhost").get(url).content.decode(), url


def test_every_enrolment_is_told_at_the_next_sign_in(carla):
    from django.utils import timezone

    carla.last_login = timezone.now() - timezone.timedelta(days=1)
    carla.save(update_fields=["last_login"])
    _key(carla, "a key someone added")
    response = verified_client(carla).get("/staff/")
    assert "A security key “a key someone added” was added to your account" in (
        response.content.decode()
    )


def test_the_team_page_shows_who_is_hardware_bound(cora, carla):
    vault_ready(cora, carla)
    _bound(carla, os.urandom(32))
    page = verified_client(cora).get("/staff/team/").content.decode()
    row = re.search(r"<tr>\s*<td>carla.*?</tr>", page, re.S).group(0)
    assert "Yes: the password alone opens nothing" in row
    row = re.search(r"<tr>\s*<td>cora.*?</tr>", page, re.S).group(0)
    assert "No: the password alone opens the personal key" in row


def test_the_policy_is_off_in_development_and_every_grant_holding_role_in_production():
    from django.conf import settings

    from accounts.roles import CAPABILITIES
    from tests.accounts.test_deploy_settings import PRODUCTION_ENV, _manage

    assert settings.WEBAUTHN_REQUIRED_ROLES == ["none"]  # the suite's (development) settings
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(sorted(settings.WEBAUTHN_REQUIRED_ROLES))",
        env=PRODUCTION_ENV,
    )
    # Who can hold an organisation-key grant is who may open cases (vault.org grants check it).
    wanted = sorted(str(role) for role in CAPABILITIES["open_case"])
    assert result.stdout.strip() == str(wanted), result.stderr
