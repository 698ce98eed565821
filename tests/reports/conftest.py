from __future__ import annotations

import pytest

from tests.factories import verified_client


@pytest.fixture
def round_up(monkeypatch):
    """Every atom rounds up (a true 1 becomes 5): one of the outcomes chance may give."""
    monkeypatch.setattr("reports.rules._draw", lambda n: 0)


@pytest.fixture
def round_down(monkeypatch):
    """Every atom rounds down (a true 4 becomes 0): the other extreme."""
    monkeypatch.setattr("reports.rules._draw", lambda n: n - 1)


@pytest.fixture
def cora_client(cora):
    return verified_client(cora)


def generate(client, code: str) -> str:
    """Generates the report for `code` through the page and returns the report page."""
    response = client.post("/staff/reports/generate/", {"period": code})
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert response["Location"] == f"/staff/reports/{code}/"
    page = client.get(f"/staff/reports/{code}/")
    assert page.status_code == 200
    return page.content.decode()
