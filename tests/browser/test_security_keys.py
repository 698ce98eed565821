"""Security keys and passkeys in Chromium, with its virtual authenticator (CDP, PRF on), on
localhost as the relying-party ID: what a staff member does, and what a stolen database plus
the password then opens (issue 17)."""

from __future__ import annotations

import os

import pytest
from django.test import override_settings

from accounts import changes
from accounts.models import Role
from tests.factories import make_case, make_staff, vault_ready
from vault import crypto
from vault import staff as vault_staff
from vault.errors import HardwareBound
from vault.models import StaffKey, StaffKeyBinding

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "a long passphrase for kira 42"
SITUATION = "Threatened by my neighbours."  # tests.factories.intake_data


def _authenticator(page, *, prf: bool = True) -> tuple[object, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable", {"enableUI": False})
    options = {
        "protocol": "ctap2",
        "ctap2Version": "ctap2_1",
        "transport": "usb",
        "hasResidentKey": True,
        "hasUserVerification": True,
        "isUserVerified": True,
        "hasPrf": prf,
        "automaticPresenceSimulation": True,
    }
    found = cdp.send("WebAuthn.addVirtualAuthenticator", {"options": options})
    return cdp, found["authenticatorId"]


def _enrol_with_link(page, live_server, user, *, name: str = "blue key") -> None:
    token = changes.apply_from_command(user=user, kind=changes.Kind.RESET)
    page.goto(f"{live_server.url}/staff/enrol/{token}/")
    page.fill("input[name=new_password]", NEW_PASSWORD)
    page.fill("input[name=new_password_again]", NEW_PASSWORD)
    page.click("button:has-text('Set my password')")
    if not page.url.endswith("/staff/security/keys/new/"):
        page.wait_for_url("**/staff/login/enrol/")  # a role free to choose: TOTP, or a key
        page.click("a:has-text('Use a security key')")
    page.wait_for_url("**/staff/security/keys/new/")
    _add_key(page, name)


def _add_key(page, name: str) -> None:
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button:has-text('Add the key')")
    try:
        page.wait_for_url("**/staff/security/")
    except Exception as exc:
        raise AssertionError(page.inner_text("#key-status")) from exc


def _sign_in_with_key(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]:has-text('Continue')")
    page.wait_for_url("**/staff/login/code/")
    page.click("button:has-text('Sign in with your security key')")
    page.wait_for_url(f"{live_server.url}/staff/")


def _sign_out(page) -> None:
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/staff/login/")


def _opens_the_case(page, live_server, reference: str) -> bool:
    page.goto(f"{live_server.url}/staff/cases/{reference}/")
    page.check("input[name=reason][value=assess]")
    with page.expect_navigation():
        page.click("button:has-text('Open')")
    return SITUATION in page.content()


@override_settings(WEBAUTHN_REQUIRED_ROLES=["caseworker", "coordinator"])
def test_a_key_role_enrols_by_link_binds_its_key_and_only_the_key_opens_case_data(
    live_server, page
):
    kira = make_staff(username="kira", role=Role.CASEWORKER, totp=False)
    _authenticator(page)
    _enrol_with_link(page, live_server, kira)
    text = page.content()
    assert "The security key “blue key” was added to your account." in text
    assert "Your personal key is now bound to this security key" in text
    assert "Personal key bound to it" in text

    # The database row plus the password: the password-only copy is gone, and what the password
    # opens is sealed to a key pair only the security key's PRF output derives.
    assert bytes(StaffKey.objects.get(user=kira).wrapped_private) == b""
    with pytest.raises(HardwareBound):
        vault_staff.personal_key_open(user=kira, password=NEW_PASSWORD)
    inner = vault_staff.bindings_unwrap(user=kira, password=NEW_PASSWORD)
    ((credential, blob),) = inner.items()
    with pytest.raises(crypto.DecryptionFailed):
        vault_staff.binding_open(
            user_pk=kira.pk, credential=credential, inner=blob, prf_output=os.urandom(32)
        )

    # The organisation key is sealed to kira's (unchanged) public key; a case arrives.
    vault_ready(kira)
    case = make_case()
    _sign_out(page)

    # With the key: signed in, and the case opens.
    _sign_in_with_key(page, live_server, "kira")
    assert _opens_the_case(page, live_server, case.reference)


@override_settings(WEBAUTHN_REQUIRED_ROLES=["caseworker", "coordinator"])
def test_a_key_role_is_refused_totp_and_a_backup_code_session_opens_no_case(live_server, page):
    from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tests.factories import totp_code

    kira = make_staff(username="kira", role=Role.CASEWORKER, totp=False)
    _authenticator(page)
    _enrol_with_link(page, live_server, kira)
    vault_ready(kira)
    case = make_case()
    device = TOTPDevice.objects.create(user=kira, name="authenticator", confirmed=True)
    backup = StaticDevice.objects.create(user=kira, name="backup")
    StaticToken.objects.create(device=backup, token="abcdefgh")
    _sign_out(page)

    page.goto(f"{live_server.url}/staff/login/")
    page.fill("input[name=username]", "kira")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]:has-text('Continue')")
    page.wait_for_url("**/staff/login/code/")
    page.fill("input[name=token]", totp_code(device))
    page.click("button[type=submit]:has-text('Sign in')")
    assert "Your role signs in with a security key, not with the authenticator app" in (
        page.content()
    )
    assert page.url.endswith("/staff/login/code/")

    page.fill("input[name=token]", "ABCD EFGH")
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_url(f"{live_server.url}/staff/")
    assert "this session cannot open case data" in page.content()
    assert not _opens_the_case(page, live_server, case.reference)


def test_a_key_signs_in_a_wrong_key_is_refused_and_a_key_is_removed(live_server, page):
    kira = make_staff(username="kira", role=Role.CASEWORKER, totp=False)
    cdp, first = _authenticator(page)
    _enrol_with_link(page, live_server, kira, name="blue key")
    # A session that signed in with a key may add another (a second authenticator).
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": first})
    _, second = _authenticator(page)
    page.click("a:has-text('Add a security key')")
    _add_key(page, "spare key")
    assert StaffKeyBinding.objects.filter(user=kira).count() == 2

    # Removing a key needs the password; the other key still opens the personal key.
    item = page.locator("ul.keys li", has_text="spare key")
    item.locator("input[name=password]").fill(NEW_PASSWORD)
    with page.expect_navigation():
        item.locator("button:has-text('Remove')").click()
    assert "The security key “spare key” was removed." in page.content()
    assert StaffKeyBinding.objects.filter(user=kira).count() == 1
    assert "spare key" not in page.inner_text("ul.keys")
    _sign_out(page)

    # A key that is not on the account: the browser finds none of kira's; nothing signs in.
    cdp.send("WebAuthn.removeVirtualAuthenticator", {"authenticatorId": second})
    _authenticator(page)
    page.goto(f"{live_server.url}/staff/login/")
    page.fill("input[name=username]", "kira")
    page.fill("input[name=password]", NEW_PASSWORD)
    page.click("button[type=submit]:has-text('Continue')")
    page.wait_for_url("**/staff/login/code/")
    page.click("button:has-text('Sign in with your security key')")
    page.wait_for_selector("#key-status:has-text('did not get an answer from a key')")
    assert page.url.endswith("/staff/login/code/")
