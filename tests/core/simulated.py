"""A simulated clock and requests for the rate-limit tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.http import HttpRequest
from django.test import RequestFactory

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def request_from(address: str, **headers: str) -> HttpRequest:
    return RequestFactory().post("/", REMOTE_ADDR=address, **headers)
