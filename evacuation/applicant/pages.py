"""Rendering an applicant page, the forms' tokens, and the words every status page may say."""

from __future__ import annotations

from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse, translate_url
from django.utils.translation import get_language, override
from django.utils.translation import gettext_lazy as _

from core.tokens import token_issue
from core.translations import translation_unreviewed
from evacuation.applicant.forms import ReceiptCodeForm
from evacuation.choices import LANGUAGE_NAMES, State
from vault.capabilities import CAPABILITY_SECONDS

# How long a form may stay open before it must be loaded again (the intake form's, which takes
# time to write, is with the intake: services.intake.INTAKE_FORM_AGE); the status page's forms
# live as long as the capability they carry.
LOOKUP_FORM_AGE = timedelta(hours=12)
STATUS_FORM_AGE = timedelta(seconds=CAPABILITY_SECONDS)

# One message for a wrong, unknown or deleted code: it must not tell them apart.
CODE_NOT_FOUND = _(
    "We could not find a request with this code. Check each digit and try again. "
    "If you have lost your code, you can send a new request."
)
CODE_FORGOTTEN = _(
    "For your safety this page forgets your code after 15 minutes without use. "
    "Please enter your receipt code again."
)
FORM_TOO_OLD = _("This page was open for a long time, so it was not sent. Please send it again.")

STATE_TEXT = {
    State.RECEIVED: _(
        "We have received your request. A caseworker will read it and contact you the way "
        "you asked. Urgent requests are read first."
    ),
    State.ASSESSED: _(
        "A caseworker has read your request and is working on the next steps. They will "
        "contact you the way you asked."
    ),
    State.FUNDED: _(
        "Support for your journey has been approved. A caseworker will contact you about "
        "the next steps."
    ),
    State.RELOCATED: _("Your relocation has been recorded as completed. We wish you safety."),
    State.DECLINED: _(
        "We are sorry: we cannot help with this request. This does not mean we doubt you. "
        "If your situation changes, you can send a new request."
    ),
    State.WITHDRAWN: _(
        "This request has been withdrawn. No one will act on it. If you need help again, "
        "you can send a new request."
    ),
}


def languages(request: HttpRequest) -> list[dict]:
    """The same page in every language offered (the language lives in the URL, never in a
    cookie)."""
    current = get_language()
    return [
        {
            "code": code,
            "name": LANGUAGE_NAMES.get(code, code),
            "url": _in_language(request, code),
            "current": code == current,
        }
        for code, _name in settings.LANGUAGES
        if code in settings.APPLICANT_LANGUAGES
    ]


def _in_language(request: HttpRequest, code: str) -> str:
    """translate_url(request.path, code) without resolving the path again for every language
    (that was most of an applicant page's cost besides its template): the request's own match
    is reversed in `code`."""
    match = request.resolver_match
    if match is None or not match.url_name:
        return translate_url(request.path, code)
    name = f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name
    # Path converters give hashable values (str, int, UUID): they can be the cache's key.
    kwargs = tuple(sorted(match.kwargs.items()))
    where = (get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF)
    url = _reversed(name, tuple(match.args), kwargs, code, where)
    return url if url is not None else request.path


@lru_cache(maxsize=512)
def _reversed(name: str, args: tuple, kwargs: tuple, code: str, where: tuple) -> str | None:
    # `where` (the script prefix and URLconf reverse() reads) is part of the key only.
    with override(code):
        try:
            return reverse(name, args=args, kwargs=dict(kwargs))
        except NoReverseMatch:
            return None


def page(
    request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200
) -> HttpResponse:
    """One of templates/evacuation/applicant/, with what every applicant page shows."""
    context = {
        "quick_exit_url": settings.QUICK_EXIT_URL,
        "retention_days": settings.RETENTION_DAYS,
        "languages": languages(request),
        "translation_unreviewed": translation_unreviewed(),
        **(context or {}),
    }
    if not context.get("capability"):
        # Without a capability (which is this visit's own) the switch is the same for every
        # visit to this page: rendered once (it was a third of an applicant page's template).
        switch = tuple(tuple(sorted(language.items())) for language in context["languages"])
        context["language_nav"] = language_nav(switch, context.get("switch_form", ""))
    return render(request, f"evacuation/applicant/{template}", context, status=status)


@lru_cache(maxsize=256)
def language_nav(switch: tuple, switch_form: str) -> str:
    """The language switch (_language_nav.html) for `switch` (each language's items, from
    languages()) on a page whose own form is `switch_form`, or none."""
    return render_to_string(
        "evacuation/applicant/_language_nav.html",
        {"languages": [dict(items) for items in switch], "switch_form": switch_form},
    )


def lookup_page(
    request: HttpRequest, form=None, *, error: str = "", status: int = 200, **extra
) -> HttpResponse:
    """The code-entry page; what was typed stays in the field (the language switch sends it
    along too)."""
    context = {
        "form": form or ReceiptCodeForm(),
        "error": error,
        "form_token": token_issue("lookup"),
        "switch_form": "lookup",
        **extra,
    }
    return page(request, "status_lookup.html", context, status=status)
