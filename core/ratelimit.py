"""Per-source and global limits on the applicant's expensive or guessable actions.

The source is a keyed hash of the client's address (a key derived from
SECRET_KEY for this purpose only), so the buckets table never holds an address,
and its rows are deleted within an hour. The address is REMOTE_ADDR, or behind a
reverse proxy the header named by CLIENT_ADDRESS_HEADER.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.crypto import salted_hmac

from core.errors import too_many_requests
from core.models import TokenBucket

# scope -> (per-source capacity setting, global capacity setting)
SCOPES = {
    "intake": ("RATE_LIMIT_INTAKE_PER_SOURCE", "RATE_LIMIT_INTAKE_GLOBAL"),
    "code": ("RATE_LIMIT_CODE_PER_SOURCE", "RATE_LIMIT_CODE_GLOBAL"),
}


def client_address(request: HttpRequest) -> str:
    """The address the request came from. Of a proxy's list (X-Forwarded-For), the last entry
    is the one the proxy itself added; anything before it was written by the client."""
    header = settings.CLIENT_ADDRESS_HEADER
    if header:
        forwarded = request.META.get("HTTP_" + header.upper().replace("-", "_"), "")
        if forwarded.strip():
            return forwarded.rsplit(",", 1)[-1].strip()
    return request.META.get("REMOTE_ADDR", "")


def source_key(request: HttpRequest, scope: str) -> str:
    address = client_address(request)
    digest = salted_hmac("evacuation.ratelimit.source", f"{scope}|{address}", algorithm="sha256")
    return f"{scope}:src:{digest.hexdigest()}"


def allowed(request: HttpRequest, scope: str) -> bool:
    if not settings.RATE_LIMITS_ENABLED:
        return True
    per_source, overall = (getattr(settings, name) for name in SCOPES[scope])
    window = settings.RATE_LIMIT_WINDOW_SECONDS
    # The per-source bucket goes first so one noisy source cannot drain the global one alone.
    if not TokenBucket.authorize(source_key(request, scope), per_source, window):
        return False
    return TokenBucket.authorize(f"{scope}:all", overall, window)


def rate_limited(
    scope: str,
    *,
    methods: tuple[str, ...] = ("POST",),
    refuse: Callable[[HttpRequest], HttpResponse] = too_many_requests,
) -> Callable:
    """Answers 429 (through `refuse`) before the view runs when the scope's tokens are spent."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.method in methods and not allowed(request, scope):
                return refuse(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
