from __future__ import annotations

import re

import pytest

from evacuation.models import Case, State
from tests.factories import vault_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_request_is_sent_and_its_status_checked_with_javascript_off(live_server, no_js_page):
    vault_ready()
    page = no_js_page
    page.goto(f"{live_server.url}/")
    page.click("a[href='/request/']")
    page.wait_for_url("**/request/")

    page.fill("input[name=name]", "Browser Alias")
    page.check("input[name=contact_method][value=signal]")
    page.fill("input[name=contact_handle]", "@browser_alias")
    page.fill("input[name=country]", "Somewhere")
    page.fill("input[name=city]", "Some City")
    page.fill("textarea[name=situation]", "People near my home threaten me.")
    page.check("input[name=urgency][value=now]")
    page.fill("input[name=party_size]", "1")
    page.check("input[name=travel_documents][value=valid_passport]")
    page.check("input[name=help_needed][value=transport]")
    page.check("input[name=consent]")
    page.click("button[type=submit]:has-text('Send my request')")

    receipt = page.locator("p.receipt").inner_text()
    code = re.sub(r"\s+", " ", receipt).strip()
    assert re.fullmatch(r"\d{4}( ?-? ?\d{4}){4}", code), code
    case = Case.objects.get()
    assert case.state == State.RECEIVED
    assert case.reference in page.content()

    page.goto(f"{live_server.url}/status/")
    page.fill("input[name=code]", code)
    page.click("button[type=submit]:has-text('Check')")
    page.wait_for_selector("text=Withdraw my request")
    assert case.reference in page.content()
    assert "Browser Alias" not in page.content()  # the status page never echoes the request
