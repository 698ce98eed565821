from __future__ import annotations

import re

import pytest
from django.utils import dateformat, translation

from audit.models import AuditEvent
from evacuation.models import Attachment, Case, Message, State
from evacuation.services import retention
from tests.factories import (
    case_opened,
    photo_with_gps,
    submit_intake,
    vault_ready,
    verified_client,
)

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


# --- the status page, reloaded and switched (issue 14, defects 2, 4, 5, 8, 9, 10) -------------

ALREADY_SENT_NOTE = "This was already sent. Here is your request as it is now."


def _go(page, selector: str) -> None:
    """Presses a submit button and waits for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def _status(page, base: str, code: str, language: str = "en") -> None:
    page.goto(f"{base}/{language}/status/")
    page.fill("input[name=code]", code)
    _go(page, "form[data-form=lookup] button[type=submit]")
    assert page.locator("form[data-form=message]").count() == 1, "the code was refused"


def _reload_post(page) -> None:
    """Reload: Chromium sends the last POST again, as it was (no dialog in headless mode)."""
    response = page.reload()
    assert response is not None and response.request.method == "POST"
    assert response.status == 200


def test_reloading_after_a_message_a_file_or_withdrawing_sends_nothing_twice(
    live_server, phone_without_javascript, tmp_path, team
):
    """Defect 2: each reload of a write answers "already sent" with the thread as it is."""
    _reference, code = submit_intake()
    case = Case.objects.get()
    page = phone_without_javascript
    _status(page, live_server.url, code)

    page.fill("form[data-form=message] textarea", "Please write to me only on Signal.")
    _go(page, "form[data-form=message] button[type=submit]")
    assert "Your message is sent." in page.content()
    _reload_post(page)
    assert ALREADY_SENT_NOTE in page.content()
    assert page.locator(".thread .from_applicant").count() == 1
    assert Message.objects.filter(case=case).count() == 1

    photo = tmp_path / "IMG_0042.jpg"
    photo.write_bytes(photo_with_gps())
    page.set_input_files("form[data-form=upload] input[type=file]", str(photo))
    _go(page, "form[data-form=upload] button[type=submit]")
    assert "Your file is sent." in page.content()
    _reload_post(page)
    assert ALREADY_SENT_NOTE in page.content()
    assert page.locator(".files li").count() == 1
    assert Attachment.objects.filter(case=case).count() == 1

    _go(page, "form[data-form=confirm_withdraw] button")
    _go(page, "form[data-form=withdraw] button")
    assert "Your request has been withdrawn." in page.content()
    events = AuditEvent.objects.count()
    _reload_post(page)
    assert ALREADY_SENT_NOTE in page.content()
    assert Case.objects.get().state == State.WITHDRAWN
    assert AuditEvent.objects.count() == events  # nothing was done a second time


def test_the_page_right_after_withdrawing_shows_the_request_as_it_is_now(
    live_server, phone_without_javascript, team
):
    """Defect 4: the answer to "withdraw" is drawn from the state after it: no "a caseworker
    will read it", no "Withdraw" button, the deletion date that now applies; and "delete
    everything now" is still offered, and does it."""
    _reference, code = submit_intake()
    page = phone_without_javascript
    _status(page, live_server.url, code)
    assert "A caseworker will read it" in page.content()
    kept_while_open = page.locator("p.retention").inner_text()
    _go(page, "form[data-form=confirm_withdraw] button")
    _go(page, "form[data-form=withdraw] button")

    text = page.locator("main").inner_text()
    assert "Your request has been withdrawn." in text
    assert "This request has been withdrawn. No one will act on it." in text
    assert "A caseworker will read it" not in text
    assert page.locator("p.retention").inner_text() != kept_while_open
    case = Case.objects.get()
    with translation.override("en"):
        when = dateformat.format(retention.deletion_date(case), "j E Y")
    assert f"will be deleted for good soon after {when}" in text
    assert page.get_by_role("button", name="Withdraw my request").count() == 0
    assert page.get_by_role("button", name="Delete everything").count() == 1

    _go(page, "form[data-form=confirm_withdraw] button")
    assert page.get_by_role("button", name="Withdraw and delete everything now").count() == 0
    _go(page, "form[data-form=withdraw_delete] button")
    assert Case.objects.get().is_purged
    assert page.locator("form[data-form=message]").count() == 0


def test_a_form_from_another_site_gets_our_own_refusal_page_in_the_visitors_language(
    live_server, phone_without_javascript
):
    """Defect 5: not Django's raw 403, but our page: in Russian, with Quick exit and a way on,
    saying what happened, and showing nothing of what the other site sent."""
    vault_ready()
    page = phone_without_javascript
    elsewhere = "http://elsewhere.test/form"
    planted = "Send your code to fake-helpers.example"
    body = (
        f'<form method="post" action="{live_server.url}/ru/request/">'
        f'<input type="hidden" name="situation" value="{planted}"><button>Send</button></form>'
    )
    page.route(elsewhere, lambda route: route.fulfill(content_type="text/html", body=body))
    page.goto(elsewhere)
    with page.expect_navigation() as answer:
        page.click("button")
    assert answer.value.status == 403
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("a.quick-exit").inner_text() == "Быстрый выход"
    assert page.locator("a.quick-exit").is_visible()
    text = page.locator("main").inner_text()
    assert "Эта форма пришла не с наших страниц, поэтому ничего не сделано." in text  # noqa: RUF001
    assert page.locator("main a[href='/ru/']").count() == 1  # a way back
    assert planted not in page.content()
    assert "CSRF" not in page.content()
    assert Case.objects.count() == 0


