"""Two middlewares at the edge of every request (config/settings.py places them).

HttpsMiddleware (first of all): the HTTPS redirect, in place of Django's SECURE_SSL_REDIRECT,
because one host must never be redirected: the onion service. Tor encrypts and authenticates an
onion connection end to end and there is no certificate for a .onion name, so nginx serves it
over plain HTTP (X-Forwarded-Proto: http); a redirect to https:// would lead nowhere and HSTS
means nothing there. Django's SecurityMiddleware stays installed for every other header; it sends
HSTS only to requests that came over HTTPS, which an onion request never does, and this
middleware, outside it, still removes the header from any onion answer.

FailSafeMiddleware (outside the session): when the database is down every page must still be
the project's own error page in the visitor's language, never gunicorn's bare "Internal Server
Error". Django's handler500 (core.errors) renders with the request's context processors, which
ask for the signed-in user and so the session store (the database); when that fails too, the
exception climbs to here. This page is rendered from the template alone: no request context, no
session, no database, no cookie; the language comes from the URL prefix, the language cookie or
Accept-Language.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.http.request import split_domain_port
from django.template.loader import get_template
from django.utils import translation
from django.utils.translation import gettext as _

from core.translations import translation_unreviewed

logger = logging.getLogger("core.failsafe")

# Never redirected: the health probes carry nothing and may be asked over the app's own socket.
REDIRECT_EXEMPT = ("/healthz", "/health/")
# The database cannot be reached (down, restarting, a dropped connection): "try again", 503.
# Other database errors (a constraint, a bad query) are faults of ours, 500 as any other.
UNREACHABLE = (OperationalError, InterfaceError)
# The site's own policy (CONTENT_SECURITY_POLICY), written out: this page never passes the CSP
# middleware, which sits inside the session.
FALLBACK_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def is_onion(request: HttpRequest) -> bool:
    """Whether the request named an onion host (the raw Host header: nothing is validated
    here, ALLOWED_HOSTS still decides whether the host is served at all)."""
    host = request.META.get("HTTP_HOST") or request.META.get("SERVER_NAME", "")
    domain, _port = split_domain_port(host)
    return domain.endswith(".onion")


class HttpsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.redirect = getattr(settings, "HTTPS_REDIRECT", False)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        onion = is_onion(request)
        if (
            self.redirect
            and not onion
            and not request.is_secure()
            and not request.path.startswith(REDIRECT_EXEMPT)
        ):
            return HttpResponsePermanentRedirect(
                f"https://{request.get_host()}{request.get_full_path()}"
            )
        response = self.get_response(request)
        if onion and "Strict-Transport-Security" in response:
            del response["Strict-Transport-Security"]
        return response


def fallback_error_page(request: HttpRequest, *, status: int = 500) -> HttpResponse:
    """The project's error page (templates/error.html) without the request context: it needs
    neither the session nor the database."""
    language = translation.get_language_from_request(request, check_path=True)
    with translation.override(language):
        body = get_template("error.html").render(
            {
                "title": _("Something went wrong"),
                "text": _("Please try again in a few minutes."),
                "quick_exit_url": settings.QUICK_EXIT_URL,
                "translation_unreviewed": translation_unreviewed(),
            }
        )
    response = HttpResponse(body, status=status)
    response["Content-Language"] = language
    response["Cache-Control"] = "no-store"
    response["Content-Security-Policy"] = FALLBACK_CSP
    response["X-Frame-Options"] = "DENY"
    response["Vary"] = "Accept-Language, Cookie"
    if status == 503:
        response["Retry-After"] = "30"
    return response


class FailSafeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        except Exception as exc:  # the error path itself failed: the last resort
            logger.exception("The error page could not be rendered normally; the fallback was.")
            return fallback_error_page(request, status=503 if isinstance(exc, UNREACHABLE) else 500)

    def process_exception(self, request: HttpRequest, exception: Exception):
        """A view that found the database down: the fallback page at once, 503 (the normal
        error page would ask the database for the signed-in user first)."""
        if isinstance(exception, UNREACHABLE):
            logger.error("The database did not answer.", exc_info=exception)
            return fallback_error_page(request, status=503)
        return None
