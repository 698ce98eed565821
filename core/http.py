"""Small decorators for views of any app."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.http import HttpRequest, HttpResponse


def no_referrer(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Links from this page must not tell another site where the person came from."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        response["Referrer-Policy"] = "no-referrer"
        return response

    return wrapped
