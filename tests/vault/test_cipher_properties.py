from __future__ import annotations

import os

from hypothesis import given, settings
from hypothesis import strategies as st

from vault.cases import CaseCipher
from vault.errors import DecryptionFailed

purposes = st.text(min_size=1, max_size=40).filter(lambda p: "|" not in p)
KEY = os.urandom(32)


@settings(database=None)
@given(purpose=purposes, plaintext=st.binary(max_size=2000))
def test_whatever_is_encrypted_decrypts_to_the_same_bytes(purpose, plaintext):
    cipher = CaseCipher("case-a", KEY)
    assert cipher.decrypt(purpose, cipher.encrypt(purpose, plaintext)) == plaintext
    assert cipher.open_file(purpose, *cipher.seal_file(purpose, plaintext)) == plaintext


@settings(database=None)
@given(first=purposes, second=purposes, plaintext=st.binary(max_size=200))
def test_a_ciphertext_opens_only_under_its_own_purpose(first, second, plaintext):
    cipher = CaseCipher("case-a", KEY)
    blob = cipher.encrypt(first, plaintext)
    if first != second:
        try:
            cipher.decrypt(second, blob)
        except DecryptionFailed:
            return
        raise AssertionError("opened under another purpose")
