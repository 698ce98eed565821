"""WCAG 2.2 A and AA on every page, in every state a person meets it in.

axe-core (shipped inside axe-playwright-python: nothing is downloaded at test time) runs in
Debian's Chromium on the live server's pages, walked through their real forms with data made by
tests/factories.py. axe is a script and the applicant's pages allow none, so its context runs
JavaScript with the page's CSP bypassed; the pages themselves have no script to behave
differently with it. The applicant's pages are walked in every state in English and in Russian,
and in their main states (`main_applicant_states`) in each of the other eight languages
(test_keyboard_and_reflow.py: axe, reflow and targets); the staff pages, reports included, in
English.

The walks (`applicant_states`, `staff_states`) are shared with test_keyboard_and_reflow.py, so
the keyboard, reflow and target-size checks see the very same pages in the very same states.

Also here: every applicant page, with the CSS it links, stays within 30 KB in every language (an
old phone on Tor).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from evacuation.models import Case
from reports.periods import Period
from reports.services import report_generate
from tests.factories import (
    CROSS_SITE,
    DEFAULT_PASSWORD,
    Applicant,
    applicant_with,
    case_in_state,
    checkpoint_now,
    code_mistyped,
    code_with_secret,
    fresh_totp_code,
    intake_data,
    make_staff,
    photo_with_gps,
    post_again,
    send_form,
    verified_client,
)
from tests.reports.builders import at, grant, make_cases, relocated

pytestmark = [
    pytest.mark.browser,
    pytest.mark.accessibility,
    pytest.mark.django_db(transaction=True),
]

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
LANGUAGES = ["en", "ru"]  # every applicant state, by axe and by keyboard
# The other eight (settings.TRANSLATIONS): their main states, by axe and at 320 px.
NEW_LANGUAGES = ["uk", "ka", "hy", "az", "kk", "ky", "uz", "tg"]
ALL_LANGUAGES = [*LANGUAGES, *NEW_LANGUAGES]
# What people paste: a link or a token with no space in it. It must wrap, never widen a page.
LONG_WORD = "https://files.example.net/" + "0123456789abcdef" * 14
PAGE_BUDGET = 30 * 1024  # bytes, uncompressed: the HTML and the CSS it links


# --- axe ------------------------------------------------------------------------------------------

_AXE = Axe()


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.2 A/AA violations on the page as it is now, one line per rule."""
    results = _AXE.run(page, options=AXE_OPTIONS)
    lines = []
    for violation in results.response["violations"]:
        targets = [" ".join(map(str, node["target"])) for node in violation["nodes"]]
        lines.append(
            f"{violation['id']} ({violation['impact']}): {violation['help']} "
            f"[{len(targets)}: {', '.join(targets[:4])}]"
        )
    return lines


@dataclass
class Findings:
    """Violations by page state, reported together so one run shows every problem."""

    found: dict[str, list[str]]
    seen: list[str]

    @classmethod
    def empty(cls) -> Findings:
        return cls(found={}, seen=[])

    def check(self, what: str, page) -> None:
        self.seen.append(what)
        violations = axe_violations(page)
        if violations:
            self.found[what] = violations

    def report(self) -> str:
        return "\n".join(f"{what}:\n  " + "\n  ".join(lines) for what, lines in self.found.items())


@pytest.fixture
def axe_context(browser):
    """A context axe can run in: JavaScript on and the page's CSP bypassed (axe is a script)."""
    context = browser.new_context(locale="en-GB", java_script_enabled=True, bypass_csp=True)
    yield context
    context.close()


def new_page(context):
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


# --- the applicant's pages, walked -------------------------------------------------------------


def case_with_correspondence(team, language: str = "en") -> tuple[str, str]:
    """A request with messages both ways and a file each way, long unbroken words in what was
    written: returns (reference, receipt code)."""
    reference, code = Applicant(language=language).submit(situation=f"See {LONG_WORD} please.")
    caseworker = verified_client(team.carla)
    # Writing to the applicant needs the case opened, with a reason, in that session.
    opened = caseworker.post(f"/staff/cases/{reference}/", {"reason": "assess"})
    assert opened.status_code in (200, 302), opened.status_code
    caseworker.post(f"/staff/cases/{reference}/message/", {"text": f"We read it. {LONG_WORD}"})
    caseworker.post(
        f"/staff/cases/{reference}/files/",
        {"file": SimpleUploadedFile("form.jpg", photo_with_gps())},
    )
    applicant = applicant_with(code, language=language)
    applicant.act("message", text=f"Here is the link again: {LONG_WORD}")
    applicant.act("upload", file=("IMG_0042.jpg", photo_with_gps()))
    case = Case.objects.get(reference=reference)
    for kind in ("messages", "attachments"):
        directions = sorted(getattr(case, kind).values_list("direction", flat=True))
        assert directions == ["from_applicant", "to_applicant"], (kind, directions)
    return reference, code


