"""A file is cleaned in a child process: what it returns is what the cleaner returns, and a file
that makes the cleaner spin, swell or crash costs the child, not the web worker."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time

import pytest
from django.utils import translation

from evacuation.files import sandbox, sanitise
from evacuation.models import Attachment
from tests.factories import applicant_with, photo_with_gps, submit_intake, vault_ready


# Each misbehaviour is bounded, so that a sandbox which stopped isolating makes its test fail
# (the cleaner returns nothing instead of a refusal) rather than hang or exhaust the test run.
def _spin(data: bytes) -> sanitise.Sanitised:
    deadline = time.monotonic() + 20  # ten times FILE_CLEAN_SECONDS in the test below
    while time.monotonic() < deadline:
        time.sleep(0.05)
    return None


def _swell(data: bytes) -> sanitise.Sanitised:
    hoard = [bytearray(16 * 1024 * 1024) for _ in range(32)]  # 512 MiB: twice the cap below
    assert len(hoard) == 32
    return None


def _crash(data: bytes) -> sanitise.Sanitised:
    os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's out-of-memory killer would
    raise AssertionError("unreachable")


def test_the_child_returns_exactly_what_the_cleaner_makes():
    sent = photo_with_gps()
    isolated = sandbox.sanitise_isolated(sent)
    assert isolated == sanitise.sanitise_upload(sent)
    assert b"MarkerDatum" not in isolated.data
    assert not multiprocessing.active_children()


def test_a_refusal_comes_back_with_its_code_and_in_the_senders_language():
    with translation.override("ru"), pytest.raises(sanitise.FileRefused) as refused:
        sandbox.sanitise_isolated(b"<html>not a photo</html>")
    assert refused.value.code == "unsupported"
    with translation.override("ru"):
        assert refused.value.messages == [str(sanitise.UNSUPPORTED)]
    assert "JPEG" in refused.value.messages[0] and "Only photos" not in refused.value.messages[0]


@pytest.mark.parametrize("misbehaviour", [_spin, _swell, _crash])
def test_a_cleaning_that_overruns_is_stopped_and_the_file_refused(
    misbehaviour, settings, monkeypatch
):
    settings.FILE_CLEAN_SECONDS = 2
    settings.FILE_CLEAN_MEMORY_BYTES = 256 * 1024 * 1024
    monkeypatch.setattr(sanitise, "sanitise_upload", misbehaviour)
    started = time.monotonic()
    with pytest.raises(sanitise.FileRefused) as refused:
        sandbox.sanitise_isolated(photo_with_gps())
    assert refused.value.code == "too_complex"
    assert "too complex to prepare" in refused.value.messages[0]
    assert time.monotonic() - started < 10
    assert not multiprocessing.active_children()  # killed and reaped, not left behind


@pytest.mark.django_db
def test_the_applicant_is_told_and_nothing_is_stored(settings, monkeypatch):
    settings.FILE_CLEAN_SECONDS = 1
    vault_ready()
    _, code = submit_intake()
    monkeypatch.setattr(sanitise, "sanitise_upload", _spin)
    for language, words in (("en", "too complex to prepare"), ("ru", "слишком сложен")):
        applicant = applicant_with(code, language=language)
        response = applicant.act("upload", file=("photo.jpg", photo_with_gps()))
        assert response.status_code == 200
        assert words in applicant.page
    assert not Attachment.objects.exists()
