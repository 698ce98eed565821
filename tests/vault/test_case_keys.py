from __future__ import annotations

import dataclasses
import pickle
import re
import uuid
from unittest import mock

import pytest
from django.db import IntegrityError, transaction

from tests.factories import case_key, unknown_locator
from vault import cases, crypto
from vault.cases import CaseCipher
from vault.errors import DecryptionFailed, VaultError, VaultNotInitialised, WrongCode
from vault.models import ApplicantKey, CaseKey
from vault.org import vault_init
from vault.receipts import ReceiptCode, receipt_new, receipt_parse

pytestmark = pytest.mark.django_db


@pytest.fixture
def vault():
    return vault_init()


def new_case():
    """(uid, receipt code, cipher) of a case whose keys were made as an intake makes them."""
    uid = str(uuid.uuid4())
    cipher, code = case_key(uid)
    return uid, code, cipher


def wrong_secret(code: ReceiptCode) -> ReceiptCode:
    """The same locator with another 16-digit secret."""
    other = "0" * 16 if code.secret != "0" * 16 else "1" * 16
    return ReceiptCode(locator=code.locator, secret=other)


def test_the_applicant_reads_back_what_was_encrypted_at_intake(vault):
    _, code, cipher = new_case()
    blob = cipher.encrypt("intake", b"my name is Marker-123")
    assert b"Marker-123" not in blob
    again = cases.case_cipher_for_applicant(code)
    assert again.decrypt("intake", blob) == b"my name is Marker-123"


def test_the_receipt_code_may_be_typed_with_spaces_instead_of_dashes(vault):
    _, code, cipher = new_case()
    blob = cipher.encrypt("intake", b"x")
    typed = " " + str(code).replace("-", " ") + " "
    assert receipt_parse(typed) == code
    assert cases.case_cipher_for_applicant(receipt_parse(typed)).decrypt("intake", blob) == b"x"


def test_it_rejects_a_wrong_secret_with_the_right_locator(vault):
    _, code, _ = new_case()
    with pytest.raises(WrongCode):
        cases.case_cipher_for_applicant(wrong_secret(code))


def test_a_missing_case_looks_exactly_like_a_wrong_code(vault):
    _, code, _ = new_case()
    nobodys = ReceiptCode(locator=unknown_locator(), secret=code.secret)
    assert not cases.locator_is_live(nobodys.locator)
    with pytest.raises(WrongCode):
        cases.case_cipher_for_applicant(nobodys)


def argon2_calls(code: ReceiptCode) -> tuple[list, CaseCipher | None]:
    """Tries `code`; returns the Argon2id calls it made and the cipher (None for WrongCode)."""
    with mock.patch("vault.crypto.argon2_key", wraps=crypto.argon2_key) as argon2:
        try:
            opened = cases.case_cipher_for_applicant(code)
        except WrongCode:
            opened = None
    return argon2.call_args_list, opened


def test_a_wrong_code_and_an_unknown_locator_cost_the_same_argon2id(vault):
    uid, code, _ = new_case()
    nobodys = ReceiptCode(locator=unknown_locator(), secret=code.secret)
    # The decoy row for unknown locators is made once per process (and Argon2 setting); make it
    # before counting, as any earlier failed look-up would have.
    with pytest.raises(WrongCode):
        cases.case_cipher_for_applicant(nobodys)
    for attempt, opens in ((wrong_secret(code), False), (nobodys, False), (code, True)):
        calls, opened = argon2_calls(attempt)
        assert (opened is not None) is opens
        assert len(calls) == 1, "one Argon2id per attempt"
        assert calls[0].kwargs["params"] == crypto.Argon2Params.from_settings()
        assert len(calls[0].kwargs["salt"]) == 16
    assert opened.case_uid == uid


def test_a_new_code_opens_the_case_and_the_old_one_no_longer_does(vault):
    uid, old, cipher = new_case()
    blob = cipher.encrypt("intake", b"Marker-REPLACED")
    new = cases.applicant_key_replace(cipher=cipher)
    assert isinstance(new, ReceiptCode) and new.secret != old.secret
    assert cases.case_cipher_for_applicant(new).decrypt("intake", blob) == b"Marker-REPLACED"
    with pytest.raises(WrongCode):
        cases.case_cipher_for_applicant(old)
    assert ApplicantKey.objects.filter(case_uid=uid).count() == 1
    # the staff copy of the key is untouched
    assert CaseKey.objects.filter(case_uid=uid).count() == 1


def test_a_shredded_case_gets_no_new_code(vault):
    uid, _, cipher = new_case()
    cases.case_keys_shred(case_uid=uid)
    with pytest.raises(VaultError):
        cases.applicant_key_replace(cipher=cipher)
    assert not ApplicantKey.objects.filter(case_uid=uid).exists()


