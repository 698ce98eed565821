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
case or field does not open. A rotation replaces the DEK (`CaseRekey`, used by vault.org): the
case's ciphertexts are re-encrypted and its files' keys re-wrapped, never its file bodies.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
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

    def seal_file(self, purpose: str, data: bytes) -> tuple[bytes, bytes]:
        """A fresh key per file: returns (the file key wrapped by the DEK, the body sealed under
        the file key), stored apart (`Attachment.wrapped_key`, `Attachment.blob`) so that a new
        DEK re-wraps the small key and never rewrites the body. Put a file id in `purpose` (for
        example "file:<uuid>") if two files of one case must not be swappable."""
        file_key = crypto.random_key()
        wrapped = crypto.aead_encrypt(self._key, file_key, ad=self._ad(purpose, b"|file-key"))
        body = crypto.aead_encrypt(file_key, data, ad=self._ad(purpose, b"|file"))
        return wrapped, body

    def open_file(self, purpose: str, wrapped_key: bytes, body: bytes) -> bytes:
        file_key = crypto.aead_decrypt(
            self._key, bytes(wrapped_key), ad=self._ad(purpose, b"|file-key")
        )
        return crypto.aead_decrypt(file_key, bytes(body), ad=self._ad(purpose, b"|file"))


def file_blob_split(blob: bytes) -> tuple[bytes, bytes]:
    """(wrapped key, body) of a file stored in the old format, where the wrapped key (with a
    two-byte length) preceded the body in one blob. Only slices bytes: no key is needed."""
    blob = bytes(blob)
    size = int.from_bytes(blob[:2], "big")
    if len(blob) < 2 + size:
        raise DecryptionFailed("Not a vault file.")
    return blob[2 : 2 + size], blob[2 + size :]


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
    """Saves with `save(locator)`, drawing the locator again while a live case holds it (the
    unique index says so; a clash is rare, so it is not looked for first)."""
    for _ in range(20):
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

    def with_new_locator(self) -> NewCaseKey:
        """The same key and secret under a locator drawn again (the stored one was taken)."""
        return NewCaseKey(self.cipher, ReceiptCode(locator_new(), self.code.secret), self.applicant)


def case_key_new(*, case_uid: str) -> NewCaseKey:
    """Makes the case's DEK and its receipt code, and seals the DEK to the code's key pair. No
    database work, so callers run it before their transaction opens."""
    case_uid = str(case_uid)
    _check_label("case_uid", case_uid)
    cipher = CaseCipher(case_uid, crypto.random_key())
    code = receipt_new()
    return NewCaseKey(cipher, code, _applicant_key_fields(cipher, secret=code.secret))


def case_key_store(new: NewCaseKey) -> tuple[CaseCipher, ReceiptCode]:
    """Stores the DEK sealed for staff and for the code's holder, in the caller's transaction
    (which must be open: the organisation key stays locked until it ends). The code is returned
    once and stored nowhere. A locator a live case holds raises IntegrityError, which ends the
    transaction; the caller runs it again with `new.with_new_locator()` (a clash is rare, so it
    is not looked for first, and no savepoint is paid for on every intake)."""
    case_uid = new.cipher.case_uid
    org_key = current_org_key(lock=True)
    CaseKey.objects.create(
        case_uid=case_uid,
        org_key=org_key,
        sealed=new.cipher.seal_to(bytes(org_key.public_key), info=case_dek_info(case_uid)),
        commitment=new.cipher.commitment(),
    )
    ApplicantKey.objects.create(case_uid=case_uid, locator=new.code.locator, **new.applicant)
    return new.cipher, new.code


