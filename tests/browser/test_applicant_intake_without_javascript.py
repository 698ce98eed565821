from __future__ import annotations

import re

import pytest

from evacuation.models import Case, State
from tests.factories import vault_ready

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE_SHAPE = r"\d{4}(-\d{4}){5}"  # 24 digits, six groups of four


def _fill_the_form(page) -> None:
    page.fill("input[name=name]", "Browser Alias")
    page.check("input[name=contact_method][value=signal]")
    page.fill("input[name=contact_handle]", "@browser_alias")
    page.fill("input[name=country]", "Somewhere")
    page.fill("input[name=city]", "Some City")
    page.fill("textarea[name=situation]", "People near my home threaten me.")
    page.check("input[name=urgency][value=now]")
    page.fill("input[name=party_size]", "3")
    page.check("input[name=travel_documents][value=valid_passport]")
    page.check("input[name=help_needed][value=transport]")
    page.check("input[name=consent]")


def _receipt(page) -> str:
    return re.sub(r"\s+", "", page.locator("p.receipt").inner_text())


def test_a_request_is_sent_and_its_status_checked_with_javascript_off(live_server, no_js_page):
    vault_ready()
    page = no_js_page
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/en/"  # the browser's language (en-GB), in the URL
    page.click("a[href='/en/request/']")
    page.wait_for_url("**/en/request/")

    _fill_the_form(page)
    page.click("button[type=submit]:has-text('Send my request')")

    code = _receipt(page)
    assert re.fullmatch(CODE_SHAPE, code), code
    case = Case.objects.get()
    assert case.state == State.RECEIVED
    assert case.reference in page.content()
    assert page.context.cookies() == []  # the applicant's pages leave nothing in the browser

    page.goto(f"{live_server.url}/en/status/")
    page.fill("input[name=code]", code)
    page.click("button[type=submit]:has-text('Check')")
    page.wait_for_selector("text=Withdraw my request")
    assert case.reference in page.content()
    assert code not in page.content()  # the status page carries a capability, not the code
    assert page.context.cookies() == []


@pytest.fixture
def phone_without_javascript(browser):
    """A phone-sized browser (390 x 844) with JavaScript off."""
    context = browser.new_context(
        java_script_enabled=False, locale="en-GB", viewport={"width": 390, "height": 844}
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()


def test_reloading_the_receipt_makes_no_second_case_and_back_shows_an_empty_form(
    live_server, phone_without_javascript
):
    """A lost answer or an impatient reload (the browser sends the same POST again) shows the
    same code and makes nothing new; going Back after sending shows the form empty, so what
    was typed is not left on the phone for someone else to read."""
    vault_ready()
    page = phone_without_javascript
    page.goto(f"{live_server.url}/en/request/")
    assert page.locator("form[data-form=intake]").get_attribute("autocomplete") == "off"
    _fill_the_form(page)
    with page.expect_navigation():
        page.click("button[type=submit]:has-text('Send my request')")
    code = _receipt(page)
    assert re.fullmatch(CODE_SHAPE, code), code
    reference = Case.objects.get().reference

    # Reload: Chromium sends the POST again (no dialog without JavaScript in headless mode).
    response = page.reload()
    assert response is not None and response.request.method == "POST"
    assert response.status == 200
    assert "Your request had already reached us; no second request was made." in page.content()
    assert _receipt(page) == code
    assert reference in page.content()
    assert Case.objects.count() == 1

    # Back to the form: it is drawn afresh (no-store), with nothing that was typed.
    page.go_back()
    page.wait_for_url("**/en/request/")
    assert page.locator("form[data-form=intake]").count() == 1
    for field in ("name", "contact_handle", "country", "city"):
        assert page.input_value(f"input[name={field}]") == "", field
    assert page.input_value("input[name=party_size]") == "1"  # the form's default, not the 3
    assert page.input_value("textarea[name=situation]") == ""
    assert not page.is_checked("input[name=consent]")
    assert not page.is_checked("input[name=urgency][value=now]")
    assert "Browser Alias" not in page.content()
    assert code not in page.content()
    assert Case.objects.count() == 1