def test_a_locator_a_live_case_holds_is_refused_and_can_be_drawn_again(vault):
    _, taken, _ = new_case()
    uid = str(uuid.uuid4())
    made = cases.case_key_new(case_uid=uid)
    clashing = dataclasses.replace(
        made, code=ReceiptCode(locator=taken.locator, secret=made.code.secret)
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        cases.case_key_store(clashing)
    assert not CaseKey.objects.filter(case_uid=uid).exists()  # the caller's transaction ended

    with transaction.atomic():
        cipher, code = cases.case_key_store(clashing.with_new_locator())
    assert code.locator != taken.locator and code.secret == made.code.secret
    assert cases.case_cipher_for_applicant(code).case_uid == uid
    assert cases.case_cipher_for_applicant(taken).case_uid != uid
    assert cipher.case_uid == uid


def test_the_case_factory_draws_a_taken_locator_again_as_the_intake_does(vault):
    _, taken, _ = new_case()
    first = ReceiptCode(locator=taken.locator, secret=receipt_new().secret)
    with mock.patch.object(cases, "receipt_new", return_value=first):
        uid, code, _ = new_case()
    assert code.locator != taken.locator and code.secret == first.secret
    assert cases.case_cipher_for_applicant(code).case_uid == uid


def test_the_stored_applicant_key_holds_neither_the_secret_nor_the_data_key(vault):
    uid, code, cipher = new_case()
    row = ApplicantKey.objects.get(case_uid=uid)
    assert row.locator == code.locator
    stored = b"".join(
        bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
        for value in (getattr(row, field.attname) for field in ApplicantKey._meta.concrete_fields)
    )
    assert code.secret.encode() not in stored
    assert code.digits().encode() not in stored and str(code).encode() not in stored
    assert cipher._key not in stored

    params = crypto.Argon2Params(row.argon2_memory_kib, row.argon2_iterations, row.argon2_lanes)
    assert params == crypto.Argon2Params.from_settings()

    def pair_of(secret: str) -> crypto.KeyPair:
        seed = crypto.argon2_key(secret.encode(), salt=bytes(row.salt), params=params)
        return crypto.keypair_derive(seed, info=cases.APPLICANT_KEY_INFO)

    pair = pair_of(code.secret)
    assert pair.private_bytes not in stored
    assert bytes(row.public_key) == pair.public_bytes
    # what is sealed to the stored public key opens with the pair the code re-derives...
    probe = crypto.seal(bytes(row.public_key), b"probe", info=b"test")
    assert crypto.unseal(pair.private, probe, info=b"test") == b"probe"
    dek = crypto.unseal(pair.private, bytes(row.sealed), info=cases.applicant_dek_info(uid))
    assert dek == cipher._key
    # ...and with no pair another secret derives
    other = pair_of(wrong_secret(code).secret)
    assert other.public_bytes != pair.public_bytes
    with pytest.raises(DecryptionFailed):
        crypto.unseal(other.private, bytes(row.sealed), info=cases.applicant_dek_info(uid))


def test_a_ciphertext_copied_to_another_case_does_not_open(vault):
    _, _, first = new_case()
    _, _, second = new_case()
    blob = first.encrypt("intake", b"secret")
    with pytest.raises(DecryptionFailed):
        second.decrypt("intake", blob)


def test_a_ciphertext_copied_to_another_purpose_does_not_open(vault):
    _, _, cipher = new_case()
    blob = cipher.encrypt("intake", b"secret")
    with pytest.raises(DecryptionFailed):
        cipher.decrypt("message:1", blob)


def test_a_tampered_ciphertext_does_not_open(vault):
    _, _, cipher = new_case()
    blob = bytearray(cipher.encrypt("intake", b"secret"))
    blob[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        cipher.decrypt("intake", bytes(blob))


def test_files_round_trip_and_stay_bound_to_their_case_and_purpose(vault):
    _, _, cipher = new_case()
    _, _, other = new_case()
    data = b"%PDF-1.7 passport scan " * 1000
    wrapped, body = cipher.seal_file("file:1", data)
    assert cipher.open_file("file:1", wrapped, body) == data
    with pytest.raises(DecryptionFailed):
        cipher.open_file("file:2", wrapped, body)
    with pytest.raises(DecryptionFailed):
        other.open_file("file:1", wrapped, body)


def test_the_same_plaintext_encrypts_differently_each_time(vault):
    _, _, cipher = new_case()
    assert cipher.encrypt("intake", b"same") != cipher.encrypt("intake", b"same")


def test_receipt_codes_are_six_groups_of_four_digits_and_do_not_repeat():
    codes = {str(receipt_new()) for _ in range(1000)}
    assert len(codes) == 1000
    for code in codes:
        assert re.fullmatch(r"\d{4}(-\d{4}){5}", code)


def test_a_new_secret_key_leaves_the_receipt_code_working(vault, settings):
    # Was: the HMAC look-up depended on SECRET_KEY. Now nothing that finds or opens a case does.
    _, code, cipher = new_case()
    blob = cipher.encrypt("intake", b"Marker-KEPT")
    settings.SECRET_KEY = "another secret key for this test only, long enough to be used"
    assert cases.locator_is_live(code.locator)
    assert cases.case_cipher_for_applicant(code).decrypt("intake", blob) == b"Marker-KEPT"


def test_shredding_deletes_every_copy_of_the_case_key(vault):
    uid, code, _ = new_case()
    assert cases.locator_is_live(code.locator)
    assert cases.case_keys_shred(case_uid=uid) == 2
    assert not CaseKey.objects.filter(case_uid=uid).exists()
    assert not ApplicantKey.objects.filter(case_uid=uid).exists()
    assert not ApplicantKey.objects.filter(locator=code.locator).exists()
    assert not cases.locator_is_live(code.locator)
    with pytest.raises(WrongCode):
        cases.case_cipher_for_applicant(code)


def test_intake_refuses_to_store_a_case_before_the_vault_exists():
    with pytest.raises(VaultNotInitialised):
        new_case()
    assert not ApplicantKey.objects.exists()


def test_the_cipher_does_not_reveal_its_key(vault):
    _, code, cipher = new_case()
    assert "CaseCipher" in repr(cipher)
    assert cipher._key.hex() not in repr(cipher)
    assert code.secret not in repr(code)
    with pytest.raises(TypeError):
        pickle.dumps(cipher)
