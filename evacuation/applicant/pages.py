"""Rendering an applicant page, the forms' tokens, and the words every status page may say."""

from __future__ import annotations

import gettext
import re
from datetime import timedelta
from functools import cache
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import translate_url
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from core.tokens import token_issue
from evacuation.applicant.forms import ReceiptCodeForm
from evacuation.choices import State
from vault.capabilities import CAPABILITY_SECONDS

# How long a form may stay open before it must be loaded again. A request takes time to write;
# the status page's forms live as long as the capability they carry.
INTAKE_FORM_AGE = timedelta(hours=12)
LOOKUP_FORM_AGE = timedelta(hours=12)
STATUS_FORM_AGE = timedelta(seconds=CAPABILITY_SECONDS)
# Each language named in itself, so a person finds theirs whatever the page is in now.
LANGUAGE_NAMES = {
    "en": "English",
    "ru": "Русский",
    "uk": "Українська",
    "ka": "ქართული",
    "hy": "Հայերեն",
    "az": "Azərbaycanca",
    "kk": "Қазақша",
    "ky": "Кыргызча",
    "uz": "Oʻzbekcha",  # noqa: RUF001 (U+02BB, the letter of Uzbek Latin script)
    "tg": "Тоҷикӣ",
}
# A catalogue's header says whether a native speaker has checked it ("X-Review-State: reviewed
# (...)"); one that says otherwise ("unreviewed (machine-assisted, 2026-12)") puts a notice, in
# its own language, on every applicant page in that language.
REVIEW_STATE_HEADER = "X-Review-State"

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
            "url": translate_url(request.path, code),
            "current": code == current,
        }
        for code, _name in settings.LANGUAGES
        if code in settings.APPLICANT_LANGUAGES
    ]


def catalogues(language: str) -> list[Path]:
    """The compiled catalogues (django.mo) the applicant's pages speak `language` from: the
    project's own (error pages) and this app's. A staff-only app's catalogue has no say."""
    folders = [Path(folder) for folder in settings.LOCALE_PATHS]
    folders.append(Path(apps.get_app_config("evacuation").path) / "locale")
    found = (folder / language / "LC_MESSAGES" / "django.mo" for folder in folders)
    return [path for path in found if path.is_file()]


def review_states(language: str) -> dict[Path, str]:
    """Each catalogue of `language` with what its header says of its review ("" for nothing)."""
    states = {}
    for path in catalogues(language):
        with path.open("rb") as handle:
            info = gettext.GNUTranslations(handle).info()
        states[path] = info.get(REVIEW_STATE_HEADER.lower(), "").strip()
    return states


@cache
def reviewed(language: str) -> bool:
    """Whether a native speaker has checked the translation: the source language always; any
    other when one of its catalogues says "reviewed" and none says anything else."""
    if language == settings.LANGUAGE_CODE:
        return True
    claims = [state for state in review_states(language).values() if state]
    return bool(claims) and all(re.match(r"reviewed\b", state) for state in claims)


def page(
    request: HttpRequest, template: str, context: dict | None = None, *, status: int = 200
) -> HttpResponse:
    """One of templates/evacuation/applicant/, with what every applicant page shows."""
    context = {
        "quick_exit_url": settings.QUICK_EXIT_URL,
        "retention_days": settings.RETENTION_DAYS,
        "languages": languages(request),
        "translation_unreviewed": not reviewed(get_language() or settings.LANGUAGE_CODE),
        **(context or {}),
    }
    return render(request, f"evacuation/applicant/{template}", context, status=status)


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
