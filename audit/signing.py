"""The checkpoint key: Ed25519, in files outside the database.

The private key is read by the audit signer alone (audit.signer; in production its own
operating-system user owns the file), never by the web app: whoever controls the web app must
not be able to sign a chain of their own making. The web app, `verify_audit` and the auditors
need only the public key (AUDIT_PUBLIC_KEY_FILE). Auditors keep its fingerprint, and the signed
heads (`statement()`), away from this server.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings

from audit.chain import checkpoint_message, timestamp

STATEMENT_FORMAT = "safe-passage-audit-head/v1"


class SigningKeyError(Exception):
    """The key file is missing, unreadable or not an Ed25519 key."""


def key_path() -> Path | None:
    configured = getattr(settings, "AUDIT_SIGNING_KEY_FILE", "")
    return Path(configured) if configured else None


def public_key_path() -> Path | None:
    configured = getattr(settings, "AUDIT_PUBLIC_KEY_FILE", "")
    return Path(configured) if configured else None


def _write_new(path: Path, data: bytes, mode: int) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # O_EXCL: refuse to overwrite, even if another process created the file a moment ago.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)


def key_generate(path: Path, public_path: Path | None = None) -> Ed25519PrivateKey:
    """Writes a new private key (PEM, mode 0600) and, if given, its public key (mode 0644).
    Never overwrites an existing file."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_new(Path(path), pem, 0o600)
    if public_path is not None:
        _write_new(Path(public_path), public_pem(key.public_key()).encode("ascii"), 0o644)
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


def signing_key() -> Ed25519PrivateKey:
    """The signer's key. Raises SigningKeyError when it is not configured or not readable."""
    path = key_path()
    if path is None:
        raise SigningKeyError("AUDIT_SIGNING_KEY_FILE is not set.")
    return private_key_load(path)


def public_key() -> Ed25519PublicKey:
    """The configured public key. Raises SigningKeyError when it is missing or not a key."""
    path = public_key_path()
    if path is None:
        raise SigningKeyError("AUDIT_PUBLIC_KEY_FILE is not set.")
    return public_key_load(path)


def public_pem(key: Ed25519PublicKey) -> str:
    return key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode("ascii")


def fingerprint(key: Ed25519PublicKey) -> str:
    """SHA-256 of the raw public key, in groups of four hex digits, for reading aloud."""
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    digest = hashlib.sha256(raw).hexdigest()
    return " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def sign(key: Ed25519PrivateKey, *, sequence: int, hash: str, signed_at: str) -> str:
    return key.sign(checkpoint_message(sequence=sequence, hash=hash, signed_at=signed_at)).hex()


def signature_valid(
    key: Ed25519PublicKey, *, sequence: int, hash: str, signed_at: str, signature: str
) -> bool:
    message = checkpoint_message(sequence=sequence, hash=hash, signed_at=signed_at)
    try:
        key.verify(bytes.fromhex(signature), message)
    except (InvalidSignature, ValueError):
        return False
    return True


# --- signed heads that leave the server -------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """A signed head: that the chain held `hash` at `sequence` when it was signed."""

    sequence: int
    hash: str
    signed_at: str
    key_fingerprint: str
    signature: str


def statement(*, sequence: int, hash: str, signed_at: datetime, fingerprint: str, signature: str):
    return Statement(sequence, hash, timestamp(signed_at), fingerprint, signature)


def statement_line(item: Statement) -> str:
    """One JSON line an auditor keeps off the server (verify_audit --expect reads it back)."""
    return json.dumps(
        {
            "format": STATEMENT_FORMAT,
            "sequence": item.sequence,
            "hash": item.hash,
            "signed_at": item.signed_at,
            "key_fingerprint": item.key_fingerprint,
            "signature": item.signature,
        },
        sort_keys=True,
        separators=(",", ":"),
    )


class StatementFormatError(ValueError):
    """The text is not a list of signed heads."""


def statements_parse(text: str, *, limit: int = 10_000) -> list[Statement]:
    """The signed heads in a file of statement lines (blank lines ignored)."""
    items = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if len(items) >= limit:
            raise StatementFormatError(f"More than {limit} statements.")
        try:
            data = json.loads(line)
            if data.get("format") != STATEMENT_FORMAT:
                raise ValueError
            items.append(
                Statement(
                    int(data["sequence"]),
                    str(data["hash"]),
                    str(data["signed_at"]),
                    str(data["key_fingerprint"]),
                    str(data["signature"]),
                )
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise StatementFormatError(f"Line {number} is not a signed audit head.") from None
    if not items:
        raise StatementFormatError("No signed audit head in the file.")
    return items
