"""Every page, whoever asks and whatever the answer, carries the browser-side protections."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import path

from config import urls as project_urls
from tests.factories import (
    CROSS_SITE,
    Applicant,
    code_mistyped,
    code_with_secret,
    intake_data,
    set_cookies,
)
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


def _intake(applicant: Applicant, **overrides):
    applicant.open("/request/")
    return applicant.act("intake", **intake_data(**overrides))


def test_applicant_pages_keep_their_headers_on_every_answer(team, settings):
    world = build_world(team)
    code = world["code"]
    applicant = Applicant()
    answers = {
        "invalid intake": _intake(applicant, name="", consent=""),
        "request form in Russian": Applicant(language="ru").open("/request/"),
    }
    applicant.check("1111-2222-3333-4444-5555")
    answers["malformed code"] = applicant.response
    answers["mistyped code"] = applicant.check(code_mistyped(code))
    answers["wrong code"] = applicant.check(code_with_secret(code, "0" * 16))
    applicant.open("/status/")
    answers["empty code"] = applicant.act("lookup", code="")
    answers["right code"] = applicant.check(code)
    answers["message sent"] = applicant.act("message", text="A question about my request")
    answers["message sent again"] = applicant.resend()
    answers["confirm withdraw"] = applicant.act("confirm_withdraw")
    answers["from another site"] = applicant.act("keep", headers=CROSS_SITE)
    answers["HEAD home"] = applicant.client.head("/en/")
    answers["PUT request"] = applicant.client.put("/en/request/")
    assert answers["from another site"].status_code == 403
    settings.RATE_LIMITS_ENABLED = True
    settings.RATE_LIMIT_CODE_FAILURES_PER_SOURCE = 1
    settings.RATE_LIMIT_CODE_TRICKLE_PER_MINUTE = 1
    settings.RATE_LIMIT_INTAKE_PER_SOURCE = 1
    for _ in range(2):  # the source's one wrong code, then its one of the trickle
        applicant.check(code_with_secret(code, "1" * 16))
    answers["look-up rate limited"] = applicant.check(code_with_secret(code, "2" * 16))
    _intake(Applicant(applicant.client))
    answers["intake rate limited"] = _intake(Applicant(applicant.client))
    assert answers["look-up rate limited"].status_code == 429
    assert answers["intake rate limited"].status_code == 429
    for label, response in answers.items():
        assert response.status_code < 500, label
        assert_applicant(response, label)
        assert not set_cookies(response), f"{label}: a cookie on an applicant page"
    # The bare address's redirect to a language (LocaleMiddleware, before any applicant view):
    # protected, no cookie, and no referrer to another site.
    bare = Client().get("/request/")
    assert bare.status_code == 302 and bare["Location"] == "/en/request/"
    assert_protected(bare, "unprefixed")
    assert bare.get("Referrer-Policy") in ("no-referrer", "same-origin")
    assert not set_cookies(bare)


def _boom(request):
    raise RuntimeError("a bug in some view")


urlpatterns = [path("boom/", _boom), *project_urls.urlpatterns]


@pytest.mark.urls("tests.security.test_headers")
def test_error_pages_404_405_and_500_carry_the_headers_too():
    client = Client(raise_request_exception=False)
    for label, response in {
        "404": client.get("/no/such/page/"),
        "405": client.delete("/en/request/"),
        "500": client.get("/boom/"),
    }.items():
        assert response.status_code == int(label), label
        assert_protected(response, label)
        assert b"a bug in some view" not in response.content


def test_static_files_are_not_sniffed():
    response = Client().get("/static/css/site.css")
    assert response.status_code == 200
    assert response.get("X-Content-Type-Options") == "nosniff"
