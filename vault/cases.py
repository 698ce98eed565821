"""Case keys: one random data key (DEK) per case, and the cipher that uses it.

The DEK is stored twice, never in clear: sealed to the current organisation public key
(`CaseKey`, opened by staff with an unlocked session) and wrapped under Argon2id of the
receipt code (`ApplicantKey`, opened by the applicant). Every ciphertext binds its case and
its purpose as associated data, so a blob copied to another case or field does not open.

The receipt lookup is an HMAC keyed from settings.SECRET_KEY: rotating SECRET_KEY makes
every stored lookup stale, and applicants could no longer find their cases.
"""

from __future__ import annotations

import secrets
import unicodedata
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, hmac
from django.conf import settings
from django.db import transaction

from vault import crypto
from vault.errors import DecryptionFailed, VaultError, VaultNotInitialised, WrongCode
from vault.models import ApplicantKey, CaseKey, OrgKey

RECEIPT_GROUPS = 5
RECEIPT_GROUP_DIGITS = 4  # 20 decimal digits: about 66 bits


def case_dek_info(case_uid: str) -> bytes:
    return b"safe-passage|case-dek|" + case_uid.encode()


def _applicant_ad(case_uid: str) -> bytes:
    return b"safe-passage|applicant-dek|" + case_uid.encode()


def _check_label(name: str, value: str) -> bytes:
    # "|" separates the parts of the associated data; forbidding it keeps the encoding unambiguous.
    if not value or "|" in value:
        raise ValueError(f"{name} must be non-empty and may not contain '|'.")
    return value.encode()


class CaseCipher:
    """Encrypts and decrypts one case's data. Holds the DEK; never print or pickle it."""

    __slots__ = ("_key", "case_uid")

    def __init__(self, case_uid: str, key: bytes) -> None:
        _check_label("case_uid", case_uid)
        self.case_uid = case_uid
        self._key = key

    def __repr__(self) -> str:
        return f"<CaseCipher {self.case_uid}>"

    def __reduce__(self):
        raise TypeError("A CaseCipher is not to be pickled or cached.")

    def _ad(self, purpose: str, suffix: bytes = b"") -> bytes:
        return (
            b"safe-passage|" + self.case_uid.encode() + b"|" + _check_label("purpose", purpose)
        ) + suffix

    def encrypt(self, purpose: str, plaintext: bytes) -> bytes:
        return crypto.aead_encrypt(self._key, plaintext, ad=self._ad(purpose))

    def decrypt(self, purpose: str, ciphertext: bytes) -> bytes:
        """Raises vault.errors.DecryptionFailed for another case's or purpose's ciphertext."""
        return crypto.aead_decrypt(self._key, ciphertext, ad=self._ad(purpose))

    def encrypt_text(self, purpose: str, text: str) -> bytes:
        return self.encrypt(purpose, text.encode("utf-8"))

    def decrypt_text(self, purpose: str, ciphertext: bytes) -> str:
        return self.decrypt(purpose, ciphertext).decode("utf-8")

    def seal_file(self, purpose: str, data: bytes) -> bytes:
        """A fresh key per file, wrapped by the DEK. Put a file id in `purpose` (for example
        "file:<uuid>") if two files of one case must not be swappable."""
        file_key = crypto.random_key()
        wrapped = crypto.aead_encrypt(self._key, file_key, ad=self._ad(purpose, b"|file-key"))
        body = crypto.aead_encrypt(file_key, data, ad=self._ad(purpose, b"|file"))
        return len(wrapped).to_bytes(2, "big") + wrapped + body

    def open_file(self, purpose: str, blob: bytes) -> bytes:
        blob = bytes(blob)
        size = int.from_bytes(blob[:2], "big")
        if len(blob) < 2 + size:
            raise DecryptionFailed("Not a vault file.")
        wrapped, body = blob[2 : 2 + size], blob[2 + size :]
        file_key = crypto.aead_decrypt(self._key, wrapped, ad=self._ad(purpose, b"|file-key"))
        return crypto.aead_decrypt(file_key, body, ad=self._ad(purpose, b"|file"))


def receipt_code_new() -> str:
    """Five groups of four digits, e.g. "1234-5678-9012-3456-7890" (about 66 bits)."""
    return "-".join(
        f"{secrets.randbelow(10**RECEIPT_GROUP_DIGITS):0{RECEIPT_GROUP_DIGITS}d}"
        for _ in range(RECEIPT_GROUPS)
    )


