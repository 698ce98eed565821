"""Form tokens for pages that set no cookie (the applicant's pages).

Django's CSRF protection needs a cookie; a cookie on a frightened person's phone says the site
was visited. These pages instead put a token signed by the server in each form (with
`same_origin` below refusing posts from another site), and a form that changes something carries
a one-time token: once it has been spent, sending the form again (a reload, Back and resend, a
Tor timeout that lost the answer) is recognised and changes nothing.

Decision (issue 13, point 7): a form that only reads carries a signed token that is reusable
until it expires (`token_check`), by design, not a one-time one. That is the code look-up
(`/status/`, reusable for LOOKUP_FORM_AGE) and the status page's forms that read with the
capability (view, download, the withdrawal's confirmation page, the language switch; the
capability is their signed, 15-minute proof, and they carry no other token). Why:
- nothing is changed by sending one twice, so there is nothing for "already sent" to protect;
  a reload after a Tor timeout should simply answer again;
- replaying it gains nothing: anyone can GET the page for a fresh token, so a one-time token
  would not slow a guesser either; guesses are paid for by the rate limits (core.ratelimit),
  which count evaluations, not forms;
- what the token is for holds without spending it: the form came from this site within its
  age (with `same_origin` refusing posts from another site), in place of the CSRF cookie;
- spending it would write a SpentToken row per look-up: a write on every guess, and, for a
  seized server, a dated trace of how many look-ups there were.
Every form that changes something (intake, message, addition, upload, withdrawal) spends a
one-time token (`token_spend`) in the transaction of the change it makes, so the two stand or
fall together: a send that failed half way may be sent again, one that worked never twice.

A spent token is remembered by the SHA-256 of its random part until it would have expired
anyway; the token itself, whose random part only the browser holds, is never stored. That random
part can also key something kept for the one person holding the form (`token_secret`).
"""

from __future__ import annotations

import enum
import hashlib
import secrets
from datetime import timedelta

from django.core import signing
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from core.models import SpentToken

_SALT = "core.tokens"


class Token(enum.Enum):
    FRESH = "fresh"  # signed by us, in time, for this form, never spent
    SPENT = "spent"  # a one-time token already used: the form was sent before
    INVALID = "invalid"  # forged, altered, for another form, or too old


def token_issue(purpose: str) -> str:
    return signing.dumps({"p": purpose, "n": secrets.token_urlsafe(24)}, salt=_SALT)


def _payload(token: str, purpose: str, max_age: timedelta) -> dict | None:
    try:
        data = signing.loads(token, salt=_SALT, max_age=max_age)
    except signing.BadSignature:  # SignatureExpired is one
        return None
    if not isinstance(data, dict) or data.get("p") != purpose or not isinstance(data.get("n"), str):
        return None
    return data


def _digest(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def token_check(token: str, purpose: str, *, max_age: timedelta) -> Token:
    """For forms that only read (a look-up): signed, in time, for this purpose."""
    return Token.FRESH if _payload(token, purpose, max_age) else Token.INVALID


def token_spend(token: str, purpose: str, *, max_age: timedelta) -> Token:
    """Spends a one-time token: FRESH the first time, SPENT ever after (until it expires). Called
    inside the transaction of the work it stands for, a rollback of that work unspends it."""
    data = _payload(token, purpose, max_age)
    if data is None:
        return Token.INVALID
    try:
        with transaction.atomic():
            SpentToken.objects.create(
                digest=_digest(data["n"]), expires_at=timezone.now() + max_age
            )
    except IntegrityError:
        return Token.SPENT
    return Token.FRESH


def token_state(token: str, purpose: str, *, max_age: timedelta) -> Token:
    """What `token_spend` would answer now, spending nothing (one read): for work that is slow
    to prepare, so a form sent twice is turned away before the work is done again."""
    data = _payload(token, purpose, max_age)
    if data is None:
        return Token.INVALID
    spent = SpentToken.objects.filter(digest=_digest(data["n"])).exists()
    return Token.SPENT if spent else Token.FRESH


def token_secret(token: str, purpose: str, *, max_age: timedelta) -> bytes | None:
    """32 bytes only the holder of this token can reproduce (the server keeps a hash of the
    token's random part, not the part itself), or None for a token that is not valid."""
    data = _payload(token, purpose, max_age)
    if data is None:
        return None
    return hashlib.sha256(b"core.tokens.secret|" + data["n"].encode()).digest()


def spent_token_row(token: str, purpose: str, *, max_age: timedelta) -> SpentToken | None:
    data = _payload(token, purpose, max_age)
    if data is None:
        return None
    return SpentToken.objects.filter(digest=_digest(data["n"])).first()


def token_spend_keeping(
    token: str, purpose: str, *, max_age: timedelta, sealed: bytes, for_: timedelta
) -> None:
    """Spends a one-time token inside the caller's transaction, for work that must stand or fall
    with it, and keeps `sealed` with it for a while (sealed under `token_secret`, so only the
    token's holder opens it), for a form whose answer may be lost and asked for again.

    A token spent before raises IntegrityError, which ends the caller's transaction: nothing
    written in it stays (`spent_token_row` then finds the earlier spending). Raises ValueError
    for a token that is not valid: check it first (`token_check`)."""
    data = _payload(token, purpose, max_age)
    if data is None:
        raise ValueError("Not a valid token for this form.")
    now = timezone.now()
    SpentToken.objects.create(
        digest=_digest(data["n"]), expires_at=now + max_age, sealed=sealed, sealed_until=now + for_
    )


def token_kept(token: str, purpose: str, *, max_age: timedelta) -> bytes | None:
    """What `token_spend_keeping` kept with this spent token, while its time lasts."""
    forget_kept()
    row = spent_token_row(token, purpose, max_age=max_age)
    return bytes(row.sealed) if row is not None and row.sealed is not None else None


def token_forget(token: str, purpose: str, *, max_age: timedelta) -> None:
    """Drops what was kept with the token at once (its holder says they no longer need it)."""
    data = _payload(token, purpose, max_age)
    if data is not None:
        SpentToken.objects.filter(digest=_digest(data["n"])).update(sealed=None, sealed_until=None)


def forget_kept(now=None) -> int:
    """Drops everything kept past its time. Run on each use, so nothing outlives its minutes
    while the site is in use, and by the daily prune otherwise."""
    return SpentToken.objects.filter(sealed_until__lt=now or timezone.now()).update(
        sealed=None, sealed_until=None
    )


def prune(now=None) -> int:
    """Forgets spent tokens past their expiry (they would be refused as too old anyway)."""
    forget_kept(now)
    deleted, _ = SpentToken.objects.filter(expires_at__lt=now or timezone.now()).delete()
    return deleted


def same_origin(request: HttpRequest) -> bool:
    """Whether a POST comes from one of our own pages. Browsers say so in Sec-Fetch-Site; older
    ones send only Origin, which is "null" on our no-referrer pages and never another site's
    name when the form is ours. Neither header (a very old browser): allowed, the token holds."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin in (None, "null"):
        return True
    return origin == f"{request.scheme}://{request.get_host()}"
