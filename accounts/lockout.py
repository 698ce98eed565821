"""Sign-in throttling around django-axes: who is locked out, who is slowed down, what they are told.

- A lock-out is per username AND source (AXES_LOCKOUT_PARAMETERS): AXES_FAILURE_LIMIT failures
  for one name from one source pause that name from that source for AXES_COOLOFF_TIME. Someone
  guessing from elsewhere cannot keep the owner out. A source is what the rate limits count
  (core.ratelimit): the client's address (CLIENT_ADDRESS_HEADER behind a proxy), IPv6 by /64.
- Failures for one name from many sources lock no one: every answer for that name is slowed
  instead (`slow_down`), by DELAY_FIRST_SECONDS after one recent failure (within
  AXES_COOLOFF_TIME), doubling with each, never more than DELAY_MAX_SECONDS. The wait comes
  before the password is checked, so a right and a wrong password take as long: a guesser
  cannot learn the answer sooner by timing it.
- On a completed sign-in the person is told how many failures their name had since their
  previous one (`failures_since_last_sign_in`), from axes' failure log (AccessFailureLog).

Axes' rows hold neither an address nor a tried username in clear: the address as a keyed
pseudonym (an IPv6 address in fd00::/8, `source_pseudonym`) and the name as the same keyed hash
the audit log uses (`username_hash`). `manage.py prune_signin_log` forgets them after
SIGNIN_LOG_DAYS.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_credentials
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from audit.actions import Action
from audit.models import AuditEvent
from core.ratelimit import client_address
from core.ratelimit import source as source_of

DELAY_FIRST_SECONDS = 0.5
DELAY_MAX_SECONDS = 4.0

# Tests replace this (never sleep for real in a test).
sleep = time.sleep

_SOURCE_SALT = "accounts.lockout.source"
_USERNAME_SALT = "accounts.audit-username"


def username_hash(username: str) -> str:
    """Lets auditors correlate attempts on one name without the log holding the name."""
    return salted_hmac(_USERNAME_SALT, (username or "").lower()).hexdigest()[:32]


def source_pseudonym(address: str) -> str:
    """The source of `address` (core.ratelimit's), as a keyed pseudonym that axes can store in
    its address column: a unique local IPv6 address, fd00::/8 and 120 bits of a keyed hash."""
    digest = salted_hmac(_SOURCE_SALT, source_of(address), algorithm="sha256").digest()
    return str(ipaddress.IPv6Address(b"\xfd" + digest[:15]))


def client_source(request: HttpRequest) -> str:
    """AXES_CLIENT_IP_CALLABLE: the request's source, as the rate limits see it, pseudonymised."""
    return source_pseudonym(client_address(request))


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str:
    """AXES_USERNAME_CALLABLE: the name tried, as its keyed hash (case does not matter)."""
    if credentials is not None and "username" in credentials:
        username = credentials["username"]
    else:
        username = getattr(request, "data", request.POST).get("username")
    return username_hash(username if isinstance(username, str) else "")


def delay_for(failures: int) -> float:
    """Seconds to wait before answering for a name with `failures` recent failures."""
    if failures <= 0:
        return 0.0
    return min(DELAY_MAX_SECONDS, DELAY_FIRST_SECONDS * 2 ** min(failures - 1, 16))


def recent_failures(username: str) -> int:
    """Failures for this name from every source within the cool-off (axes' own counters)."""
    since = timezone.now() - get_cool_off()
    total = AccessAttempt.objects.filter(
        username=username_hash(username), attempt_time__gte=since
    ).aggregate(total=Sum("failures_since_start"))["total"]
    return total or 0


def slow_down(request: HttpRequest, username: str) -> float:
    """Waits before a password is checked for `username`, by how often the name failed lately
    from anywhere; returns the seconds waited. A source already locked out for the name is
    answered at once (it will be refused without a check), so a locked source ties up nothing.
    Off with the other rate limits (RATE_LIMITS_ENABLED)."""
    if not (settings.RATE_LIMITS_ENABLED and getattr(settings, "AXES_ENABLED", True)):
        return 0.0
    if AxesProxyHandler.is_locked(request, get_credentials(username)):
        return 0.0
    delay = delay_for(recent_failures(username))
    if delay:
        sleep(delay)
    return delay


def failures_since_last_sign_in(user) -> int:
    """Failed sign-ins with this person's name since their last completed sign-in (password
    and second factor), or in the whole failure log if there was none. Call it before the
    current sign-in is recorded."""
    last = (
        AuditEvent.objects.filter(actor=user, action=Action.SIGNIN_SUCCEEDED)
        .order_by("-sequence")
        .values_list("created_at", flat=True)
        .first()
    )
    failures = AccessFailureLog.objects.filter(username=username_hash(user.get_username()))
    if last is not None:
        failures = failures.filter(attempt_time__gt=last)
    return failures.count()


def cool_off_minutes() -> int:
    return max(1, round(get_cool_off().total_seconds() / 60))


@dataclass(frozen=True)
class Pruned:
    logs: int  # sign-ins (AccessLog) and failures (AccessFailureLog) older than SIGNIN_LOG_DAYS
    counters: int  # lock-out counters (AccessAttempt) past their cool-off: they count no more


def signin_log_prune(now: datetime | None = None) -> Pruned:
    """Deletes what axes keeps once it no longer matters (`manage.py prune_signin_log`)."""
    now = now or timezone.now()
    before = now - timedelta(days=settings.SIGNIN_LOG_DAYS)
    logs = sum(
        model.objects.filter(attempt_time__lt=before).delete()[0]
        for model in (AccessLog, AccessFailureLog)
    )
    counters, _ = AccessAttempt.objects.filter(attempt_time__lt=now - get_cool_off()).delete()
    return Pruned(logs=logs, counters=counters)