def submit(page, selector: str) -> None:
    """Presses a submit button and waits for the page it leads to."""
    with page.expect_navigation():
        page.click(selector)


def fill_intake(page) -> None:
    page.fill("input[name=name]", "Browser Alias")
    page.check("input[name=contact_method][value=signal]")
    page.fill("input[name=contact_handle]", "@browser_alias")
    page.fill("input[name=country]", "Somewhere")
    page.fill("textarea[name=situation]", f"People near my home threaten me. {LONG_WORD}")
    page.check("input[name=urgency][value=now]")
    page.fill("input[name=party_size]", "3")
    page.check("input[name=travel_documents][value=valid_passport]")
    page.check("input[name=help_needed][value=transport]")
    page.check("input[name=consent]")


def send_again(page, url: str, request) -> None:
    """The browser sends an earlier POST again, as it was (a reload after the page moved on)."""

    def again(route):
        headers = {**route.request.headers, "content-type": request.headers["content-type"]}
        route.continue_(method="POST", post_data=request.post_data, headers=headers)

    page.route(url, again)
    try:
        page.goto(url)
    finally:
        page.unroute(url, again)


def cross_site_post(page, url: str, fields: dict[str, str]) -> None:
    """A form on another site posting to `url` (what the applicant's pages refuse)."""
    elsewhere = "http://elsewhere.test/form"
    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
    body = f'<form method="post" action="{url}">{inputs}<button>Send</button></form>'
    page.route(elsewhere, lambda route: route.fulfill(content_type="text/html", body=body))
    page.goto(elsewhere)
    submit(page, "button")


LOOKUP = "form[data-form=lookup] button[type=submit]"


def applicant_states(page, base: str, language: str, code: str) -> Iterator[str]:
    """Every applicant page in every state, through the real forms: yields each state's name
    with `page` showing it. `code` opens a case with correspondence; the walk deletes it."""
    home = f"{base}/{language}"
    page.goto(f"{home}/")
    yield "home"
    page.goto(f"{home}/request/")
    yield "request form"
    submit(page, "#intake > button[type=submit]")
    assert page.locator("#error-summary a").count() >= 6
    yield "request form with errors"
    fill_intake(page)
    with page.expect_request(lambda request: request.method == "POST") as sent:
        submit(page, "#intake > button[type=submit]")
    assert page.locator("p.receipt").count() == 1
    yield "received"
    page.reload()
    assert page.locator("p.receipt").count() == 1
    yield "received, sent again"
    submit(page, "form[data-form=written_down] button")
    yield "written down"
    send_again(page, f"{home}/request/", sent.value)
    assert page.locator("p.receipt").count() == 0
    yield "already sent"

    page.goto(f"{home}/status/")
    yield "status lookup"
    page.fill("input[name=code]", code_with_secret(code, "0" * 16))
    submit(page, LOOKUP)
    assert page.get_attribute("input[name=code]", "aria-invalid") == "true"
    yield "status lookup, wrong code"
    page.fill("input[name=code]", code_mistyped(code))
    submit(page, LOOKUP)
    yield "status lookup, mistyped code"
    page.fill("input[name=code]", code)
    submit(page, LOOKUP)
    # A reply and a message of theirs; a file from the caseworker and one they sent.
    assert page.locator(".thread .to_applicant").count() == 1
    assert page.locator(".thread .from_applicant").count() == 1
    assert page.locator(".files li").count() == 2
    yield "status page with messages and files"
    page.click("details.your-request summary")
    yield "status page, what you told us opened"
    page.fill("form[data-form=message] textarea", "Thank you.")
    submit(page, "form[data-form=message] button[type=submit]")
    yield "status page, message sent"
    page.set_input_files(
        "form[data-form=upload] input[type=file]",
        files=[{"name": "notes.jpg", "mimeType": "image/jpeg", "buffer": b"not a photo"}],
    )
    submit(page, "form[data-form=upload] button[type=submit]")
    assert page.get_attribute("#applicant-file", "aria-invalid") == "true"
    yield "status page, file refused"
    submit(page, "form[data-form=confirm_withdraw] button")
    yield "withdraw confirmation"
    submit(page, "form[data-form=withdraw] button")
    yield "status page, withdrawn"
    submit(page, "form[data-form=confirm_withdraw] button")
    yield "delete confirmation"
    submit(page, "form[data-form=withdraw_delete] button")
    yield "everything deleted"

    cross_site_post(page, f"{home}/status/", {"code": code})
    yield "refused (a form from another site)"
    page.goto(f"{home}/no-such-page/")
    yield "page not found"


