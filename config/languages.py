"""The staff pages' languages: English and Russian only (settings.STAFF_LANGUAGES).

The applicant's pages are in every language of settings.LANGUAGES, carried in their URL (/uk/,
/ka/request/ ...). Django's LocaleMiddleware picks the same languages for every other page from
the language cookie or the browser's Accept-Language, so a Ukrainian browser would get the staff
pages half in Ukrainian (the applicant's words) and half in English. This middleware, right after
LocaleMiddleware, answers such a page in English instead.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy, ngettext_lazy, pgettext_lazy


class StaffLanguageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        chosen = translation.get_language()
        if translation.get_language_from_path(request.path_info) or (
            chosen in settings.STAFF_LANGUAGES
        ):
            return self.get_response(request)
        translation.activate(settings.LANGUAGE_CODE)
        request.LANGUAGE_CODE = settings.LANGUAGE_CODE
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", settings.LANGUAGE_CODE)
        # LocaleMiddleware sends "/" and "/request/" on to the browser's language (/ka/ ...):
        # it reads the language again when the answer passes it, so it gets the chosen one back.
        translation.activate(chosen)
        return response


# Django's own messages that the applicant's pages show (form errors, how long ago, file sizes,
# dates), named here so that `makemessages` keeps them in locale/<language>/: Django's catalogue
# for some of our languages lacks them or gets them wrong, and the project's catalogue comes
# first. Never evaluated; only read by makemessages.
DJANGO_MESSAGES = (
    ngettext_lazy("%(num)d year", "%(num)d years", "num"),
    ngettext_lazy("%(num)d month", "%(num)d months", "num"),
    ngettext_lazy("%(num)d week", "%(num)d weeks", "num"),
    ngettext_lazy("%(num)d day", "%(num)d days", "num"),
    ngettext_lazy("%(num)d hour", "%(num)d hours", "num"),
    ngettext_lazy("%(num)d minute", "%(num)d minutes", "num"),
    ngettext_lazy("%(size)d byte", "%(size)d bytes", "size"),
    ngettext_lazy(
        "Ensure this value has at most %(limit_value)d character (it has %(show_value)d).",
        "Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).",
        "limit_value",
    ),
    gettext_lazy("Null characters are not allowed."),
    gettext_lazy("Select a valid choice. %(value)s is not one of the available choices."),
    pgettext_lazy("alt. month", "January"),
    pgettext_lazy("alt. month", "February"),
    pgettext_lazy("alt. month", "March"),
    pgettext_lazy("alt. month", "April"),
    pgettext_lazy("alt. month", "May"),
    pgettext_lazy("alt. month", "June"),
    pgettext_lazy("alt. month", "July"),
    pgettext_lazy("alt. month", "August"),
    pgettext_lazy("alt. month", "September"),
    pgettext_lazy("alt. month", "October"),
    pgettext_lazy("alt. month", "November"),
    pgettext_lazy("alt. month", "December"),
)
