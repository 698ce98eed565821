"""Forms that come from another site. Staff pages use Django's CSRF check (a cookie and a token).
The applicant's pages set no cookie, so each form carries a token signed by the server instead,
and a POST that the browser says comes from another site is refused before anything is done.
Applicant pages send no referrer, so browsers post them with `Origin: null`."""

from __future__ import annotations

import pytest
from django.test import Client

from audit.models import AuditEvent
from core.models import SpentToken
from core.tokens import token_issue
from evacuation.models import Case, Message, State
from tests.factories import (
    Applicant,
    applicant_with,
    intake_data,
    receipt_on,
    request_sent,
    send_form,
    vault_ready,
)

pytestmark = pytest.mark.django_db

NOTHING_WAS_DONE = "Nothing was done"
NOT_FROM_HERE = "This form did not come from our own pages, so nothing was done."
NOT_FROM_HERE_RU = "Эта форма пришла не с наших страниц, поэтому ничего не сделано."  # noqa: RUF001
TOO_OLD = "This page was open for a long time, so it was not sent."

FROM_ANOTHER_SITE = [
    pytest.param({"Sec-Fetch-Site": "cross-site"}, id="sec-fetch-site cross-site"),
    pytest.param({"Sec-Fetch-Site": "same-site"}, id="sec-fetch-site same-site"),
    pytest.param({"Origin": "https://evil.example"}, id="origin of another site"),
    pytest.param(
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
        id="cross-site, whatever the origin says",
    ),
]


def _client_with_token(path: str) -> tuple[Client, str]:
    client = Client(enforce_csrf_checks=True)
    client.get(path)
    return client, client.cookies["csrftoken"].value


def test_an_applicant_form_posted_with_a_null_origin_and_its_token_is_accepted():
    vault_ready()
    # Django's CSRF check is enforced, yet no CSRF cookie is needed: the form's own token holds.
    applicant = Applicant(Client(enforce_csrf_checks=True))
    applicant.open("/request/")
    assert not applicant.client.cookies
    response = send_form(applicant, "intake", intake_data(), headers={"Origin": "null"})
    assert response.status_code == 200
    assert receipt_on(applicant.page)


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({"Sec-Fetch-Site": "same-origin"}, id="same-origin"),
        pytest.param({"Sec-Fetch-Site": "none"}, id="typed by the person"),
        pytest.param({"Origin": "http://testserver"}, id="our own origin"),
        pytest.param({}, id="no header (a very old browser)"),
    ],
)
def test_an_applicant_form_from_our_own_pages_is_accepted(headers):
    vault_ready()
    applicant = Applicant()
    applicant.open("/request/")
    send_form(applicant, "intake", intake_data(), headers=headers)
    assert receipt_on(applicant.page)
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(None, id="no token"),
        pytest.param("forged", id="a made-up token"),
        pytest.param("lookup", id="another form's token"),
    ],
)
def test_an_applicant_form_without_its_token_is_still_refused(token):
    vault_ready()
    data = intake_data(city="Kept City")
    if token is not None:
        data["form_token"] = token_issue("lookup") if token == "lookup" else token
    response = Client(enforce_csrf_checks=True).post("/en/request/", data, HTTP_ORIGIN="null")
    page = response.content.decode()
    # Nothing is made; what was typed is shown again with a fresh form to send it from.
    assert response.status_code == 200
    assert TOO_OLD in page and 'value="Kept City"' in page
    assert receipt_on(page) is None
    assert not Case.objects.exists() and not SpentToken.objects.exists()


def test_a_staff_form_with_a_null_origin_is_refused():
    client, token = _client_with_token("/staff/login/")
    response = client.post(
        "/staff/login/",
        {"username": "x", "password": "y", "csrfmiddlewaretoken": token},
        HTTP_ORIGIN="null",
    )
    assert response.status_code == 403


# --- a POST from another site: 403, the project's own page, and nothing done ------------------


@pytest.mark.parametrize("headers", FROM_ANOTHER_SITE)
def test_a_request_form_from_another_site_is_refused_and_makes_nothing(headers):
    vault_ready()
    applicant = Applicant()
    applicant.open("/request/")
    response = send_form(applicant, "intake", intake_data(), headers=headers)
    page = applicant.page
    assert response.status_code == 403
    assert f"<h1>{NOTHING_WAS_DONE}</h1>" in page and NOT_FROM_HERE in page
    assert 'class="quick-exit"' in page and 'lang="en"' in page
    assert receipt_on(page) is None
    assert not Case.objects.exists() and not SpentToken.objects.exists()
    # The same form (its one-time token too) sent again from our own page is accepted: the
    # refusal spent nothing.
    applicant.resend()
    assert receipt_on(applicant.page) and Case.objects.count() == 1


@pytest.mark.parametrize("headers", FROM_ANOTHER_SITE)
def test_a_status_form_from_another_site_is_refused_and_changes_nothing(headers):
    vault_ready()
    reference, code = request_sent()
    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    withdraw_page = applicant.response
    response = applicant.act("withdraw", headers=headers)
    assert response.status_code == 403
    assert NOT_FROM_HERE in applicant.page and reference not in applicant.page
    assert Case.objects.get(reference=reference).state == State.RECEIVED
    assert not AuditEvent.objects.filter(action="case.withdrawn").exists()
    # A message and a code look-up from another site are refused too.
    lookup = Applicant()
    lookup.open("/status/")
    assert lookup.act("lookup", code=code, headers=headers).status_code == 403
    assert reference not in lookup.page and 'name="capability"' not in lookup.page
    status = applicant_with(code)
    assert status.act("message", text="From elsewhere", headers=headers).status_code == 403
    assert not Message.objects.exists()
    # The withdrawal form itself was not spent: sent from our own page, it works.
    applicant.response = withdraw_page
    applicant.act("withdraw")
    assert "Your request has been withdrawn." in applicant.page


def test_the_refusal_speaks_the_visitors_language():
    vault_ready()
    applicant = Applicant(language="ru")
    applicant.open("/request/")
    response = send_form(
        applicant, "intake", intake_data(), headers={"Sec-Fetch-Site": "cross-site"}
    )
    page = applicant.page
    assert response.status_code == 403
    assert 'lang="ru"' in page
    assert "Ничего не сделано" in page and NOT_FROM_HERE_RU in page
    assert NOT_FROM_HERE not in page
    lookup = Applicant(language="ru")
    lookup.open("/status/")
    response = lookup.act("lookup", code="1234", headers={"Origin": "https://evil.example"})
    assert response.status_code == 403 and NOT_FROM_HERE_RU in lookup.page
    assert not Case.objects.exists()
