"""A logging filter that keeps case references, receipt codes and locators out of every log.

A log line or a traceback can carry what identifies an applicant's case: the staff pages' paths
hold the case reference (/staff/cases/EV-7KQ2-XM/), an exception's message may quote a receipt
code, and a database error's detail quotes the value that broke a constraint (a locator). Logs
leave the server's protection (the journal, a mail, a support ticket), so before a record is
written its message, its arguments, its traceback and its stack are rewritten:

- case references, EV-XXXX-XX (evacuation.models.case.REFERENCE_ALPHABET; matched here with any
  letter or digit, a superset, since core may not import evacuation) become EV-****-**;
- receipt-code-shaped strings, 16 or more digits run together or in groups separated by one
  space or hyphen (a whole 24-digit code, or its 16-digit secret alone), become [code];
- a 7-digit locator named as such (`locator=1234567`, `Key (locator)=(1234567)`) becomes
  [locator].

`configure` (LOGGING_CONFIG in config/settings.py) applies the LOGGING dict and then puts the
filter on every handler of every logger, Django's own included; deploy/gunicorn.conf.py puts it
on gunicorn's. Nothing here imports Django: gunicorn's master loads it before any settings.
"""

from __future__ import annotations

import logging
import logging.config
import re
import traceback

REFERENCE_RE = re.compile(r"(?<![0-9A-Za-z])EV-[0-9A-Z]{4}-[0-9A-Z]{2}(?![0-9A-Za-z])", re.I)
CODE_RE = re.compile(r"(?<![0-9])[0-9](?:[ -]?[0-9]){15,}(?![0-9])")
LOCATOR_RE = re.compile(r"(locator[^0-9\n]{0,24})[0-9]{7}(?![0-9])", re.I)

REFERENCE_MASK = "EV-****-**"
CODE_MASK = "[code]"
LOCATOR_MASK = "[locator]"


def redact(text: str) -> str:
    """The text with every case reference, receipt code and named locator masked."""
    text = REFERENCE_RE.sub(REFERENCE_MASK, text)
    text = CODE_RE.sub(CODE_MASK, text)
    return LOCATOR_RE.sub(lambda match: match.group(1) + LOCATOR_MASK, text)


class RedactFilter(logging.Filter):
    """Rewrites a record in place (it never drops one): the formatted message, the traceback
    (formatted here, once, so that no handler formats the original) and the stack."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_redacted", False):  # one record, several handlers
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep what there is, masked
            message = f"{record.msg!s} {record.args!r}"
        record.msg, record.args = redact(message), ()
        if record.exc_info:
            if not record.exc_text:
                record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            record.exc_info = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        # Django's request logs carry the request itself (a handler such as mail_admins would
        # print its path and headers): only the status code is kept.
        if hasattr(record, "request"):
            record.request = None
        record._redacted = True
        return True


def install(handler: logging.Handler) -> None:
    if not any(isinstance(existing, RedactFilter) for existing in handler.filters):
        handler.addFilter(RedactFilter())


def install_everywhere() -> None:
    """The filter on every handler that any logger has now (root included)."""
    loggers = [logging.getLogger()]
    loggers += [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    for logger in loggers:
        for handler in logger.handlers:
            install(handler)


def configure(config: dict) -> None:
    """LOGGING_CONFIG: dictConfig, then the filter on every handler (Django's defaults too)."""
    logging.config.dictConfig(config)
    install_everywhere()
