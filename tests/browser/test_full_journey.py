"""The whole journey in Chromium: an applicant asks for help; a caseworker signs in with two
factors, opens, assesses and proposes funding; a coordinator approves; the caseworker confirms
the relocation; the applicant's status page, reached with the receipt code, shows the outcome."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.models import AuditEvent
from evacuation.models import Case, State
from tests.factories import DEFAULT_PASSWORD, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/staff/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    page.click("button[type=submit]:has-text('Continue')")
    page.wait_for_url("**/staff/login/code/")
    page.fill("input[name=token]", totp_code(TOTPDevice.objects.get(user=user)))
    page.click("button[type=submit]:has-text('Sign in')")
    page.wait_for_url(f"{base}/staff/")


def _submit(page, action: str, button: str) -> None:
    with page.expect_navigation():
        page.click(f"#action-{action} button:has-text('{button}')")


def test_a_request_travels_from_the_applicant_to_relocation_and_back(live_server, browser, team):
    base = live_server.url
    contexts = [browser.new_context(locale="en-GB") for _ in range(3)]
    applicant, caseworker, coordinator = (context.new_page() for context in contexts)
    for page in (applicant, caseworker, coordinator):
        page.set_default_timeout(15000)
    try:
        # The applicant asks for help and keeps the receipt code.
        applicant.goto(f"{base}/en/request/")
        applicant.fill("input[name=name]", "Journey Alias")
        applicant.check("input[name=contact_method][value=signal]")
        applicant.fill("input[name=contact_handle]", "@journey_alias")
        applicant.fill("input[name=country]", "Somewhere")
        applicant.fill("textarea[name=situation]", "I was followed home twice this week.")
        applicant.check("input[name=urgency][value=now]")
        applicant.fill("input[name=party_size]", "1")
        applicant.check("input[name=travel_documents][value=valid_passport]")
        applicant.check("input[name=help_needed][value=transport]")
        applicant.check("input[name=consent]")
        applicant.click("button[type=submit]:has-text('Send my request')")
        code = re.sub(r"\s+", " ", applicant.locator("p.receipt").inner_text()).strip()
        reference = Case.objects.get().reference

        # The caseworker finds it at the top of the queue, opens it with a reason and assesses.
        _sign_in(caseworker, base, team.carla)
        caseworker.click("a:has-text('Cases')")
        caseworker.wait_for_url("**/staff/cases/")
        assert "Journey Alias" not in caseworker.content()
        caseworker.click(f"a:has-text('{reference}')")
        caseworker.wait_for_url(f"**/staff/cases/{reference}/")
        caseworker.check("input[name=reason][value=assess]")
        with caseworker.expect_navigation():
            caseworker.click("button:has-text('Open')")
        assert "Journey Alias" in caseworker.content()
        assert "I was followed home twice this week." in caseworker.content()

        caseworker.check("#action-assess input[name=risk_level][value='4']")
        caseworker.check("#action-assess input[name=verified_by][value=interview]")
        caseworker.check("#action-assess input[name=support][value=relocation]")
        _submit(caseworker, "assess", "Record the assessment")
        assert "The case is assessed." in caseworker.content()
        assert "Journey Alias" in caseworker.content()  # the opening lasts through the work

        caseworker.fill("#action-propose_funding input[name=amount]", "2400")
        caseworker.select_option("#action-propose_funding select[name=currency]", "EUR")
        caseworker.check("#action-propose_funding input[name=purpose][value=transport]")
        _submit(caseworker, "propose_funding", "Propose")
        assert "Funding proposed." in caseworker.content()
        assert caseworker.locator("#action-approve_funding").count() == 0

        # A coordinator who did neither approves it from the waiting list.
        _sign_in(coordinator, base, team.cora)
        coordinator.goto(f"{base}/staff/cases/")
        coordinator.click("a:has-text('1 funding proposal waiting for approval')")
        coordinator.wait_for_url("**/staff/cases/approvals/")
        coordinator.click("a:has-text('Review and approve')")
        coordinator.wait_for_url(f"**/staff/cases/{reference}/**")
        assert "2,400.00 EUR for Transport, proposed by carla." in coordinator.content()
        _submit(coordinator, "approve_funding", "Approve")
        assert "Funding approved. The case is funded." in coordinator.content()

        # The caseworker reloads and records the arrival.
        caseworker.goto(f"{base}/staff/cases/{reference}/")
        caseworker.fill(
            "#action-confirm_relocation input[name=relocated_on]", date.today().isoformat()
        )
        caseworker.check("#action-confirm_relocation input[name=region][value=eu]")
        _submit(caseworker, "confirm_relocation", "Confirm the relocation")
        assert "Relocation confirmed. The case is closed." in caseworker.content()
        history = caseworker.locator("table.timeline").inner_text()
        for step in ("Case assessed", "Funding proposed", "Funding approved", "Relocation"):
            assert step in history
        # Done with it, she hides the content: seeing it again needs a new opening.
        with caseworker.expect_navigation():
            caseworker.click("button:has-text('Hide the content again')")
        assert "The content is hidden again." in caseworker.content()
        assert "Journey Alias" not in caseworker.content()

        # The applicant comes back with the code and reads the outcome.
        applicant.goto(f"{base}/en/status/")
        applicant.fill("input[name=code]", code)
        applicant.click("button[type=submit]:has-text('Check')")
        applicant.wait_for_selector("text=Your relocation has been recorded as completed.")
        assert "Withdraw my request" not in applicant.content()
    finally:
        for context in contexts:
            context.close()

    assert Case.objects.get().state == State.RELOCATED
    # The applicant's visits leave no trace in the history (no per-view event any more).
    actions = list(AuditEvent.objects.filter(target_ref=reference).values_list("action", flat=True))
    assert actions == [
        "case.received",
        "case.opened",
        "case.assessed",
        "funding.proposed",
        "funding.approved",
        "case.relocated",
        "case.opening_ended",
    ]
