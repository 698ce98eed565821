"""Sets and deletes the cookie that carries the per-session vault key K."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from vault.session import FORGET_ATTR, NEW_KEY_ATTR, cookie_value, has_vault_data


class SessionKeyCookieMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        name = settings.VAULT_SESSION_COOKIE_NAME
        new_key = getattr(request, NEW_KEY_ATTR, None)
        if new_key is not None and has_vault_data(request):
            response.set_cookie(
                name,
                cookie_value(new_key),
                # Lives no longer than the session: gone at browser close, or after the idle age.
                max_age=None
                if settings.SESSION_EXPIRE_AT_BROWSER_CLOSE
                else settings.SESSION_COOKIE_AGE,
                path="/",
                domain=settings.SESSION_COOKIE_DOMAIN,
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=True,
                samesite="Strict",
            )
        elif getattr(request, FORGET_ATTR, False) or (
            name in request.COOKIES and not has_vault_data(request)
        ):
            response.delete_cookie(
                name, path="/", domain=settings.SESSION_COOKIE_DOMAIN, samesite="Strict"
            )
        return response
