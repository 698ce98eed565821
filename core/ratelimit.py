"""Limits on the applicant's expensive actions, as token buckets in the database (core.models).

An intake and a receipt-code evaluation each cost one Argon2id (0.227 s of one core at the
production floor, bench/RESULTS.md), so:
- everyone together has a budget that refills every second, with a burst: a flood makes the
  service busy for seconds, never closed for an hour;
- each source has an allowance per window, so that one source cannot take everyone's budget.
  For receipt codes only a wrong code spends it, and a spent source still gets a slow trickle
  (two evaluations a minute) for each locator it tries: a real applicant behind an address that
  attackers hammer (a Tor exit, carrier NAT) still gets in with their own code, because the
  attackers' guesses, at locators of their own, spend other trickles (a guess lands on the
  applicant's 16-bit trickle key by collision one time in 65,536).

  Decision (issue 13, "no oracle"): which trickle a code draws from depends on the source and
  the typed locator only, never on whether a live case has that locator. An earlier design
  gave locators that find nothing one shared trickle; a spent source was then told "later", at
  once and with no Argon2id, for a dead locator while a live one got "not found" after one
  evaluation, so the 10^7 locators could be swept at database speed for the live ones. Now a
  dead and a live locator take the same path and the same Argon2id (a decoy for the dead one,
  vault.cases.case_cipher_for_applicant), so they get the same status, page and cost.
  The price, accepted: a spent source that spreads its guesses over many locators is bounded
  by everyone's look-up budget (below), not by its own allowance, so it can make the service
  busy for others for as long as it floods (it could anyway, from many Tor circuits). That
  buys an attacker nothing against a code: each guess still costs one Argon2id and is tested
  against one case's 10^16 secrets, and after the flood stops a real applicant is through
  within seconds. The alternatives were worse: one shared trickle per source lets attackers
  lock out the applicant behind the same address; answering a dead locator with a sleep instead
  of the decoy Argon2id leaves a timing difference under load;
- each case has an allowance for the actions its capability allows.

A source is the client's address: IPv4 as it is, IPv6 by /64 (one subscriber), except onion
visitors, to whom Tor (HiddenServiceExportCircuitID haproxy) gives one address per circuit.
A bucket's key keeps 16 bits of a keyed hash (a key derived from SECRET_KEY for this only), so
a seized server cannot tell which addresses or cases used the service; collisions only share
an allowance. No address is stored or logged.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from core.models import TokenBucket

# Where Tor's HiddenServiceExportCircuitID haproxy puts onion visitors: the circuit id is in
# the low 32 bits, so each address is one circuit, not one subscriber's /64.
TOR_CIRCUITS = ipaddress.IPv6Network("fc00:dead:beef:4dad::/64")

_KEY_SALT = "core.ratelimit.bucket"


@dataclass(frozen=True)
class Busy:
    """Refused for now. `everyone`: the budget of the whole service is spent, not the source's."""

    retry_after: int  # whole seconds until a try would be allowed (>= 1)
    everyone: bool


@dataclass(frozen=True)
class _Budget:
    key: str
    capacity: int
    refill_seconds: float

    def take(self, now: datetime | None) -> bool:
        return TokenBucket.authorize(
            self.key, capacity=self.capacity, refill_seconds=self.refill_seconds, now=now
        )

    def give_back(self) -> None:
        TokenBucket.refund(self.key, capacity=self.capacity)

    def retry_after(self, now: datetime | None) -> int:
        seconds = TokenBucket.seconds_until_token(
            self.key, capacity=self.capacity, refill_seconds=self.refill_seconds, now=now
        )
        return max(1, math.ceil(seconds))


class CodeAttempt:
    """Leave to evaluate one receipt code. Its source token stays spent, as a wrong code's
    should; call succeeded() once if the code was right, and it is given back."""

    def __init__(self, budget: _Budget | None) -> None:
        self._budget = budget

    def succeeded(self) -> None:
        if self._budget is not None:
            self._budget.give_back()