def test_a_same_site_form_refused_as_too_old_keeps_what_was_typed(
    live_server, phone_without_javascript
):
    """Defect 5, the other half: refused from our own page (its token no longer good), the
    story comes back so it can be copied, and nothing is stored."""
    vault_ready()
    page = phone_without_javascript
    page.goto(f"{live_server.url}/en/request/")
    _fill_the_form(page)

    def stale(route):
        data = re.sub(r"form_token=[^&]*", "form_token=expired", route.request.post_data)
        route.continue_(post_data=data)

    page.route(f"{live_server.url}/en/request/", stale)
    _go(page, "button[type=submit]:has-text('Send my request')")
    assert "This page was open for a long time, so it was not sent." in page.content()
    assert page.input_value("textarea[name=situation]") == "People near my home threaten me."
    assert page.input_value("input[name=contact_handle]") == "@browser_alias"
    assert Case.objects.count() == 0


def test_switching_language_keeps_the_receipt_code_and_the_message_being_typed(
    live_server, phone_without_javascript
):
    """Defect 8: the switch on "request received" keeps the code on screen; on the status page
    it keeps what was typed; on the withdraw confirmation it stays there."""
    vault_ready()
    page = phone_without_javascript
    page.goto(f"{live_server.url}/en/request/")
    _fill_the_form(page)
    _go(page, "button[type=submit]:has-text('Send my request')")
    code = _receipt(page)
    _go(page, ".lang-switch button[value=ru]")
    assert page.url == f"{live_server.url}/ru/request/"
    assert page.locator("html").get_attribute("lang") == "ru"
    assert _receipt(page) == code
    assert Case.objects.count() == 1

    _status(page, live_server.url, code, "ru")
    page.fill("form[data-form=message] textarea", "Половина сообщения")
    _go(page, ".lang-switch button[value=en]")
    assert page.url == f"{live_server.url}/en/status/"
    assert page.input_value("form[data-form=message] textarea") == "Половина сообщения"
    assert not Message.objects.exists()

    _go(page, "form[data-form=confirm_withdraw] button")
    _go(page, ".lang-switch button[lang=ru]")
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.locator("form[data-form=withdraw_delete]").count() == 1
    assert Case.objects.get().is_open


def test_the_thread_says_when_and_who_and_the_header_fits_a_phone(
    live_server, phone_without_javascript, team
):
    """Defect 9: times say how long ago and in which zone; "You" and "Caseworker" look
    different; the header's links each stay on one line at 390 px (in Russian as well)."""
    reference, code = submit_intake()
    staff = verified_client(team.carla)
    case_opened(staff, reference, "reply")
    staff.post(f"/staff/cases/{reference}/message/", {"text": "We read your request."})
    page = phone_without_javascript
    _status(page, live_server.url, code)
    page.fill("form[data-form=message] textarea", "Thank you.")
    _go(page, "form[data-form=message] button[type=submit]")

    mine = page.locator(".thread .from_applicant")
    theirs = page.locator(".thread .to_applicant")
    assert mine.locator(".who").inner_text() == "You"
    assert theirs.locator(".who").inner_text() == "Caseworker"
    for message in (mine, theirs):
        meta = message.locator(".meta").inner_text()
        assert re.search(r"\bago\b", meta) and "UTC" in meta, meta
    style = "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).borderLeftColor]"
    assert mine.evaluate(style) != theirs.evaluate(style)
    assert mine.bounding_box()["x"] != theirs.bounding_box()["x"]  # set apart, side by side

    for language in ("en", "ru"):
        page.goto(f"{live_server.url}/{language}/status/")
        links = page.locator(".site-nav a")
        assert links.count() == 2
        for index in range(2):
            link = links.nth(index)
            height = link.bounding_box()["height"]
            line = float(link.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)"))
            assert height < 2 * line, (language, link.inner_text(), height, line)


def _russian_text(page) -> str:
    return page.locator("body").inner_text()


def test_the_russian_pages_say_zayavka_and_have_no_double_full_stop(
    live_server, phone_without_javascript, team
):
    """Defect 10: one word for "request" on both sides ("заявка", never "просьба"), no "код
    квитанции", and no "г.." after a date, on every page of the path in Russian."""  # noqa: RUF002
    page = phone_without_javascript
    base = f"{live_server.url}/ru"
    seen = []
    page.goto(f"{base}/")
    seen.append(_russian_text(page))
    page.goto(f"{base}/request/")
    seen.append(_russian_text(page))
    _fill_the_form(page)
    _go(page, "#intake > button[type=submit]")
    code = _receipt(page)
    seen.append(_russian_text(page))
    _status(page, live_server.url, code, "ru")
    seen.append(_russian_text(page))
    page.click("details.your-request summary")
    seen.append(_russian_text(page))
    _go(page, "form[data-form=confirm_withdraw] button")
    seen.append(_russian_text(page))
    _go(page, "form[data-form=withdraw] button")
    seen.append(_russian_text(page))
    everything = "\n".join(seen).lower()
    assert "заявк" in everything
    assert "просьб" not in everything
    assert "код квитанции" not in everything
    assert "г.." not in everything  # noqa: RUF001
