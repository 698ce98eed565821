"""Data built to leak, and the proof that the reports do not: one case in a region, a quarter
minus two of its months, a total minus its other rows, one large grant, small groups' waiting
times. Each goes through the real pages (generated and read by a coordinator).

For the two differencing cases the test plays the attacker: it lists every possible truth
(small counts from 1 to 4) and keeps those that could have produced every figure the reports
show, under the rules the reports follow (reports.rules: each month's count rounded once to a
neighbouring multiple of 5, every figure the sum of those). All of them remain: the reports
narrow nothing. The same data under independent rounding of each figure would leave exactly
one, the truth: that is what the data was built to catch.
"""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from reports import rules
from tests.reports.builders import (
    at,
    csv_rows,
    grant,
    make_cases,
    page_tables,
    relocated,
    shown_number,
    staff_action,
    table_value,
    xlsx_rows,
)
from tests.reports.conftest import generate

pytestmark = pytest.mark.django_db

ROUNDINGS = ["round_up", "round_down", "by_chance"]


@pytest.fixture(params=ROUNDINGS)
def rounding(request):
    if request.param != "by_chance":
        request.getfixturevalue(request.param)
    return request.param


# --- the attacker's model of the rules ------------------------------------------------------------


def _neighbours(n: int) -> set[int]:
    return {5 * (n // 5), 5 * (-(-n // 5))}


def _rule(true: int, rounded: int):
    if true == 0:
        return 0
    if true < 5:
        return None  # "fewer than 5"
    return max(5, rounded)


def _could_show(world: dict[str, int], figures: list[tuple[set[str], object]]) -> bool:
    """Whether some rounding of the atoms of `world` gives every (atoms, shown) figure."""
    atoms = sorted(world)
    for choice in itertools.product(*(sorted(_neighbours(world[a])) for a in atoms)):
        rounded = dict(zip(atoms, choice, strict=True))
        if all(
            _rule(sum(world[a] for a in cells), sum(rounded[a] for a in cells)) == shown
            for cells, shown in figures
        ):
            return True
    return False


def _naive(true: int):
    """Each figure rounded on its own to the nearest multiple of 5 (what this design avoids)."""
    if true == 0:
        return 0
    if true < 5:
        return None
    return 5 * ((true + 2) // 5)


def _naive_worlds(truth: dict[str, int], figures_cells: list[set[str]], ranges) -> list[dict]:
    shown = [_naive(sum(truth[a] for a in cells)) for cells in figures_cells]
    found = []
    for values in itertools.product(*ranges.values()):
        world = dict(zip(ranges, values, strict=True))
        if all(
            _naive(sum(world[a] for a in cells)) == s
            for cells, s in zip(figures_cells, shown, strict=True)
        ):
            found.append(world)
    return found


# --- one case in a region ------------------------------------------------------------------------


def test_one_case_in_a_region_is_fewer_than_5_everywhere(cora_client, rounding):
    relocated(12, region="eu", on=date(2025, 8, 10))
    relocated(1, region="central_asia", on=date(2025, 8, 12))
    page = generate(cora_client, "2025-Q3")
    assert table_value(page, "region", "Central Asia") == "fewer than 5"
    assert shown_number(table_value(page, "region", "European Union")) % 5 == 0
    csv_body = cora_client.get("/staff/reports/2025-Q3/report.csv").content
    assert ["Central Asia", "fewer than 5"] in csv_rows(csv_body)
    xlsx_body = cora_client.get("/staff/reports/2025-Q3/report.xlsx").content
    assert ["Central Asia", "fewer than 5"] in xlsx_rows(xlsx_body)


# --- a quarter minus two of its months -----------------------------------------------------------


def test_a_quarter_minus_two_of_its_months_recovers_no_small_count(cora_client, rounding):
    truth = {"jul": 5, "aug": 1, "sep": 1}
    make_cases(truth["jul"], created=at(2025, 7, 8))
    make_cases(truth["aug"], created=at(2025, 8, 8))
    make_cases(truth["sep"], created=at(2025, 9, 8))
    pages = {code: generate(cora_client, code) for code in ("2025-07", "2025-08", "2025-09")}
    quarter = generate(cora_client, "2025-Q3")

    def received(page):
        return shown_number(table_value(page, "outcomes", "Requests received"))

    shown = {"jul": received(pages["2025-07"]), "aug": received(pages["2025-08"])}
    shown["sep"] = received(pages["2025-09"])
    assert shown == {"jul": 5, "aug": None, "sep": None}  # 5, fewer than 5, fewer than 5
    total = received(quarter)
    # The quarter is the sum of its months' rounded counts: 5 + (0 or 5) + (0 or 5).
    assert total in (5, 10, 15)
    # Its own per-month table says what the month reports say.
    months = page_tables(quarter)["per_month"]
    assert [shown_number(row[1]) for row in months[1:]] == [5, None, None]

    figures = [({"jul"}, 5), ({"aug"}, None), ({"sep"}, None), ({"jul", "aug", "sep"}, total)]
    possible = {
        (aug, sep)
        for jul, aug, sep in itertools.product(range(5, 10), range(1, 5), range(1, 5))
        if _could_show({"jul": jul, "aug": aug, "sep": sep}, figures)
    }
    assert possible == set(itertools.product(range(1, 5), range(1, 5)))

    # The data is built to leak: rounded independently, these figures pin August and September.
    naive = _naive_worlds(
        truth,
        [{"jul"}, {"aug"}, {"sep"}, {"jul", "aug", "sep"}],
        {"jul": range(5, 10), "aug": range(1, 5), "sep": range(1, 5)},
    )
    assert naive == [truth]


# --- a total minus the other rows ----------------------------------------------------------------


def test_a_total_minus_the_other_rows_recovers_no_small_count(cora_client, rounding):
    truth = {"weeks": 5, "now": 1, "planning": 1}
    for urgency, count in truth.items():
        make_cases(count, created=at(2025, 10, 6), urgency=urgency)
    page = generate(cora_client, "2025-10")
    total = shown_number(table_value(page, "outcomes", "Requests received"))
    rows = {
        "weeks": shown_number(table_value(page, "urgency", "I need to leave within weeks")),
        "now": shown_number(table_value(page, "urgency", "I am in danger now")),
        "planning": shown_number(table_value(page, "urgency", "I am planning ahead")),
    }
    assert rows == {"weeks": 5, "now": None, "planning": None}
    assert total in (5, 10, 15)
    figures = [({"weeks", "now", "planning"}, total)] + [({k}, v) for k, v in rows.items()]
    possible = {
        (now, planning)
        for weeks, now, planning in itertools.product(range(5, 10), range(1, 5), range(1, 5))
        if _could_show({"weeks": weeks, "now": now, "planning": planning}, figures)
    }
    assert possible == set(itertools.product(range(1, 5), range(1, 5)))
    naive = _naive_worlds(
        truth,
        [{"weeks", "now", "planning"}, {"weeks"}, {"now"}, {"planning"}],
        {"weeks": range(5, 10), "now": range(1, 5), "planning": range(1, 5)},
    )
    assert naive == [truth]


def test_every_count_on_the_page_is_zero_a_multiple_of_5_or_fewer_than_5(cora_client):
    for month, count in ((1, 3), (2, 7), (3, 11)):
        make_cases(count, created=at(2025, month, 4), urgency="now")
        relocated(count, region="caucasus", on=date(2025, month, 20))
    page = generate(cora_client, "2025-Q1")
    tables = page_tables(page)
    for key in ("outcomes", "per_month", "urgency", "risk", "verified", "region"):
        for row in tables[key][1:]:
            for cell in row[1:]:
                value = shown_number(cell)
                assert value is None or value % 5 == 0, (key, row)


# --- money ---------------------------------------------------------------------------------------


def test_one_large_grant_hides_every_total_it_would_show_through(cora_client, colin):
    for amount in ("100.00", "100.00", "100.00"):
        grant(
            staff=colin, amount=amount, currency="EUR", purpose="transport", decided=at(2025, 10, 3)
        )
    for amount in ("500.00", "600.00", "700.00"):
        grant(
            staff=colin, amount=amount, currency="EUR", purpose="shelter", decided=at(2025, 10, 4)
        )
    grant(
        staff=colin, amount="9000.00", currency="EUR", purpose="transport", decided=at(2025, 11, 5)
    )
    for amount in ("300.00", "300.00"):
        grant(staff=colin, amount=amount, currency="USD", purpose="visa", decided=at(2025, 12, 6))
    page = generate(cora_client, "2025-Q4")
    funding = {(row[0], row[1]): row[3] for row in page_tables(page)["funding"][1:]}
    assert funding[("EUR", "Transport")] == "hidden"
    assert funding[("EUR", "All purposes")] == "hidden"
    assert funding[("EUR", "Shelter")] == "1,800.00"
    assert funding[("USD", "Visa")] == "600.00"  # two equal grants: neither is more than half
    assert funding[("USD", "All purposes")] == "600.00"
    per_month = {row[0]: row[1:] for row in page_tables(page)["funding_per_month"][1:]}
    assert per_month["October 2025"] == ["2,100.00", "0.00"]
    assert per_month["November 2025"] == ["hidden", "0.00"]
    assert per_month["December 2025"] == ["0.00", "600.00"]
    for body in (
        page.encode(),
        cora_client.get("/staff/reports/2025-Q4/report.csv").content,
    ):
        assert b"9,000" not in body and b"9000" not in body and b"9 000" not in body
        assert b"9,300" not in body and b"11,100" not in body  # transport, EUR totals
    rows = xlsx_rows(cora_client.get("/staff/reports/2025-Q4/report.xlsx").content)
    assert ["EUR", "Transport", "fewer than 5", "hidden"] in rows
    assert all(9000.0 not in row and 11100.0 not in row and 9300.0 not in row for row in rows)


def test_a_hidden_month_cannot_be_had_from_the_total_minus_the_other_months(cora_client, colin):
    grant(staff=colin, amount="5000.00", currency="EUR", purpose="visa", decided=at(2025, 4, 10))
    for month in (5, 6):
        for amount in ("1500.00", "1500.00", "1500.00"):
            grant(
                staff=colin,
                amount=amount,
                currency="EUR",
                purpose="visa",
                decided=at(2025, month, 3),
            )
    page = generate(cora_client, "2025-Q2")
    per_month = {row[0]: row[1] for row in page_tables(page)["funding_per_month"][1:]}
    assert per_month == {"April 2025": "hidden", "May 2025": "4,500.00", "June 2025": "4,500.00"}
    # The visa row (5,000 of 14,000: no grant above half) would give April back as the total
    # minus May and June: it holds April's grant, so it is hidden too, and so is the total.
    funding = {(row[0], row[1]): row[3] for row in page_tables(page)["funding"][1:]}
    assert funding[("EUR", "Visa")] == "hidden"
    assert funding[("EUR", "All purposes")] == "hidden"


# --- waiting times -------------------------------------------------------------------------------


def test_medians_and_percentiles_only_for_groups_large_enough(cora_client, colin):
    for month, size in ((1, 9), (2, 10), (3, 20)):
        cases = make_cases(size, created=at(2025, month, 2, hour=0))
        for i, case in enumerate(cases, start=1):
            staff_action(case, colin, at(2025, month, 2, hour=i))
    pages = {m: generate(cora_client, f"2025-0{m}") for m in (1, 2, 3)}
    label = "the first staff action (hours)"
    assert table_value(pages[1], "times", label, 1) == "too few to show"
    assert table_value(pages[1], "times", label, 2) == "too few to show"
    assert table_value(pages[2], "times", label, 1) == "5.5"
    assert table_value(pages[2], "times", label, 2) == "too few to show"
    assert table_value(pages[3], "times", label, 1) == "10.5"
    assert table_value(pages[3], "times", label, 2) == "18.1"  # percentile_cont of 1..20 h


def test_the_first_staff_action_is_the_first_event_a_staff_member_recorded(cora_client, colin):
    cases = make_cases(10, created=at(2025, 11, 3, hour=0))
    for case in cases:
        # The applicant's own visits are not staff actions.
        from audit.services import record
        from tests.reports.builders import clock

        with clock(at(2025, 11, 3, hour=1)):
            record(
                action="case.status_viewed",
                actor="applicant",
                target_type="case",
                target_ref=case.reference,
            )
        staff_action(case, colin, at(2025, 11, 3, hour=6))
        staff_action(case, colin, at(2025, 11, 3, hour=9))
    page = generate(cora_client, "2025-11")
    assert table_value(page, "times", "the first staff action (hours)", 1) == "6.0"


def test_the_share_of_urgent_requests_acted_on_in_time_comes_from_the_rounded_counts(
    cora_client, colin, round_up
):
    cases = make_cases(10, created=at(2025, 5, 5, hour=0), urgency="now")
    for i, case in enumerate(cases):
        staff_action(case, colin, at(2025, 5, 5, hour=3) if i < 7 else at(2025, 5, 7))
    page = generate(cora_client, "2025-05")
    rows = {row[0]: row[1] for row in page_tables(page)["target"][1:]}
    assert rows["First staff action within 24 hours"] == "10"  # 7, rounded up
    assert rows["Later, or not yet"] == "fewer than 5"  # 3
    assert rows["Share acted on within the target (%)"] == "67"  # 10 / (10 + 5)
    assert rules.share(10, 15) == 67