def client_address(request: HttpRequest) -> str:
    """The address the request came from. Of a proxy's list (X-Forwarded-For), the last entry
    is the one the proxy itself added; anything before it was written by the client."""
    header = settings.CLIENT_ADDRESS_HEADER
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        if forwarded.strip():
            return forwarded.rsplit(",", 1)[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def source(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address  # not an address (a socket with no header): all such share one source
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped  # a dual-stack socket's IPv4 client is an IPv4 source
    if ip.version == 6 and ip not in TOR_CIRCUITS:
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


def _bucket_key(scope: str, value: str) -> str:
    digest = salted_hmac(_KEY_SALT, f"{scope}|{value}", algorithm="sha256").hexdigest()
    return f"{scope}:{digest[:4]}"


def source_key(request: HttpRequest, scope: str) -> str:
    """The key of the request's source in `scope`: the scope and 4 hex digits."""
    return _bucket_key(scope, source(client_address(request)))


def _per_source(request: HttpRequest, scope: str, capacity: int, refill_seconds: float) -> _Budget:
    return _Budget(source_key(request, scope), capacity, refill_seconds)


def _everyone(scope: str, per_second: int, burst: int) -> _Budget:
    return _Budget(f"{scope}:all", burst, burst / per_second)


def intake_spend(request: HttpRequest, *, now: datetime | None = None) -> Busy | None:
    """Spends one intake's tokens (the source's, then everyone's), or says when to come back."""
    if not settings.RATE_LIMITS_ENABLED:
        return None
    source = _per_source(
        request, "intake", settings.RATE_LIMIT_INTAKE_PER_SOURCE, settings.RATE_LIMIT_WINDOW_SECONDS
    )
    everyone = _everyone(
        "intake", settings.RATE_LIMIT_INTAKE_PER_SECOND, settings.RATE_LIMIT_INTAKE_BURST
    )
    # The source goes first, so a source refused on its own spends nothing of everyone's.
    if not source.take(now):
        return Busy(source.retry_after(now), everyone=False)
    if not everyone.take(now):
        source.give_back()  # nothing was done: the source is not charged for the crowd
        return Busy(everyone.retry_after(now), everyone=True)
    return None


def code_attempt(
    request: HttpRequest, *, locator: str, now: datetime | None = None
) -> Busy | CodeAttempt:
    """Takes the tokens for one receipt-code evaluation, before its Argon2id, so that
    concurrent guesses cannot overdraw: a token from the source's failed-attempt allowance, or
    once that is spent from its trickle for this code's `locator`, and one from everyone's
    look-up budget. Whether a live case has the locator is not asked (see the module's
    docstring): a locator that finds nothing is charged exactly as one that finds a case."""
    if not settings.RATE_LIMITS_ENABLED:
        return CodeAttempt(None)
    failures = _per_source(
        request,
        "code",
        settings.RATE_LIMIT_CODE_FAILURES_PER_SOURCE,
        settings.RATE_LIMIT_WINDOW_SECONDS,
    )
    trickle = _Budget(
        _bucket_key("trickle", f"{source(client_address(request))}|{locator}"),
        settings.RATE_LIMIT_CODE_TRICKLE_PER_MINUTE,
        60,
    )
    taken = next((budget for budget in (failures, trickle) if budget.take(now)), None)
    if taken is None:
        return Busy(min(failures.retry_after(now), trickle.retry_after(now)), everyone=False)
    everyone = _everyone(
        "lookup", settings.RATE_LIMIT_LOOKUP_PER_SECOND, settings.RATE_LIMIT_LOOKUP_BURST
    )
    if not everyone.take(now):
        taken.give_back()
        return Busy(everyone.retry_after(now), everyone=True)
    return CodeAttempt(taken)


def case_spend(case_key: str, *, now: datetime | None = None) -> Busy | None:
    """Spends one of a case's actions (with a valid capability); `case_key` is opaque (its uid)."""
    if not settings.RATE_LIMITS_ENABLED:
        return None
    case = _Budget(
        _bucket_key("case", case_key),
        settings.RATE_LIMIT_CASE_ACTIONS,
        settings.RATE_LIMIT_CASE_WINDOW_SECONDS,
    )
    return None if case.take(now) else Busy(case.retry_after(now), everyone=False)
