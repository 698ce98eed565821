"""Case keys: one random data key (DEK) per case, and the cipher that uses it.

The DEK is stored twice, never in clear, each time sealed with HPKE to a key pair:
- to the current organisation public key (`CaseKey`), opened by staff with an unlocked session;
- to the applicant's own key pair (`ApplicantKey`), which only the receipt code's secret
  re-derives: Argon2id over the 16 secret digits with the case's own salt seeds the pair, and
  only its public half is stored, so staff can seal a new DEK to the applicant (rotation, a
  replaced code) without the code. The row is found by the code's locator (vault.receipts), so
  a guess is tested against one case only, at the cost of one Argon2id; a locator that finds no
  row costs the same Argon2id, so the two failures take the same time.
Every ciphertext binds its case and its purpose as associated data, so a blob copied to another
case or field does not open.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from cryptography.hazmat.primitives import hashes, hmac
from django.db import IntegrityError, transaction

from vault import crypto
from vault.errors import DecryptionFailed, VaultError, VaultNotInitialised, WrongCode
from vault.models import ApplicantKey, CaseKey, OrgKey
from vault.receipts import ReceiptCode, locator_new, receipt_new

APPLICANT_KEY_INFO = b"safe-passage|applicant-key|v1"


def case_dek_info(case_uid: str) -> bytes:
    return b"safe-passage|case-dek|" + case_uid.encode()


def applicant_dek_info(case_uid: str) -> bytes:
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

    def seal_to(self, public_key: bytes, *, info: bytes) -> bytes:
        """The DEK sealed to a key pair (an organisation key, the applicant's key)."""
        return crypto.seal(public_key, self._key, info=info)

    def commitment(self) -> str:
        """A keyed hash of the DEK (not the DEK): recorded in the audit log when the key is made
        or changed, so a key that a database writer swapped in is caught before it is used."""
        mac = hmac.HMAC(self._key, hashes.SHA256())
        mac.update(b"safe-passage|key-commitment|" + self.case_uid.encode())
        return mac.finalize().hex()

    def wrap_under(self, key: bytes, *, ad: bytes) -> bytes:
        """The DEK encrypted under a symmetric key (vault.capabilities)."""
        return crypto.aead_encrypt(key, self._key, ad=ad)

    @classmethod
    def unwrap(cls, case_uid: str, key: bytes, blob: bytes, *, ad: bytes) -> CaseCipher:
        """Raises DecryptionFailed unless `blob` came from `wrap_under` with this key and ad."""
        return cls(case_uid, crypto.aead_decrypt(key, blob, ad=ad))

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


def _applicant_keypair(secret: str, *, salt: bytes, params: crypto.Argon2Params) -> crypto.KeyPair:
    """The one slow step of every guess: Argon2id at the row's own salt and parameters."""
    seed = crypto.argon2_key(secret.encode(), salt=bytes(salt), params=params)
    return crypto.keypair_derive(seed, info=APPLICANT_KEY_INFO)


def _applicant_key_fields(cipher: CaseCipher, *, secret: str) -> dict:
    params = crypto.Argon2Params.from_settings()
    salt = crypto.random_salt()
    keypair = _applicant_keypair(secret, salt=salt, params=params)
    return {
        "salt": salt,
        "argon2_memory_kib": params.memory_kib,
        "argon2_iterations": params.iterations,
        "argon2_lanes": params.lanes,
        "public_key": keypair.public_bytes,
        "sealed": cipher.seal_to(keypair.public_bytes, info=applicant_dek_info(cipher.case_uid)),
    }


def _with_free_locator(code: ReceiptCode, save) -> ReceiptCode:
    """Saves with `save(locator)`, drawing the locator again while a live case holds it."""
    for _ in range(20):
        if not ApplicantKey.objects.filter(locator=code.locator).exists():
            try:
                with transaction.atomic():
                    save(code.locator)
                return code
            except IntegrityError:
                if not ApplicantKey.objects.filter(locator=code.locator).exists():
                    raise  # not the locator (a case key stored twice): a bug, say so
        code = ReceiptCode(locator=locator_new(), secret=code.secret)
    raise VaultError("No free receipt locator was found.")


@dataclass(frozen=True, repr=False)
class NewCaseKey:
    """A case's key and receipt code, made (the slow part: one Argon2id) but not yet stored."""

    cipher: CaseCipher
    code: ReceiptCode
    applicant: dict


def case_key_new(*, case_uid: str) -> NewCaseKey:
    """Makes the case's DEK and its receipt code, and seals the DEK to the code's key pair. No
    database work, so callers run it before their transaction opens."""
    case_uid = str(case_uid)
    _check_label("case_uid", case_uid)
    cipher = CaseCipher(case_uid, crypto.random_key())
    code = receipt_new()
    return NewCaseKey(cipher, code, _applicant_key_fields(cipher, secret=code.secret))


def case_key_store(new: NewCaseKey) -> tuple[CaseCipher, ReceiptCode]:
    """Stores the DEK sealed for staff and for the code's holder, in the caller's transaction.
    The code is returned once and stored nowhere (its locator may have been drawn again)."""
    case_uid = new.cipher.case_uid

    def save(locator: str) -> None:
        org_key = current_org_key(lock=True)
        CaseKey.objects.create(
            case_uid=case_uid,
            org_key=org_key,
            sealed=new.cipher.seal_to(bytes(org_key.public_key), info=case_dek_info(case_uid)),
        )
        ApplicantKey.objects.create(case_uid=case_uid, locator=locator, **new.applicant)

    return new.cipher, _with_free_locator(new.code, save)


def applicant_key_replace(*, cipher: CaseCipher) -> ReceiptCode:
    """A new receipt code for the case `cipher` opens: a new key pair sealed to the same DEK,
    so the old code stops opening anything at once. Returns the new code (shown once)."""
    case_uid = cipher.case_uid
    code = receipt_new()
    fields = _applicant_key_fields(cipher, secret=code.secret)

    def save(locator: str) -> None:
        if not ApplicantKey.objects.filter(case_uid=case_uid).update(locator=locator, **fields):
            raise VaultError("This case has no applicant key (it was shredded).")

    return _with_free_locator(code, save)


def case_cipher_from_org_key(private, *, case_key: CaseKey) -> CaseCipher:
    """Opens `case_key` (sealed to an organisation key) with that key's private half.
    Staff reach this through `vault.session.StaffKeys.case_cipher`."""
    try:
        dek = crypto.unseal(private, bytes(case_key.sealed), info=case_dek_info(case_key.case_uid))
    except DecryptionFailed as exc:
        raise VaultError("The case key does not open.") from exc
    return CaseCipher(case_key.case_uid, dek)


def locator_is_live(locator: str) -> bool:
    """Whether a live case has this locator (the locator is not secret; its secret is)."""
    return ApplicantKey.objects.filter(locator=locator).exists()


@lru_cache(maxsize=4)
def _decoy(params: crypto.Argon2Params) -> ApplicantKey:
    """What a locator that finds no case is tested against: a row like any other (random salt,
    a DEK sealed to a key pair nobody can derive), so the failure costs the same Argon2id."""
    fields = _applicant_key_fields(CaseCipher("decoy", crypto.random_key()), secret="0" * 16)
    return ApplicantKey(case_uid="decoy", locator="", **{**fields, "salt": crypto.random_salt()})


def case_cipher_for_applicant(code: ReceiptCode) -> CaseCipher:
    """Opens the case the code's locator finds with the code's secret. Raises WrongCode, after
    the same work, for a locator that finds nothing and for a wrong secret alike."""
    applicant_key = ApplicantKey.objects.filter(locator=code.locator).first()
    if applicant_key is None:
        applicant_key = _decoy(crypto.Argon2Params.from_settings())
    params = crypto.Argon2Params(
        applicant_key.argon2_memory_kib, applicant_key.argon2_iterations, applicant_key.argon2_lanes
    )
    keypair = _applicant_keypair(code.secret, salt=applicant_key.salt, params=params)
    case_uid = applicant_key.case_uid
    try:
        dek = crypto.unseal(
            keypair.private, bytes(applicant_key.sealed), info=applicant_dek_info(case_uid)
        )
    except DecryptionFailed as exc:
        raise WrongCode("Wrong receipt code.") from exc
    if applicant_key.pk is None:  # the decoy cannot open, but never hand out its cipher
        raise WrongCode("Wrong receipt code.")
    cipher = CaseCipher(case_uid, dek)
    if params != crypto.Argon2Params.from_settings():
        # Derived under older parameters: while the secret is at hand, bring the row up to the
        # current ones, so old rows neither stay cheaper to attack nor answer at another speed.
        ApplicantKey.objects.filter(pk=applicant_key.pk).update(
            **_applicant_key_fields(cipher, secret=code.secret)
        )
    return cipher


def case_keys_shred(*, case_uid: str) -> int:
    """Deletes every stored copy of the case's DEK, so its ciphertexts become noise.
    Returns how many rows went."""
    case_uid = str(case_uid)
    with transaction.atomic():
        deleted, _ = CaseKey.objects.filter(case_uid=case_uid).delete()
        deleted_applicant, _ = ApplicantKey.objects.filter(case_uid=case_uid).delete()
    return deleted + deleted_applicant
