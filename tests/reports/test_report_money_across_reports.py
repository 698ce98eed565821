"""Money figures compared across reports, as an attacker holding every report would compare them:
a month's hidden amount must not come back from its quarter or year (the quarter's row minus the
other months, the quarter's per-month table, a total minus the shown rows), and two runs must
not differ by one cancelled grant. Each goes through the real pages.
"""

from __future__ import annotations

import pytest

from evacuation.models import FundingProposal
from tests.reports.builders import at, grant, page_tables
from tests.reports.conftest import generate

pytestmark = pytest.mark.django_db


def _funding(page: str) -> dict[tuple[str, str], str]:
    return {(row[0], row[1]): row[3] for row in page_tables(page).get("funding", [[]])[1:]}


def _per_month(page: str) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in page_tables(page).get("funding_per_month", [[]])[1:]}


def _april_has_one_large_medical_grant(colin) -> None:
    """April: medical 1,000 and 100 (the 1,000 is more than half: hidden), transport 3 x 1,000.
    May: medical 3 x 500. All in EUR."""
    grant(staff=colin, amount="1000.00", currency="EUR", purpose="medical", decided=at(2025, 4, 3))
    grant(staff=colin, amount="100.00", currency="EUR", purpose="medical", decided=at(2025, 4, 4))
    for _ in range(3):
        grant(
            staff=colin,
            amount="1000.00",
            currency="EUR",
            purpose="transport",
            decided=at(2025, 4, 5),
        )
    for _ in range(3):
        grant(
            staff=colin, amount="500.00", currency="EUR", purpose="medical", decided=at(2025, 5, 5)
        )


def _amounts_shown(page: str) -> set[str]:
    """Every money cell of a page's funding tables."""
    found = set(_funding(page).values())
    for cells in _per_month(page).values():
        found.update(cells)
    return found


@pytest.mark.parametrize("month_first", [True, False], ids=["months-first", "quarter-first"])
def test_a_month_amount_hidden_in_its_own_report_stays_hidden_in_its_quarter_and_year(
    cora_client, colin, month_first
):
    _april_has_one_large_medical_grant(colin)
    codes = ["2025-04", "2025-05", "2025-06", "2025-Q2", "2025"]
    if not month_first:
        codes = ["2025", "2025-Q2", "2025-06", "2025-05", "2025-04"]
    pages = {code: generate(cora_client, code) for code in codes}

    april = _funding(pages["2025-04"])
    assert april[("EUR", "Medical")] == "hidden"
    assert april[("EUR", "All purposes")] == "hidden"
    assert april[("EUR", "Transport")] == "3,000.00"
    assert _funding(pages["2025-05"])[("EUR", "Medical")] == "1,500.00"

    for code in ("2025-Q2", "2025"):
        shown = _funding(pages[code])
        # The quarter's (year's) medical minus May's would be April's hidden 1,100; its total
        # minus the shown rows too: both are hidden.
        assert shown[("EUR", "Medical")] == "hidden", code
        assert shown[("EUR", "All purposes")] == "hidden", code
        assert shown[("EUR", "Transport")] == "3,000.00", code  # holds no hidden month figure
        per_month = _per_month(pages[code])
        assert per_month["April 2025"] == ["hidden"], code  # April's total, hidden in April
        assert per_month["May 2025"] == ["1,500.00"], code
        amounts = _amounts_shown(pages[code])
        # April medical (1,100), April's total (4,100), the quarter's medical (2,600) and total
        # (5,600): none is on any page, so none can be subtracted back.
        assert not amounts & {"1,100.00", "4,100.00", "2,600.00", "5,600.00"}, code
    for body in (
        cora_client.get("/staff/reports/2025-Q2/report.csv").content,
        cora_client.get("/staff/reports/2025/report.csv").content,
    ):
        assert b"4,100" not in body and b"2,600" not in body and b"5,600" not in body


def test_a_cancelled_grant_does_not_come_back_by_comparing_two_runs(cora_client, colin):
    made = [
        grant(staff=colin, amount=a, currency="EUR", purpose="medical", decided=at(2025, 4, d))
        for a, d in (("300.00", 3), ("400.00", 4), ("350.00", 5), ("350.00", 6))
    ]
    april = _funding(generate(cora_client, "2025-04"))
    assert april[("EUR", "All purposes")] == "1,400.00"
    # What funding_cancel (evacuation/services/casework.py) does to an approved grant.
    FundingProposal.objects.filter(pk=made[1].pk).update(status="cancelled", cancel_reason="other")
    q2 = generate(cora_client, "2025-Q2")
    year = generate(cora_client, "2025")
    for page in (q2, year):
        assert _funding(page)[("EUR", "All purposes")] == "1,400.00"  # not 1,000: 400 is one grant
        assert _per_month(page)["April 2025"] == ["1,400.00"]


def test_a_grant_cancelled_before_its_month_is_frozen_is_simply_not_counted(cora_client, colin):
    made = [
        grant(staff=colin, amount=a, currency="EUR", purpose="visa", decided=at(2025, 7, d))
        for a, d in (("300.00", 3), ("400.00", 4), ("350.00", 5), ("350.00", 6))
    ]
    FundingProposal.objects.filter(pk=made[1].pk).update(status="cancelled", cancel_reason="other")
    quarter = generate(cora_client, "2025-Q3")
    july = generate(cora_client, "2025-07")
    for page in (quarter, july):
        assert _funding(page)[("EUR", "Visa")] == "1,000.00"