def main_applicant_states(page, base: str, language: str, code: str) -> Iterator[str]:
    """The states that change an applicant page's layout most, through the real forms: the
    short walk for the languages not walked in full. `code` opens a case with correspondence."""
    home = f"{base}/{language}"
    page.goto(f"{home}/")
    yield "home"
    page.goto(f"{home}/request/")
    yield "request form"
    submit(page, "#intake > button[type=submit]")
    assert page.locator("#error-summary a").count() >= 6
    yield "request form with errors"
    fill_intake(page)
    submit(page, "#intake > button[type=submit]")
    assert page.locator("p.receipt").count() == 1
    yield "received"
    page.goto(f"{home}/status/")
    page.fill("input[name=code]", code)
    submit(page, LOOKUP)
    assert page.locator(".thread .to_applicant").count() == 1
    assert page.locator(".files li").count() == 2
    yield "status page with messages and files"
    page.goto(f"{home}/no-such-page/")
    yield "page not found"


# --- the staff's pages, walked -------------------------------------------------------------------


@dataclass
class StaffCases:
    received: str  # with messages and files both ways
    proposed: str  # funding proposed by carla, for a coordinator to approve
    closed: str  # relocated
    report: str  # a frozen report's period, with figures in every chart and table


REPORT_PERIOD = "2025-Q1"


def report_with_figures(team) -> str:
    """A frozen report for REPORT_PERIOD with requests, relocations and grants in its charts and
    tables: returns its period code. (No backdated staff actions: the audit chain must stay
    verifiable for the audit pages, so the first-action chart shows its "nothing to show".)"""
    for month in (1, 2, 3):
        make_cases(12, created=at(2025, month, 3), urgency="now")
        relocated(6, region="eu", on=at(2025, month, 25).date())
        for day, amount in ((9, "900.00"), (11, "950.00")):
            grant(
                amount=amount,
                currency="EUR",
                purpose="visa",
                decided=at(2025, month, day),
                staff=team.colin,
            )
    report_generate(period=Period.parse(REPORT_PERIOD), actor=team.cora)
    return REPORT_PERIOD


def staff_cases(team) -> StaffCases:
    received, _code = case_with_correspondence(team)
    proposed = case_in_state("proposed", assessor=team.carla).reference
    closed = case_in_state(
        "relocated", assessor=team.kim, approver=team.colin, situation=f"Gone. {LONG_WORD}"
    ).reference
    report = report_with_figures(team)
    checkpoint_now()
    call_command("verify_audit", stdout=io.StringIO(), stderr=io.StringIO())
    return StaffCases(received=received, proposed=proposed, closed=closed, report=report)


def sign_in(page, base: str, user) -> None:
    page.goto(f"{base}/staff/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", DEFAULT_PASSWORD)
    submit(page, "button[type=submit]:has-text('Continue')")
    page.fill("input[name=token]", fresh_totp_code(user))
    submit(page, "main button[type=submit]:has-text('Sign in')")
    assert page.url == f"{base}/staff/", page.url


def open_case(page, base: str, reference: str, reason: str = "assess") -> None:
    page.goto(f"{base}/staff/cases/{reference}/")
    page.check(f"input[name=reason][value={reason}]")
    submit(page, "main form button[type=submit]:has-text('Open')")


