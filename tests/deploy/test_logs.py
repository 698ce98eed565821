"""core.logs.RedactFilter: no case reference, receipt code or locator reaches a log, tracebacks
included; and it is on every handler the settings configure."""

from __future__ import annotations

import io
import logging
import sys

import pytest

from core.logs import RedactFilter, redact
from evacuation.models.case import REFERENCE_ALPHABET, reference_new
from tests.factories import submit_intake, verified_client
from vault.receipts import receipt_new


def test_references_codes_and_locators_are_masked():
    code = receipt_new()
    reference = reference_new()
    text = (
        f"GET /staff/cases/{reference}/ code {code} digits {code.digits()} "
        f"secret {code.secret} Key (locator)=({code.locator}) already exists; "
        f"locator={code.locator}"
    )
    masked = redact(text)
    assert reference not in masked and "EV-****-**" in masked
    assert str(code) not in masked and code.digits() not in masked
    assert code.secret not in masked
    assert code.locator not in masked and "[locator]" in masked
    assert "/staff/cases/EV-****-**/" in masked


def test_the_pattern_covers_the_whole_reference_alphabet():
    for letter in REFERENCE_ALPHABET:
        assert redact(f"EV-{letter * 4}-{letter * 2}") == "EV-****-**"
    assert redact("ev-7kq2-xm") == "EV-****-**"  # a path typed in lower case


def test_ordinary_numbers_stay():
    text = "2026-12-01 12:30:45,123 sequence 4711 took 0.34 s, 1048576 bytes, pid 12345"
    assert redact(text) == text


def test_a_traceback_is_masked_and_formatted_once():
    reference = reference_new()
    try:
        raise RuntimeError(f"could not show {reference}")
    except RuntimeError:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed on %s", (reference,), sys.exc_info()
        )
    RedactFilter().filter(record)
    output = logging.Formatter().format(record)
    assert reference not in output
    assert "RuntimeError: could not show EV-****-**" in output
    assert output.startswith("failed on EV-****-**")


def test_every_configured_handler_has_the_filter():
    loggers = [logging.getLogger()] + [
        logger
        for logger in logging.Logger.manager.loggerDict.values()
        if isinstance(logger, logging.Logger)
    ]
    handlers = {id(h): h for logger in loggers for h in logger.handlers}
    # pytest's own capture handlers are not the application's.
    ours = [h for h in handlers.values() if "_pytest" not in type(h).__module__]
    assert ours, "no handler configured"
    unfiltered = [h for h in ours if not any(isinstance(f, RedactFilter) for f in h.filters)]
    assert not unfiltered, unfiltered


@pytest.mark.django_db
def test_an_exception_on_a_case_page_logs_no_reference_and_no_code(team, monkeypatch):
    reference, code = submit_intake()
    locator = code.replace(" ", "").replace("-", "")[:7]

    def broken(*, case):
        raise RuntimeError(f"selector failed for {case.reference}, code {code}, locator={locator}")

    monkeypatch.setattr("evacuation.selectors.case_page.case_proposals", broken)
    staff = verified_client(team.carla)
    staff.raise_request_exception = False
    handler = logging.getLogger("django.request").handlers[0]
    captured = io.StringIO()
    previous = handler.setStream(captured)
    try:
        response = staff.get(f"/staff/cases/{reference}/")
    finally:
        handler.setStream(previous)
    assert response.status_code == 500
    output = captured.getvalue()
    assert "Traceback" in output and "RuntimeError: selector failed for EV-****-**" in output
    assert "/staff/cases/EV-****-**/" in output
    assert reference not in output
    digits = code.replace(" ", "").replace("-", "")
    assert code not in output and digits not in output and locator not in output
    assert "[code]" in output and "[locator]" in output


def test_gunicorns_own_error_log_gets_the_filter():
    """deploy/gunicorn.conf.py's hooks put the filter on gunicorn's handlers ("Error handling
    request /staff/cases/EV-..." is gunicorn's line, outside Django's logging)."""
    import runpy
    from pathlib import Path

    from gunicorn.config import Config
    from gunicorn.glogging import Logger

    Logger(Config())  # sets gunicorn's handlers up, as the master does
    hooks = runpy.run_path(str(Path(__file__).resolve().parents[2] / "deploy/gunicorn.conf.py"))
    hooks["on_starting"](None)
    handlers = logging.getLogger("gunicorn.error").handlers
    assert handlers
    assert all(any(isinstance(f, RedactFilter) for f in h.filters) for h in handlers)
    assert hooks["accesslog"] is None and hooks["worker_class"] == "sync"
