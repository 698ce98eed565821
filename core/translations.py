"""Whether a native speaker has checked a language's translation of the applicant's pages.

A catalogue's header says so ("X-Review-State: reviewed (...)"); one that says otherwise
("unreviewed (machine-assisted, 2026-12)") puts a one-line notice, in its own language, on every
applicant page in that language, the error pages included (templates/error.html). Only the
compiled catalogues are read: no database, no session, so the fallback error page can ask too.

Here in core, the ground floor, because the error pages (core.errors, core.middleware) need it
and core imports none of the project's apps; the applicant's app is named by its label only.
"""

from __future__ import annotations

import gettext
import re
from functools import cache
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.utils.translation import get_language

REVIEW_STATE_HEADER = "X-Review-State"
# The apps whose catalogues the applicant's pages speak from, besides the project's own
# (settings.LOCALE_PATHS). A staff-only app's catalogue has no say.
APPLICANT_APPS = ("evacuation",)


def catalogues(language: str) -> list[Path]:
    """The compiled catalogues (django.mo) the applicant's pages speak `language` from: the
    project's own (error pages) and the applicant app's."""
    folders = [Path(folder) for folder in settings.LOCALE_PATHS]
    folders += [Path(apps.get_app_config(label).path) / "locale" for label in APPLICANT_APPS]
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


def translation_unreviewed() -> bool:
    """Whether the page being drawn now, in the active language, needs the notice."""
    return not reviewed(get_language() or settings.LANGUAGE_CODE)
