"""Every page, whoever asks and whatever the answer, carries the browser-side protections."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import include, path

from tests.factories import intake_data
from tests.security.pages import APPLICANT_PATTERNS, build_world, clients, patterns

pytestmark = pytest.mark.django_db


def assert_protected(response, where: str) -> None:
    assert response.get("X-Content-Type-Options") == "nosniff", where
    if 300 <= response.status_code < 400 and not response.content:
        # A bodiless redirect renders nothing to frame or script; the 2FA middleware answers
        # these before the CSP/frame/no-store middleware runs.
        return
    csp = response.get("Content-Security-Policy", "")
    directives = {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";") if part}
    assert directives.get("default-src") == "default-src 'self'", f"{where}: CSP {csp!r}"
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", f"{where}: {csp!r}"
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, f"{where}: {csp!r}"
    assert response.get("X-Frame-Options") == "DENY", where
    # Staff pages hold decrypted data and applicant pages what a person typed: no copies.
    assert response.get("Cache-Control") == "no-store", where


def assert_applicant(response, where: str) -> None:
    assert_protected(response, where)
    assert response.get("Referrer-Policy") == "no-referrer", where


def test_every_url_pattern_answers_every_visitor_with_the_protective_headers(team):
    world = build_world(team)
    visitors = clients(world)
    checked = 0
    for page in patterns():
        url = page.url(world["params"])
        for visitor, client in visitors.items():
            response = client.get(url)
            where = f"GET {url} as {visitor} -> {response.status_code}"
            assert_protected(response, where)
            if page.pattern in APPLICANT_PATTERNS:
                assert_applicant(response, where)
            checked += 1
    assert checked >= 7 * 30  # the walk really covered the project


def test_applicant_pages_keep_their_headers_on_every_answer(team, settings):
    world = build_world(team)
    client = Client()
    answers = {
        "invalid intake": client.post("/request/", intake_data(name="", consent="")),
        "wrong code": client.post("/status/", {"code": "1111-2222-3333-4444-5555"}),
        "empty code": client.post("/status/", {}),
        "right code": client.post("/status/", {"code": world["code"]}),
        "confirm withdraw": client.post(
            "/status/", {"code": world["code"], "step": "confirm_withdraw"}
        ),
        "HEAD home": client.head("/"),
        "PUT request": client.put("/request/"),
    }
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_CODE_PER_SOURCE = 1
    client.post("/status/", {"code": "0"})
    answers["rate limited"] = client.post("/status/", {"code": "0"})
    assert answers["rate limited"].status_code == 429
    for label, response in answers.items():
        assert response.status_code < 500, label
        assert_applicant(response, label)


def _boom(request):
    raise RuntimeError("a bug in some view")


urlpatterns = [path("boom/", _boom), path("", include("config.urls"))]


@pytest.mark.urls("tests.security.test_headers")
def test_error_pages_404_405_and_500_carry_the_headers_too():
    client = Client(raise_request_exception=False)
    for label, response in {
        "404": client.get("/no/such/page/"),
        "405": client.delete("/request/"),
        "500": client.get("/boom/"),
    }.items():
        assert response.status_code == int(label), label
        assert_protected(response, label)
        assert b"a bug in some view" not in response.content


def test_static_files_are_not_sniffed():
    response = Client().get("/static/css/site.css")
    assert response.status_code == 200
    assert response.get("X-Content-Type-Options") == "nosniff"
