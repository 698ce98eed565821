from __future__ import annotations

import uuid

import pytest

from vault import cases
from vault.errors import DecryptionFailed, VaultNotInitialised, WrongCode
from vault.models import ApplicantKey, CaseKey
from vault.org import vault_init

pytestmark = pytest.mark.django_db


@pytest.fixture
def vault():
    return vault_init()


def new_case(code: str | None = None):
    code = code or cases.receipt_code_new()
    uid = str(uuid.uuid4())
    return uid, code, cases.case_key_create(case_uid=uid, receipt_code=code)


def test_the_applicant_reads_back_what_was_encrypted_at_intake(vault):
    uid, code, cipher = new_case()
    blob = cipher.encrypt("intake", b"my name is Marker-123")
    assert b"Marker-123" not in blob
    again = cases.case_cipher_for_applicant(case_uid=uid, receipt_code=code)
    assert again.decrypt("intake", blob) == b"my name is Marker-123"


def test_the_receipt_code_may_be_typed_with_spaces_instead_of_dashes(vault):
    uid, code, cipher = new_case()
    blob = cipher.encrypt("intake", b"x")
    typed = " " + code.replace("-", " ") + " "
    assert cases.receipt_lookup(typed) == cases.receipt_lookup(code)
    assert (
        cases.case_cipher_for_applicant(case_uid=uid, receipt_code=typed).decrypt("intake", blob)
        == b"x"
    )


def test_it_rejects_a_wrong_receipt_code(vault):
    uid, code, _ = new_case()
    wrong = ("0000" if not code.startswith("0000") else "1111") + code[4:]
    with pytest.raises(WrongCode):
        cases.case_cipher_for_applicant(case_uid=uid, receipt_code=wrong)


def test_a_missing_case_looks_exactly_like_a_wrong_code(vault):
    with pytest.raises(WrongCode):
        cases.case_cipher_for_applicant(case_uid=str(uuid.uuid4()), receipt_code="1234")


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
    blob = cipher.seal_file("file:1", data)
    assert cipher.open_file("file:1", blob) == data
    with pytest.raises(DecryptionFailed):
        cipher.open_file("file:2", blob)
    with pytest.raises(DecryptionFailed):
        other.open_file("file:1", blob)


def test_the_same_plaintext_encrypts_differently_each_time(vault):
    _, _, cipher = new_case()
    assert cipher.encrypt("intake", b"same") != cipher.encrypt("intake", b"same")


def test_receipt_codes_are_five_groups_of_four_digits_and_do_not_repeat():
    codes = {cases.receipt_code_new() for _ in range(1000)}
    assert len(codes) == 1000
    for code in codes:
        groups = code.split("-")
        assert [len(g) for g in groups] == [4, 4, 4, 4, 4]
        assert all(g.isdigit() for g in groups)


def test_the_receipt_lookup_depends_on_the_secret_key(settings):
    before = cases.receipt_lookup("1234-5678-9012-3456-7890")
    assert len(before) == 64
    assert "1234" not in before
    settings.SECRET_KEY = "another secret key for this test only, long enough"
    assert cases.receipt_lookup("1234-5678-9012-3456-7890") != before


def test_shredding_deletes_every_copy_of_the_case_key(vault):
    uid, code, _ = new_case()
    assert cases.case_keys_shred(case_uid=uid) == 2
    assert not CaseKey.objects.filter(case_uid=uid).exists()
    assert not ApplicantKey.objects.filter(case_uid=uid).exists()
    with pytest.raises(WrongCode):
        cases.case_cipher_for_applicant(case_uid=uid, receipt_code=code)


def test_intake_refuses_to_store_a_case_before_the_vault_exists():
    with pytest.raises(VaultNotInitialised):
        new_case()


def test_the_cipher_does_not_reveal_its_key(vault):
    _, _, cipher = new_case()
    assert "CaseCipher" in repr(cipher)
    assert cipher._key.hex() not in repr(cipher)
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(cipher)
