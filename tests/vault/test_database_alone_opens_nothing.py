"""Threat 1: the server's database is seized, sessions table included, while staff are signed
in. Nothing in it opens a case: every key is sealed or wrapped under something it lacks."""

from __future__ import annotations

import base64
import uuid

import pytest
from django.contrib.sessions.backends.db import SessionStore

from tests.factories import (
    DEFAULT_PASSWORD,
    VaultBrowser,
    case_key,
    database_dump,
    vault_ready,
)
from vault import cases, crypto, session, staff
from vault.errors import VaultLocked
from vault.models import ApplicantKey
from vault.org import org_keys_from_recovery

pytestmark = pytest.mark.django_db

MARKER = b"Marker-7f3a-Tbilisi-safehouse"


def encodings(secret: bytes) -> list[bytes]:
    return [
        secret,
        secret.hex().encode(),
        base64.b64encode(secret).rstrip(b"="),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
    ]


def applicant_private_key(uid: str, code) -> bytes:
    """The key pair the receipt code's secret re-derives (Argon2id at the stored salt)."""
    row = ApplicantKey.objects.get(case_uid=uid)
    params = crypto.Argon2Params(row.argon2_memory_kib, row.argon2_iterations, row.argon2_lanes)
    seed = crypto.argon2_key(code.secret.encode(), salt=bytes(row.salt), params=params)
    pair = crypto.keypair_derive(seed, info=cases.APPLICANT_KEY_INFO)
    assert pair.public_bytes == bytes(row.public_key)  # it is the applicant's pair
    return pair.private_bytes


def test_a_dump_of_the_database_with_staff_signed_in_cannot_open_a_case(carla):
    recovery_secret = vault_ready(carla)
    uid = str(uuid.uuid4())
    cipher, code = case_key(uid)
    blob = cipher.encrypt("intake", MARKER)
    browser = VaultBrowser(carla)
    assert browser.sign_in() is True  # a live, unlocked session is in the sessions table

    cookie_key = base64.urlsafe_b64decode(browser.cookies["sp_vault_key"] + "=")
    secrets_that_open_the_case = {
        "case key": cipher._key,
        "organisation private key": org_keys_from_recovery(recovery_secret)[1],
        "carla's personal private key": staff.personal_key_open(
            user=carla, password=DEFAULT_PASSWORD
        ).private_bytes,
        "session cookie key": cookie_key,
        "the applicant's private key": applicant_private_key(uid, code),
    }
    dump = database_dump(sessions_decoded=True) + blob
    assert MARKER not in dump
    for name, secret in secrets_that_open_the_case.items():
        for encoded in encodings(secret):
            assert encoded not in dump, f"{name} is in the database"
    # The receipt code's locator finds the row and is not secret; its secret is in no form.
    assert str(code).encode() not in dump
    assert code.digits().encode() not in dump
    assert code.secret.encode() not in dump

    # What the attacker holds: the stored session, without the cookie. It opens nothing.
    with pytest.raises(VaultLocked):
        browser.run(
            lambda r: session.staff_keys(r).case_cipher(uid, opening=True).decrypt("intake", blob),
            with_cookies=False,
        )
    # The same session with the cookie (the browser's half) does open it: the test can fail.
    opened = browser.run(
        lambda r: session.staff_keys(r).case_cipher(uid, opening=True).decrypt("intake", blob)
    )
    assert opened == MARKER


def test_the_session_holds_the_organisation_key_only_encrypted_under_the_cookie_key(carla):
    vault_ready(carla)
    browser = VaultBrowser(carla)
    browser.sign_in()
    stored = SessionStore(session_key=browser.session.session_key).load()
    vault_data = stored[session.SESSION_KEY]
    assert set(vault_data) == {"user", "org"}  # the personal key was dropped after unlock
    sealed = base64.urlsafe_b64decode(vault_data["org"]["1"])
    assert len(sealed) == 1 + 12 + 96 + 16  # format byte, nonce, 96-byte key, GCM tag
