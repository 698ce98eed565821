"""The checkpoint signing key: Ed25519, kept in a file outside the database.

Whoever rewrites the database cannot forge checkpoints without this file; auditors keep the
public key's fingerprint elsewhere to know which key the checkpoints must verify against.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from audit.chain import checkpoint_message


class SigningKeyError(Exception):
    """The key file is missing, unreadable or not an Ed25519 key."""


def key_path() -> Path | None:
    configured = getattr(settings, "AUDIT_SIGNING_KEY_FILE", "")
    return Path(configured) if configured else None


def key_generate(path: Path) -> Ed25519PrivateKey:
    """Writes a new private key (PEM, mode 0600). Never overwrites an existing file."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # O_EXCL: refuse to overwrite, even if another process created the file a moment ago.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def private_key_load(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise SigningKeyError(f"Cannot read an Ed25519 private key from {path}.") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} does not hold an Ed25519 private key.")
    return key


def public_key_load(path: Path) -> Ed25519PublicKey:
    """A public key from a PEM file holding either the public or the private key."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise SigningKeyError(f"Cannot read {path}.") from exc
    try:
        key = serialization.load_pem_public_key(raw)
    except ValueError:
        return private_key_load(path).public_key()
    if not isinstance(key, Ed25519PublicKey):
        raise SigningKeyError(f"{path} does not hold an Ed25519 public key.")
    return key


def signing_key() -> Ed25519PrivateKey | None:
    """The configured key, or None when none is configured or the file does not exist yet."""
    path = key_path()
    if path is None or not path.exists():
        return None
    return private_key_load(path)


def public_key() -> Ed25519PublicKey | None:
    key = signing_key()
    return key.public_key() if key is not None else None


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, in groups of four hex digits, for reading aloud."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def sign(key: Ed25519PrivateKey, *, sequence: int, hash: str) -> str:
    return key.sign(checkpoint_message(sequence=sequence, hash=hash)).hex()


def signature_valid(key: Ed25519PublicKey, *, sequence: int, hash: str, signature: str) -> bool:
    try:
        key.verify(bytes.fromhex(signature), checkpoint_message(sequence=sequence, hash=hash))
    except (InvalidSignature, ValueError):
        return False
    return True
