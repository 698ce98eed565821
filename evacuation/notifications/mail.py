"""The notification mail: a fixed subject and text, and the address of the staff pages.

Nothing in it depends on the case: not the reference (a case URL would carry it), not the kind,
not how many things wait. A mailbox read over a shoulder or handed over under pressure shows
only that the person works here, which the sender address shows anyway.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils import translation
from django.utils.translation import gettext as _


def staff_url() -> str:
    return f"{settings.SITE_URL}/staff/"


def language_for(code: str) -> str:
    return code if code in settings.STAFF_LANGUAGES else settings.LANGUAGE_CODE


def message_for(address: str, *, language: str, digest: bool) -> EmailMessage:
    with translation.override(language_for(language)):
        if digest:
            subject = _("Safe Passage: your daily notice")
            first = _(
                "Since your last daily notice, something in Safe Passage needs your attention."
            )
        else:
            subject = _("Safe Passage: something needs your attention")
            first = _("Something in Safe Passage needs your attention.")
        body = "\n\n".join(
            [
                first,
                _("Sign in to see what it is:") + "\n" + staff_url(),
                _(
                    "This message says nothing more on purpose. You can choose how you are told "
                    "on the notifications page, after you sign in."
                ),
            ]
        )
    return EmailMessage(
        subject=subject, body=body + "\n", from_email=settings.DEFAULT_FROM_EMAIL, to=[address]
    )