def staff_states(
    context_factory, base: str, team, cases: StaffCases
) -> Iterator[tuple[str, object]]:
    """Every staff page: yields (state, page). `context_factory()` makes a fresh browser
    context (one person each)."""
    contexts = []

    def person():
        context = context_factory()
        contexts.append(context)
        return new_page(context)

    try:
        page = person()
        page.goto(f"{base}/staff/login/")
        yield "staff sign-in", page
        page.fill("input[name=username]", "carla")
        page.fill("input[name=password]", "not the password")
        submit(page, "button[type=submit]:has-text('Continue')")
        yield "staff sign-in, wrong password", page
        page.fill("input[name=password]", DEFAULT_PASSWORD)
        submit(page, "button[type=submit]:has-text('Continue')")
        yield "code step", page
        page.fill("input[name=token]", "000000")
        submit(page, "main button[type=submit]:has-text('Sign in')")
        yield "code step, wrong code", page
        page.fill("input[name=token]", fresh_totp_code(team.carla))
        submit(page, "main button[type=submit]:has-text('Sign in')")
        yield "staff home", page
        page.goto(f"{base}/staff/cases/")
        yield "queue", page
        page.goto(f"{base}/staff/cases/{cases.received}/")
        yield "case page, not opened", page
        page.check("input[name=reason][value=assess]")
        submit(page, "main form button[type=submit]:has-text('Open')")
        yield "case page, opened, with actions", page
        page.eval_on_selector("#action-assess form", "form => { form.noValidate = true; }")
        submit(page, "#action-assess button[type=submit]")
        yield "case page, an action with errors", page
        open_case(page, base, cases.closed)
        yield "case page, closed case opened", page
        page.goto(f"{base}/staff/security/")
        yield "security", page
        page.fill("#confirm-password", DEFAULT_PASSWORD)
        submit(page, "button[value=backup_codes]")
        yield "backup codes", page
        page.goto(f"{base}/staff/security/keys/new/")
        yield "add a security key (not from this session)", page
        page.goto(f"{base}/staff/security/keys/needed/")
        yield "a security key is needed", page
        page.goto(f"{base}/staff/cases/notifications/")
        yield "notifications", page

        page = person()
        sign_in(page, base, team.cora)
        page.goto(f"{base}/staff/cases/approvals/")
        yield "approvals", page
        page.goto(f"{base}/staff/cases/{cases.proposed}/")
        yield "case page with a proposal to approve, not opened", page
        page.goto(f"{base}/staff/team/")
        yield "team access", page
        page.goto(f"{base}/staff/cases/labels/")
        yield "labels", page
        page.goto(f"{base}/staff/cases/templates/")
        yield "reply templates", page
        page.goto(f"{base}/staff/reports/")
        assert page.locator(f"main a[href='/staff/reports/{cases.report}/']").count() == 1
        yield "reports", page
        page.fill("input[name=period]", "2025-13")
        submit(page, "form[data-form=generate] button[type=submit]")
        assert page.locator("form[data-form=generate] .errorlist").count() == 1
        yield "reports, generate with errors", page
        page.goto(f"{base}/staff/reports/{cases.report}/")
        assert page.locator("figure.chart svg").count() == 3
        assert page.locator("table.report-table tbody tr").count() > 10
        yield "report page with charts and tables", page

        page = person()
        sign_in(page, base, team.audrey)
        page.goto(f"{base}/audit/")
        yield "audit events", page
        page.click("main table a")
        page.wait_for_url("**/audit/events/*/")
        yield "audit event", page
        page.goto(f"{base}/audit/verify/")
        yield "audit verification", page
        page.goto(f"{base}/audit/checkpoints/")
        yield "audit checkpoints", page

        newcomer = make_staff(username="newcomer", totp=False)
        page = person()
        page.goto(f"{base}/staff/login/")
        page.fill("input[name=username]", newcomer.username)
        page.fill("input[name=password]", DEFAULT_PASSWORD)
        submit(page, "button[type=submit]:has-text('Continue')")
        assert "/staff/login/enrol/" in page.url, page.url
        yield "authenticator set-up", page
    finally:
        for context in contexts:
            with suppress(Exception):
                context.close()


# --- the tests ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_applicant_page_passes_axe(live_server, axe_context, team, language):
    _reference, code = case_with_correspondence(team, language)
    page = new_page(axe_context)
    findings = Findings.empty()
    for state in applicant_states(page, live_server.url, language, code):
        findings.check(f"{state} [{page.url}]", page)
    assert not findings.found, findings.report()
    assert len(findings.seen) == 20


STAFF_STATES = 28


def test_every_staff_page_passes_axe(live_server, browser, team):
    cases = staff_cases(team)
    findings = Findings.empty()

    def context():
        return browser.new_context(locale="en-GB", java_script_enabled=True, bypass_csp=True)

    for state, page in staff_states(context, live_server.url, team, cases):
        findings.check(f"{state} [{page.url}]", page)
    assert not findings.found, findings.report()
    assert len(findings.seen) == STAFF_STATES