def receipt_normalise(code: str) -> str:
    """Digits only: spaces, dashes and dots dropped; full-width or other script digits read."""
    return "".join(str(unicodedata.digit(ch)) for ch in code if ch.isdigit())


@lru_cache(maxsize=4)
def _lookup_key(secret_key: str) -> bytes:
    return crypto.hkdf(secret_key.encode(), info=b"safe-passage|receipt-lookup|v1")


def receipt_lookup(code: str) -> str:
    """Keyed hash (HMAC-SHA256, hex) that finds a case by its receipt code and reveals nothing."""
    mac = hmac.HMAC(_lookup_key(settings.SECRET_KEY), hashes.SHA256())
    mac.update(receipt_normalise(code).encode())
    return mac.finalize().hex()


def current_org_key(*, lock: bool = False) -> OrgKey:
    """The newest live organisation key: new case keys are sealed to it. With lock=True (inside
    a transaction) a rotation cannot finish until the caller commits, so no case key is ever
    sealed to a version that is being destroyed."""
    org_keys = OrgKey.objects.filter(destroyed_at__isnull=True).order_by("-version")
    if lock:
        org_keys = org_keys.select_for_update(no_key=True)
    org_key = org_keys.first()
    if org_key is None:
        raise VaultNotInitialised("The vault has no organisation key: run manage.py init_vault.")
    return org_key


def _applicant_kek(code: str, *, salt: bytes, params: crypto.Argon2Params) -> bytes:
    return crypto.argon2_key(receipt_normalise(code).encode(), salt=bytes(salt), params=params)


def case_key_create(*, case_uid: str, receipt_code: str) -> CaseCipher:
    """Makes the case's DEK, seals it for staff and wraps it for the receipt-code holder."""
    case_uid = str(case_uid)
    _check_label("case_uid", case_uid)
    if not receipt_normalise(receipt_code):
        raise ValueError("A receipt code has digits.")
    dek = crypto.random_key()
    params = crypto.Argon2Params.from_settings()
    salt = crypto.random_salt()
    kek = _applicant_kek(receipt_code, salt=salt, params=params)
    with transaction.atomic():
        org_key = current_org_key(lock=True)
        CaseKey.objects.create(
            case_uid=case_uid,
            org_key=org_key,
            sealed=crypto.seal(bytes(org_key.public_key), dek, info=case_dek_info(case_uid)),
        )
        ApplicantKey.objects.create(
            case_uid=case_uid,
            wrapped=crypto.aead_encrypt(kek, dek, ad=_applicant_ad(case_uid)),
            salt=salt,
            argon2_memory_kib=params.memory_kib,
            argon2_iterations=params.iterations,
            argon2_lanes=params.lanes,
        )
    return CaseCipher(case_uid, dek)


def case_cipher_from_org_key(private, *, case_key: CaseKey) -> CaseCipher:
    """Opens `case_key` (sealed to an organisation key) with that key's private half.
    Staff reach this through `vault.session.StaffKeys.case_cipher`."""
    try:
        dek = crypto.unseal(private, bytes(case_key.sealed), info=case_dek_info(case_key.case_uid))
    except DecryptionFailed as exc:
        raise VaultError("The case key does not open.") from exc
    return CaseCipher(case_key.case_uid, dek)


def case_cipher_for_applicant(*, case_uid: str, receipt_code: str) -> CaseCipher:
    """Raises WrongCode for a wrong code and for a missing case alike."""
    case_uid = str(case_uid)
    applicant_key = ApplicantKey.objects.filter(case_uid=case_uid).first()
    if applicant_key is None:
        raise WrongCode("Wrong receipt code.")
    params = crypto.Argon2Params(
        applicant_key.argon2_memory_kib, applicant_key.argon2_iterations, applicant_key.argon2_lanes
    )
    kek = _applicant_kek(receipt_code, salt=applicant_key.salt, params=params)
    try:
        dek = crypto.aead_decrypt(kek, applicant_key.wrapped, ad=_applicant_ad(case_uid))
    except DecryptionFailed as exc:
        raise WrongCode("Wrong receipt code.") from exc
    return CaseCipher(case_uid, dek)


def case_keys_shred(*, case_uid: str) -> int:
    """Deletes every stored copy of the case's DEK, so its ciphertexts become noise.
    Returns how many rows went."""
    case_uid = str(case_uid)
    with transaction.atomic():
        deleted, _ = CaseKey.objects.filter(case_uid=case_uid).delete()
        deleted_applicant, _ = ApplicantKey.objects.filter(case_uid=case_uid).delete()
    return deleted + deleted_applicant