def applicant_key_replace(*, cipher: CaseCipher) -> ReceiptCode:
    """A new receipt code for the case `cipher` opens: a new key pair sealed to the same DEK,
    so the old code stops opening anything at once. Returns the new code (shown once)."""
    case_uid = cipher.case_uid
    code = receipt_new()
    fields = _applicant_key_fields(cipher, secret=code.secret)

    def save(locator: str) -> None:
        # Locked first, as a re-keying locks it: then a DEK it replaced cannot be sealed here.
        list(ApplicantKey.objects.select_for_update().filter(case_uid=case_uid).values("pk"))
        if not cipher_is_current(cipher):
            raise VaultError("This case was given a new key meanwhile: open it again.")
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
        # Only if the row is still the one opened: a re-keying may have sealed a new DEK to it.
        ApplicantKey.objects.filter(pk=applicant_key.pk, sealed=applicant_key.sealed).update(
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


def cipher_is_current(cipher: CaseCipher) -> bool:
    """Whether `cipher` holds the case's key as stored now: False for a key a re-keying
    replaced (a status page's capability or a request that began before it), so nothing is
    written under a key nobody holds any more. Rows made before commitments were stored say
    nothing, and a key that was never replaced is current."""
    stored = (
        CaseKey.objects.filter(case_uid=cipher.case_uid)
        .values_list("commitment", flat=True)
        .first()
    )
    return not stored or stored == cipher.commitment()


# Re-keying (a rotation gives every case a new DEK) ------------------------------------------


class CaseRekey:
    """One case's old and new DEK while a rotation re-keys it. The app that owns the case's
    ciphertexts passes each one in and gets the new ciphertext back (same purpose, so what the
    purpose binds still holds); the keys themselves never leave this object."""

    __slots__ = ("_new", "_old", "bound", "case_uid")

    def __init__(self, old: CaseCipher, new: CaseCipher) -> None:
        if old.case_uid != new.case_uid:
            raise ValueError("Both keys must be the same case's.")
        self.case_uid = old.case_uid
        self._old = old
        self._new = new
        self.bound = ""

    def bind(self, value: str) -> None:
        """A short, non-secret value recorded with the new commitment (the hash of the case's
        re-encrypted request, which its `case.received` event can no longer vouch for)."""
        _check_label("bound value", value)
        self.bound = value

    def __repr__(self) -> str:
        return f"<CaseRekey {self.case_uid}>"

    def __reduce__(self):
        raise TypeError("A CaseRekey is not to be pickled or cached.")

    def reseal_text(self, purpose: str, ciphertext: bytes) -> bytes:
        """`ciphertext` (from `encrypt`/`encrypt_text` under the old key) under the new key.
        Raises DecryptionFailed if it does not open: the rotation stops rather than lose it."""
        return self._new.encrypt(purpose, self._old.decrypt(purpose, bytes(ciphertext)))

    def rewrap_file_key(self, purpose: str, wrapped_key: bytes) -> bytes:
        """A file's wrapped key (`seal_file`'s first part) re-wrapped by the new key; the body,
        sealed under the file key, is untouched."""
        ad = b"|file-key"
        file_key = crypto.aead_decrypt(
            self._old._key, bytes(wrapped_key), ad=self._old._ad(purpose, ad)
        )
        return crypto.aead_encrypt(self._new._key, file_key, ad=self._new._ad(purpose, ad))

    def commitment(self) -> str:
        """The new key's commitment (recorded, via the batch's Merkle root, in the audit log)."""
        return self._new.commitment()

    def _seal_new(self, public_key, *, info: bytes) -> bytes:
        return self._new.seal_to(public_key, info=info)


@dataclass(frozen=True)
class RekeyBatch:
    """What one re-keying batch's audit event records: no key, no case, only the Merkle root of
    the batch's (case, commitment) pairs, each case's path to which is kept on its `CaseKey`."""

    ref: str
    version: int
    cases: int
    root: str


@dataclass(frozen=True)
class CaseRekeyHooks:
    """Registered by the app that owns the cases' ciphertexts (vault imports no other app):
    - lock(case_uids): locks those cases against writers (and purges) in the caller's
      transaction, before the vault locks their keys; returns the uids still to re-key (not
      purged);
    - rewrite(rekeys): re-encrypts every ciphertext of those cases, in the same transaction;
    - record(batch): writes the batch's one audit event, in the same transaction."""

    lock: Callable[[list[str]], set[str]]
    rewrite: Callable[[list[CaseRekey]], None]
    record: Callable[[RekeyBatch], None]


_REKEY_HOOKS: list[CaseRekeyHooks] = []


def rekey_hooks_register(hooks: CaseRekeyHooks) -> None:
    """Called once from the owning app's AppConfig.ready()."""
    if hooks not in _REKEY_HOOKS:
        _REKEY_HOOKS.clear()
        _REKEY_HOOKS.append(hooks)


def rekey_hooks() -> CaseRekeyHooks | None:
    return _REKEY_HOOKS[0] if _REKEY_HOOKS else None


def _leaf(case_uid: str, commitment: str, bound: str) -> bytes:
    return hashlib.sha256(
        b"\x00safe-passage|rekey|"
        + b"|".join((_check_label("case_uid", case_uid), commitment.encode(), bound.encode()))
    ).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def commitment_tree(pairs: list[tuple[str, str, str]]) -> tuple[str, list[bytes]]:
    """The Merkle root (hex) of (case uid, commitment, bound value) triples, and each one's path
    to it (the sibling hashes, 32 bytes each, leaf level first). An odd node pairs itself."""
    if not pairs:
        raise ValueError("An empty batch has no root.")
    level = [_leaf(*pair) for pair in pairs]
    positions = list(range(len(level)))
    paths: list[list[bytes]] = [[] for _ in pairs]
    while len(level) > 1:
        if len(level) % 2:
            level.append(level[-1])
        for leaf, position in enumerate(positions):
            paths[leaf].append(level[position ^ 1])
            positions[leaf] = position // 2
        level = [_node(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0].hex(), [b"".join(path) for path in paths]


def commitment_root(case_uid: str, commitment: str, bound: str, index: int, proof: bytes) -> str:
    """The root that `proof` leads to from this leaf (compare it with the recorded one)."""
    node = _leaf(case_uid, commitment, bound)
    proof = bytes(proof)
    for offset in range(0, len(proof), 32):
        sibling = proof[offset : offset + 32]
        node = _node(sibling, node) if index & 1 else _node(node, sibling)
        index //= 2
    return node.hex()


@dataclass(frozen=True)
class RecordedKey:
    """Where a re-keyed case's current commitment is on the record: the batch's audit event
    (`batch`) must hold `root(bound)` for the value the re-keying bound, as it is now."""

    case_uid: str
    commitment: str
    batch: str
    index: int
    proof: bytes

    def root(self, bound: str) -> str:
        return commitment_root(self.case_uid, self.commitment, bound, self.index, self.proof)


def case_key_record(case_uid: str) -> RecordedKey | None:
    """The case key's re-keying record, or None if it was never re-keyed (or has no key)."""
    row = (
        CaseKey.objects.filter(case_uid=str(case_uid))
        .values_list("commitment", "rekey_batch", "rekey_index", "rekey_proof")
        .first()
    )
    if row is None or not row[1]:
        return None
    commitment, batch, index, proof = row
    return RecordedKey(str(case_uid), commitment, batch, index, bytes(proof))
