#!/usr/bin/env python3
"""Make a v3 onion service key in a HiddenServiceDir, as tor itself would, and print the address.

    onion.py HIDDEN_SERVICE_DIR [--owner debian-tor]

Writes hs_ed25519_secret_key, hs_ed25519_public_key and hostname (rend-spec-v3: the address is
base32(public key | checksum | version) with checksum = SHA3-256(".onion checksum" | public key |
version)[:2]); the folder is mode 0700 and the files 0600, given to --owner. Does nothing but print
the address when the folder already holds a key, so the address never changes on a re-run.
Needs the `cryptography` package (run it with the app's virtualenv).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import pwd
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SECRET_HEADER = b"== ed25519v1-secret: type0 ==\x00\x00\x00"
PUBLIC_HEADER = b"== ed25519v1-public: type0 ==\x00\x00\x00"
VERSION = b"\x03"


def address(public: bytes) -> str:
    checksum = hashlib.sha3_256(b".onion checksum" + public + VERSION).digest()[:2]
    return base64.b32encode(public + checksum + VERSION).decode("ascii").lower() + ".onion"


def expanded_secret(seed: bytes) -> bytes:
    """tor keeps the expanded ed25519 key: the clamped scalar, then the hash's second half."""
    digest = bytearray(hashlib.sha512(seed).digest())
    digest[0] &= 248
    digest[31] &= 127
    digest[31] |= 64
    return bytes(digest)


def make(directory: Path, owner: str | None = None) -> str:
    directory = Path(directory)
    hostname = directory / "hostname"
    if (directory / "hs_ed25519_secret_key").exists() and hostname.exists():
        return hostname.read_text().strip()
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    seed = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    name = address(public)
    files = {
        "hs_ed25519_secret_key": SECRET_HEADER + expanded_secret(seed),
        "hs_ed25519_public_key": PUBLIC_HEADER + public,
        "hostname": (name + "\n").encode("ascii"),
    }
    for filename, data in files.items():
        fd = os.open(directory / filename, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    directory.chmod(0o700)
    if owner:
        account = pwd.getpwnam(owner)
        for path in [directory, *(directory / filename for filename in files)]:
            os.chown(path, account.pw_uid, account.pw_gid)
    return name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--owner", help="the user tor runs as (Debian: debian-tor)")
    args = parser.parse_args()
    try:
        print(make(Path(args.directory), args.owner))
    except (OSError, KeyError) as exc:
        sys.exit(f"onion.py: {exc}")


if __name__ == "__main__":
    main()
