"""A report is generated once, for a period that has ended, and then frozen; generating and
exporting are audit events."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.models import AuditEvent
from reports import rules
from reports.models import FrozenError, FrozenMonth, Report
from reports.periods import Period
from reports.services import report_generate
from tests.reports.builders import at, make_cases, page_tables, relocated, staff_action
from tests.reports.conftest import generate

pytestmark = pytest.mark.django_db


def _last_month() -> str:
    first = timezone.localdate().replace(day=1)
    return f"{first - timedelta(days=1):%Y-%m}"


def _this(kind: str) -> str:
    today = timezone.localdate()
    return {
        "month": f"{today:%Y-%m}",
        "quarter": f"{today.year}-Q{(today.month - 1) // 3 + 1}",
        "year": f"{today.year}",
    }[kind]


@pytest.mark.parametrize("kind", ["month", "quarter", "year"])
def test_a_period_that_has_not_ended_is_refused_with_a_clear_message(cora_client, kind):
    code = _this(kind)
    response = cora_client.post("/staff/reports/generate/", {"period": code})
    assert response.status_code == 400
    assert f"{code} has not ended yet" in response.content.decode()
    assert not Report.objects.exists()
    assert not FrozenMonth.objects.exists()


@pytest.mark.parametrize("code", ["2025-13", "2025-Q5", "25-01", "next year", "", "2025-1"])
def test_a_malformed_period_is_refused(cora_client, code):
    response = cora_client.post("/staff/reports/generate/", {"period": code})
    assert response.status_code == 400
    assert not Report.objects.exists()


def test_last_month_can_be_generated(cora_client):
    code = _last_month()
    assert "Safe Passage report" in generate(cora_client, code)


def test_the_service_refuses_an_open_period_too(cora):
    from reports.periods import PeriodError

    with pytest.raises(PeriodError):
        report_generate(period=Period.parse(_this("year")), actor=cora)


def test_a_report_is_frozen_later_changes_to_cases_do_not_alter_it(cora_client, cora):
    cases = make_cases(12, created=at(2025, 2, 10))
    page = generate(cora_client, "2025-02")
    tables = page_tables(page)
    # Afterwards: more requests dated in February, one relocated in February, a staff action.
    make_cases(9, created=at(2025, 2, 20), urgency="now")
    relocated(1, region="eu", on=date(2025, 2, 25))
    staff_action(cases[0], cora, at(2025, 2, 11))
    again = cora_client.post("/staff/reports/generate/", {"period": "2025-02"}, follow=True)
    assert "was generated before" in again.content.decode()
    assert page_tables(again.content.decode()) == tables
    assert Report.objects.count() == 1
    report = Report.objects.get()
    with pytest.raises(FrozenError):
        report.save()


def test_generating_and_exporting_are_audit_events_with_short_codes(cora_client, cora):
    make_cases(2, created=at(2025, 7, 1))
    generate(cora_client, "2025-Q3")
    cora_client.get("/staff/reports/2025-Q3/report.csv")
    cora_client.get("/staff/reports/2025-Q3/report.xlsx")
    events = list(
        AuditEvent.objects.filter(action__startswith="report.")
        .order_by("sequence")
        .values("action", "actor", "data", "target_type", "target_ref")
    )
    assert events == [
        {
            "action": "report.generated",
            "actor": cora.pk,
            "data": {"period": "2025-Q3"},
            "target_type": "",
            "target_ref": "",
        },
        {
            "action": "report.exported",
            "actor": cora.pk,
            "data": {"period": "2025-Q3", "format": "csv"},
            "target_type": "",
            "target_ref": "",
        },
        {
            "action": "report.exported",
            "actor": cora.pk,
            "data": {"period": "2025-Q3", "format": "xlsx"},
            "target_type": "",
            "target_ref": "",
        },
    ]


def test_only_safe_figures_are_stored(cora_client):
    make_cases(3, created=at(2025, 4, 2), urgency="now")
    make_cases(7, created=at(2025, 4, 3))
    generate(cora_client, "2025-04")
    figures = Report.objects.get().figures
    weeks = figures["by_urgency"]["weeks"]  # 7, rounded to 5 or to 10
    assert weeks in (5, 10)
    assert figures["by_urgency"] == {"now": "<5", "weeks": weeks, "planning": 0}
    # The total is the sum of the same rounded counts: 7 + 3 shows as weeks + (0 or 5).
    assert figures["totals"]["received"] in (weeks, weeks + 5)
    assert figures["per_month"]["received"] == [figures["totals"]["received"]]
    stored = repr(figures)
    assert "'weeks': 7" not in stored and "'now': 3" not in stored


def _queries(period: str, actor) -> int:
    with CaptureQueriesContext(connection) as captured:
        report_generate(period=Period.parse(period), actor=actor)
    return len(captured.captured_queries)


def test_the_number_of_queries_does_not_grow_with_the_cases(cora, colin, monkeypatch):
    # Every count rounds up: otherwise the few cases' counts may all round to 0 (two times in
    # five each), and a report with no rounded row to store makes one INSERT fewer.
    monkeypatch.setattr(rules, "_draw", lambda _bound: 0)
    _queries("2023-Q4", cora)  # a first report pays for what any first call loads once
    make_cases(3, created=at(2024, 3, 5), urgency="now")
    relocated(2, region="eu", on=date(2024, 3, 20))
    few = _queries("2024-Q1", cora)
    for month in (4, 5, 6):
        cases = make_cases(15, created=at(2024, month, 5), urgency="now")
        relocated(8, region="caucasus", on=date(2024, month, 20))
        for case in cases[:10]:
            staff_action(case, colin, at(2024, month, 6))
    many = _queries("2024-Q2", cora)
    assert few == many