def test_the_reports_pages_pass_axe_for_an_auditor(live_server, axe_context, team):
    """The auditor's view of the reports (the coordinator's is in the staff walk): the list and
    a frozen report with its charts and tables. A missing page fails; nothing is skipped."""
    code = report_with_figures(team)
    page = new_page(axe_context)
    sign_in(page, live_server.url, team.audrey)
    findings = Findings.empty()
    page.goto(f"{live_server.url}/staff/reports/")
    assert page.locator(f"main a[href='/staff/reports/{code}/']").count() == 1
    findings.check(f"reports [{page.url}]", page)
    page.goto(f"{live_server.url}/staff/reports/{code}/")
    assert page.locator("figure.chart svg").count() == 3
    findings.check(f"report page [{page.url}]", page)
    assert not findings.found, findings.report()


def test_axe_finds_a_control_without_a_label(live_server, axe_context):
    """The checker is not blind: a request form whose name field lost its label fails."""
    page = new_page(axe_context)
    page.goto(f"{live_server.url}/en/request/")
    assert axe_violations(page) == []
    page.eval_on_selector("label[for=id_name]", "label => label.remove()")
    page.eval_on_selector("#id_name", "input => input.removeAttribute('aria-describedby')")
    assert [line.split(" ")[0] for line in axe_violations(page)] == ["label"]


# --- size: an old phone on a slow Tor circuit --------------------------------------------------


def _applicant_responses(team, language: str) -> Iterator[tuple[str, object]]:
    """(state, response) for every applicant page in `language`, by the test client."""
    _reference, code = case_with_correspondence(team, language)
    person = Applicant(language=language)
    yield f"{language} home", person.open("/")
    yield f"{language} request form", person.open("/request/")
    yield (
        f"{language} request form, every answer wrong",
        send_form(person, "intake", {"party_size": "many", "contact_handle": "x" * 300}),
    )
    answer = send_form(person, "intake", intake_data())
    yield f"{language} received", answer
    yield f"{language} received again", person.resend()
    yield f"{language} written down", person.act("written_down", written_down="1")
    yield f"{language} already sent", post_again(person, answer)
    looking = Applicant(language=language)
    yield f"{language} lookup", looking.open("/status/")
    yield f"{language} lookup, mistyped code", looking.act("lookup", code=code_mistyped(code))
    yield f"{language} lookup, malformed code", looking.act("lookup", code="12345")
    status = applicant_with(code, language=language)
    yield f"{language} status with messages and files", status.response
    yield f"{language} status, message refused", status.act("message", text="")
    yield f"{language} withdraw confirmation", status.act("confirm_withdraw")
    yield f"{language} withdrawn", status.act("withdraw")
    status.act("confirm_withdraw")
    yield f"{language} deleted", status.act("withdraw_delete")
    form = Applicant(language=language)
    form.open("/request/")
    yield (
        f"{language} refused",
        send_form(form, "intake", intake_data(), headers=CROSS_SITE),
    )


def _stylesheets(html: str) -> list[str]:
    return re.findall(r'<link rel="stylesheet" href="/static/([^"]+)"', html)


def test_every_language_of_the_applicants_pages_is_measured():
    assert sorted(ALL_LANGUAGES) == sorted(code for code, _name in settings.TRANSLATIONS)


@pytest.mark.parametrize("language", ALL_LANGUAGES)
def test_every_applicant_page_with_its_css_stays_within_30_kb(team, language):
    css_bytes = {}
    sizes = {}
    for state, response in _applicant_responses(team, language):
        html = response.content.decode()
        assert "<script" not in html and "style=" not in html, state
        assert not re.search(r"<link[^>]+(?:font|preload)|\.woff2?|\.ttf", html), state
        assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == [
            f"/static/{name}" for name in _stylesheets(html)
        ], f"{state}: a stylesheet from elsewhere"
        total = len(response.content)
        for name in _stylesheets(html):
            if name not in css_bytes:
                path = finders.find(name)
                assert path, name
                with open(path, "rb") as css:
                    css_bytes[name] = css.read()
                text = css_bytes[name].decode()
                # The CSS pulls nothing else in: what is counted here is all that is loaded.
                assert "@import" not in text and "url(" not in text, name
                assert "@font-face" not in text, name
            total += len(css_bytes[name])
        sizes[state] = total
    assert len(sizes) == 16
    over = {state: size for state, size in sizes.items() if size > PAGE_BUDGET}
    assert not over, f"over {PAGE_BUDGET} bytes: {over}"
