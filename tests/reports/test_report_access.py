"""Who may reach the report pages: coordinators and auditors (view_reports); caseworkers and
administrators get 403; nobody gets there without the second factor."""

from __future__ import annotations

import pytest
from django.test import Client

from reports.models import Report
from tests.factories import make_staff, verified_client
from tests.reports.builders import at, make_cases
from tests.reports.conftest import generate

pytestmark = pytest.mark.django_db

PAGES = [
    "/staff/reports/",
    "/staff/reports/2025-Q3/",
    "/staff/reports/2025-Q3/report.csv",
    "/staff/reports/2025-Q3/report.xlsx",
]


@pytest.fixture
def frozen(cora_client):
    make_cases(3, created=at(2025, 8, 3))
    generate(cora_client, "2025-Q3")


@pytest.mark.parametrize("who", ["cora", "audrey"])
def test_coordinators_and_auditors_reach_every_report_page(frozen, who, request):
    client = verified_client(request.getfixturevalue(who))
    for url in PAGES:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", ["carla", "adam"])
def test_caseworkers_and_administrators_get_403_everywhere(frozen, who, request):
    client = verified_client(request.getfixturevalue(who))
    for url in PAGES:
        assert client.get(url).status_code == 403, url
    assert client.post("/staff/reports/generate/", {"period": "2025-Q2"}).status_code == 403
    assert not Report.objects.filter(period_start="2025-04-01").exists()


def test_nobody_gets_there_without_both_factors(frozen):
    for url in PAGES:
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/staff/login/")
    half = make_staff(username="half_signed_in", role="coordinator")
    client = Client()
    client.post(
        "/staff/login/", {"username": half.username, "password": "correct horse battery staple 42"}
    )
    for url in PAGES:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/staff/login/code/", url
    assert Client().post("/staff/reports/generate/", {"period": "2025-Q2"}).status_code == 302


def test_an_auditor_may_generate_too(audrey):
    make_cases(1, created=at(2025, 5, 3))
    page = generate(verified_client(audrey), "2025-05")
    assert "Safe Passage report: May 2025" in page


def test_the_staff_menu_offers_reports_to_who_may(frozen, cora, audrey, carla, adam):
    for person, offered in ((cora, True), (audrey, True), (carla, False), (adam, False)):
        page = verified_client(person).get("/staff/").content.decode()
        assert ('href="/staff/reports/"' in page) is offered, person.username


def test_unknown_and_ungenerated_periods_are_404(cora_client):
    assert cora_client.get("/staff/reports/2025-Q1/").status_code == 404
    assert cora_client.get("/staff/reports/2025-Q1/report.csv").status_code == 404
    assert cora_client.get("/staff/reports/2025-13/").status_code == 404
    assert cora_client.get("/staff/reports/1999/").status_code == 404
