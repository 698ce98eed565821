"""What the applicant's pages carry instead of a session: the capability of a status page, and a
receipt code that can be shown again for a few minutes to the one who sent the request.

The capability is what a status page carries after a right receipt code.

Typing the code costs one Argon2id, on purpose. So that reading, replying, uploading and
withdrawing on that page do not each cost another, the page's forms carry the case key
encrypted under a server key with a 15-minute expiry. It travels in POST bodies only and the
server keeps no copy: once it expires the person types the code again. The receipt code itself
is never written into a page.

The server key is derived from SECRET_KEY for this purpose alone; a new SECRET_KEY simply ends
every capability in flight.
"""

from __future__ import annotations

import time
from base64 import urlsafe_b64decode, urlsafe_b64encode
from functools import lru_cache

from django.conf import settings

from vault import crypto
from vault.cases import CaseCipher
from vault.errors import DecryptionFailed, VaultError
from vault.receipts import ReceiptCode, receipt_parse

CAPABILITY_SECONDS = 15 * 60
_FORMAT = "v1"


class CapabilityInvalid(VaultError):
    """Not a capability this server issued, or one that was altered."""


class CapabilityExpired(VaultError):
    """A capability this server issued, past its time: the code must be typed again."""


@lru_cache(maxsize=4)
def _server_key(secret_key: str) -> bytes:
    return crypto.hkdf(secret_key.encode(), info=b"safe-passage|applicant-capability|v1")


def _ad(case_uid: str, expires: int) -> bytes:
    return f"safe-passage|capability|{_FORMAT}|{case_uid}|{expires}".encode()


def capability_issue(cipher: CaseCipher, *, now: float | None = None) -> str:
    expires = int(now if now is not None else time.time()) + CAPABILITY_SECONDS
    blob = cipher.wrap_under(_server_key(settings.SECRET_KEY), ad=_ad(cipher.case_uid, expires))
    body = urlsafe_b64encode(blob).decode().rstrip("=")
    return f"{_FORMAT}.{expires}.{cipher.case_uid}.{body}"


def capability_open(text: str, *, now: float | None = None) -> CaseCipher:
    """The case cipher a capability holds. Raises CapabilityExpired or CapabilityInvalid."""
    try:
        version, expires_text, case_uid, body = text.split(".")
        expires = int(expires_text)
        blob = urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except ValueError:
        raise CapabilityInvalid("Not a capability.") from None
    if version != _FORMAT:
        raise CapabilityInvalid("Not a capability.")
    try:
        cipher = CaseCipher.unwrap(
            case_uid, _server_key(settings.SECRET_KEY), blob, ad=_ad(case_uid, expires)
        )
    except (DecryptionFailed, ValueError):
        raise CapabilityInvalid("Not a capability.") from None
    if expires < (now if now is not None else time.time()):
        raise CapabilityExpired("The capability has expired.")
    return cipher


_RECEIPT_AGAIN_AD = b"safe-passage|receipt-again|v1"


def receipt_seal(code: ReceiptCode, reference: str, *, key: bytes) -> bytes:
    """The receipt code (and the case's reference) sealed under a key the server does not keep
    (the one-time form token's secret, core.tokens.token_secret), so the person who sent the
    form can see it again if the first answer was lost, and nobody else can."""
    return crypto.aead_encrypt(key, f"{code.digits()}|{reference}".encode(), ad=_RECEIPT_AGAIN_AD)


def receipt_unseal(sealed: bytes, *, key: bytes) -> tuple[ReceiptCode, str]:
    """Raises CapabilityInvalid unless `sealed` came from receipt_seal with this key."""
    try:
        text = crypto.aead_decrypt(key, sealed, ad=_RECEIPT_AGAIN_AD).decode()
    except DecryptionFailed:
        raise CapabilityInvalid("Not sealed with this key.") from None
    digits, reference = text.split("|", 1)
    return receipt_parse(digits), reference
