"""The few primitives the vault uses, all from `cryptography`; nothing here is hand-rolled.

- Sealing to a key pair: HPKE base mode, ML-KEM-768 + X25519 hybrid KEM, HKDF-SHA256,
  AES-256-GCM (RFC 9180 + draft-ietf-hpke-pq). `info` always names the purpose and the
  object, so a sealed blob copied to another row does not open.
- Symmetric: AES-256-GCM with a fresh 96-bit random nonce per message and associated data.
- Keys from passwords and receipt codes: Argon2id. Keys from high-entropy secrets: HKDF.

Key pairs are kept as 96 bytes: the 64-byte ML-KEM seed followed by the 32-byte X25519
private key. Public keys are 1,216 bytes: ML-KEM-768 public key then the X25519 public key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, hpke
from cryptography.hazmat.primitives.asymmetric import mlkem, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.exceptions import ImproperlyConfigured

from vault.errors import DecryptionFailed

SUITE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)
MLKEM_SEED_LEN = 64
X25519_LEN = 32
PRIVATE_LEN = MLKEM_SEED_LEN + X25519_LEN
MLKEM768_PUBLIC_LEN = 1184
PUBLIC_LEN = MLKEM768_PUBLIC_LEN + X25519_LEN
KEY_LEN = 32
NONCE_LEN = 12
AEAD_FORMAT = b"\x01"


@dataclass(frozen=True, repr=False)
class KeyPair:
    private: hpke.MLKEM768X25519PrivateKey
    private_bytes: bytes
    public_bytes: bytes

    def __repr__(self) -> str:  # never print key material, even in a traceback
        return f"<KeyPair {fingerprint(self.public_bytes)}>"


def keypair_from_private_bytes(raw: bytes) -> KeyPair:
    if len(raw) != PRIVATE_LEN:
        raise ValueError("A private key is 96 bytes.")
    mlkem_key = mlkem.MLKEM768PrivateKey.from_seed_bytes(raw[:MLKEM_SEED_LEN])
    x_key = x25519.X25519PrivateKey.from_private_bytes(raw[MLKEM_SEED_LEN:])
    public = mlkem_key.public_key().public_bytes_raw() + x_key.public_key().public_bytes_raw()
    return KeyPair(hpke.MLKEM768X25519PrivateKey(mlkem_key, x_key), raw, public)


def keypair_generate() -> KeyPair:
    return keypair_from_private_bytes(os.urandom(PRIVATE_LEN))


def keypair_derive(secret: bytes, *, info: bytes) -> KeyPair:
    """A key pair that the same high-entropy secret always reproduces (recovery key)."""
    return keypair_from_private_bytes(hkdf(secret, info=info, length=PRIVATE_LEN))


def public_key_load(raw: bytes) -> hpke.MLKEM768X25519PublicKey:
    if len(raw) != PUBLIC_LEN:
        raise ValueError("A public key is 1,216 bytes.")
    return hpke.MLKEM768X25519PublicKey(
        mlkem.MLKEM768PublicKey.from_public_bytes(raw[:MLKEM768_PUBLIC_LEN]),
        x25519.X25519PublicKey.from_public_bytes(raw[MLKEM768_PUBLIC_LEN:]),
    )


def fingerprint(public_bytes: bytes) -> str:
    """Short, non-secret name of a public key, for the audit log and the operator."""
    return hashlib.sha256(public_bytes).hexdigest()[:16]


def seal(public: bytes | hpke.MLKEM768X25519PublicKey, plaintext: bytes, *, info: bytes) -> bytes:
    if isinstance(public, bytes | bytearray | memoryview):
        public = public_key_load(bytes(public))
    return SUITE.encrypt(plaintext, public, info=info)


def unseal(private: hpke.MLKEM768X25519PrivateKey, sealed: bytes, *, info: bytes) -> bytes:
    try:
        return SUITE.decrypt(bytes(sealed), private, info=info)
    except (InvalidTag, ValueError) as exc:
        raise DecryptionFailed("Sealed data does not open with this key.") from exc


def aead_encrypt(key: bytes, plaintext: bytes, *, ad: bytes) -> bytes:
    nonce = os.urandom(NONCE_LEN)
    return AEAD_FORMAT + nonce + AESGCM(key).encrypt(nonce, plaintext, ad)


def aead_decrypt(key: bytes, blob: bytes, *, ad: bytes) -> bytes:
    blob = bytes(blob)
    if len(blob) < 1 + NONCE_LEN + 16 or blob[:1] != AEAD_FORMAT:
        raise DecryptionFailed("Not a vault ciphertext.")
    try:
        return AESGCM(key).decrypt(blob[1 : 1 + NONCE_LEN], blob[1 + NONCE_LEN :], ad)
    except InvalidTag as exc:
        raise DecryptionFailed("Ciphertext does not authenticate.") from exc


def hkdf(secret: bytes, *, info: bytes, length: int = KEY_LEN) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(secret)


# The production floor of Argon2id (issue 13: every guess at a receipt code or a staff password
# costs at least this). vault.checks (vault.E002) reports the same floor at `manage.py check`,
# which web.service runs before gunicorn starts.
MIN_MEMORY_KIB = 64 * 1024
MIN_ITERATIONS = 3


class Argon2TooWeak(ImproperlyConfigured):
    """The configured Argon2id parameters are below the production floor."""


@dataclass(frozen=True)
class Argon2Params:
    memory_kib: int
    iterations: int
    lanes: int

    @classmethod
    def from_settings(cls) -> Argon2Params:
        """The parameters every new key is derived with. In production, parameters below the
        floor are refused here, where every derivation reads them: a web.env edited after the
        install cannot make new rows cheaper to attack, whatever starts the process."""
        from django.conf import settings

        params = cls(
            memory_kib=settings.VAULT_ARGON2_MEMORY_KIB,
            iterations=settings.VAULT_ARGON2_ITERATIONS,
            lanes=settings.VAULT_ARGON2_LANES,
        )
        production = getattr(settings, "ENVIRONMENT", "production") == "production"
        if production and (
            params.memory_kib < MIN_MEMORY_KIB or params.iterations < MIN_ITERATIONS
        ):
            raise Argon2TooWeak(
                f"Argon2id parameters below the production floor: VAULT_ARGON2_MEMORY_KIB="
                f"{params.memory_kib} (at least {MIN_MEMORY_KIB}) and VAULT_ARGON2_ITERATIONS="
                f"{params.iterations} (at least {MIN_ITERATIONS}). No key is derived with them; "
                "fix the environment file and restart."
            )
        return params


def argon2_key(secret: bytes, *, salt: bytes, params: Argon2Params) -> bytes:
    return Argon2id(
        salt=salt,
        length=KEY_LEN,
        iterations=params.iterations,
        lanes=params.lanes,
        memory_cost=params.memory_kib,
    ).derive(secret)


def random_key() -> bytes:
    return os.urandom(KEY_LEN)


def random_salt() -> bytes:
    return os.urandom(16)
