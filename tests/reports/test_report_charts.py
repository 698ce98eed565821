"""The charts are SVG drawn on the server: no script, nothing from another site, and they render
under the site's Content-Security-Policy (their <style> carries the page's nonce)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from reports.charts import report_charts
from reports.models import Report
from tests.reports.builders import at, grant, make_cases, relocated, staff_action
from tests.reports.conftest import generate

pytestmark = pytest.mark.django_db


@pytest.fixture
def page_response(cora_client, colin):
    for month in (1, 2, 3):
        cases = make_cases(12, created=at(2025, month, 3), urgency="now")
        for i, case in enumerate(cases):
            staff_action(case, colin, at(2025, month, 3) + timedelta(hours=i))
        relocated(6, region="eu", on=date(2025, month, 25))
        grant(
            amount="900.00", currency="EUR", purpose="visa", decided=at(2025, month, 9), staff=colin
        )
        grant(
            amount="950.00",
            currency="EUR",
            purpose="visa",
            decided=at(2025, month, 11),
            staff=colin,
        )
    generate(cora_client, "2025-Q1")
    return cora_client.get("/staff/reports/2025-Q1/")


def _svgs(page: str) -> list[str]:
    return re.findall(r"<svg\b.*?</svg>", page, re.S)


def test_three_inline_svg_charts_with_no_script_and_nothing_from_elsewhere(page_response):
    page = page_response.content.decode()
    charts = _svgs(page)
    assert len(charts) == 3
    assert "<script" not in page.lower()
    for svg in charts:
        assert not re.search(r"\son\w+=", svg)  # no event handlers
        assert "javascript:" not in svg.lower()
        assert "xml-stylesheet" not in svg and "googleapis" not in svg
        assert not re.search(r'(?:href|src)="(?:https?:)?//', svg)
        assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", svg)
        assert "<!--" not in svg


def test_the_charts_render_under_the_csp_their_styles_carry_the_nonce(page_response):
    csp = page_response["Content-Security-Policy"]
    directives = {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";")}
    assert directives["script-src"] == "script-src 'self'"
    assert directives["default-src"] == "default-src 'self'"
    nonce = re.fullmatch(r"style-src 'self' 'nonce-([A-Za-z0-9+/=]+)'", directives["style-src"])
    assert nonce, csp
    assert "'unsafe-inline'" not in csp and "'unsafe-hashes'" not in csp
    page = page_response.content.decode()
    styles = re.findall(r"<style\b[^>]*>", page)
    assert len(styles) == 3
    assert all(f'nonce="{nonce.group(1)}"' in tag for tag in styles)
    # A style attribute needs 'unsafe-inline' (or hashes): the page has none.
    assert not re.search(r"\sstyle=", page)


def test_other_staff_pages_keep_the_strict_style_policy(page_response, cora_client):
    csp = cora_client.get("/staff/reports/")["Content-Security-Policy"]
    assert "style-src 'self';" in csp + ";" and "nonce" not in csp


def test_the_charts_speak_russian_on_the_russian_page(page_response, cora_client):
    cora_client.post("/i18n/setlang/", {"language": "ru", "next": "/staff/reports/"})
    page = cora_client.get("/staff/reports/2025-Q1/").content.decode()
    charts = _svgs(page)
    assert "Запросы по месяцам, по исходу" in charts[0]
    assert "янв" in charts[0].lower()
    assert "Время до первого действия сотрудника" in charts[1]
    assert "Одобренное финансирование по месяцам" in charts[2]
    assert "Requests" not in "".join(charts)


def test_small_counts_and_hidden_amounts_are_not_drawn(cora_client, colin):
    make_cases(3, created=at(2025, 4, 3))
    grant(amount="700.00", currency="USD", purpose="visa", decided=at(2025, 4, 9), staff=colin)
    generate(cora_client, "2025-04")
    figures = Report.objects.get().figures
    assert figures["per_month"]["received"] == ["<5"]
    assert figures["funding_per_month"] == {"USD": [None]}
    outcomes, _first, funding = (chart["svg"] for chart in report_charts(figures, nonce="n"))
    assert "fewer" not in outcomes  # nothing plotted, no number either
    assert 'class="rect reactive tooltip-trigger"' not in funding  # no bar


def test_the_page_prints_as_a_report(page_response):
    page = page_response.content.decode()
    assert '<link rel="stylesheet" href="/static/reports/print.css" media="print">' in page
    path = finders.find("reports/print.css")
    assert path
    css = Path(path).read_text(encoding="utf-8")
    assert "@page" in css and ".site-header" in css and "break-inside: avoid" in css
