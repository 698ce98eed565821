"""Keyboard only, no mouse and no JavaScript; a phone 320 CSS px wide; fingers, not a pointer.

On every page, in every state (the walks of test_accessibility.py, in a context with
JavaScript off, as the applicant's pages are always used):
- "Skip to content" is the first thing Tab reaches, in both languages, and it moves focus to
  the page's main content;
- Tab then reaches every control, in the order of the page, each with a visible focus ring;
- every control has a label, and every reference (aria-describedby, label for, #links) is found;
- radio buttons, checkboxes, buttons and links side by side are at least 24 x 24 px (2.5.8).
Then whole journeys by keyboard alone; form errors that take focus and lead to their fields;
and at 320 x 640 no applicant page and no staff page scrolls sideways, long words and all (a wide
table may scroll inside its own .table-wrap, as WCAG 1.4.10 allows; the page may not). The eight
languages not walked in full go through their main states with axe, at 320 px and for targets.

(Playwright evaluates its checks through the DevTools protocol: that works with the pages'
JavaScript switched off, and the pages never run any.)
"""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from evacuation.models import Case, State
from tests.browser.test_accessibility import (
    LANGUAGES,
    LONG_WORD,
    NEW_LANGUAGES,
    STAFF_STATES,
    Findings,
    applicant_states,
    case_with_correspondence,
    main_applicant_states,
    new_page,
    staff_cases,
    staff_states,
)
from tests.factories import DEFAULT_PASSWORD, fresh_totp_code, vault_ready

pytestmark = [
    pytest.mark.browser,
    pytest.mark.accessibility,
    pytest.mark.django_db(transaction=True),
]

PHONE = {"width": 320, "height": 640}
DESKTOP = {"width": 1280, "height": 720}  # Playwright's default viewport

# --- what the page is asked ------------------------------------------------------------------

# Where each element stands in the document: orders and identities compare as numbers.
_POSITION = "el => el ? Array.prototype.indexOf.call(document.getElementsByTagName('*'), el) : -1"

# The elements Tab should stop at, in document order: visible, enabled, not taken out with a
# negative tabindex; of a radio group only the checked button (or the first, if none is).
TAB_STOPS = """() => {
  const all = document.getElementsByTagName('*');
  const selector =
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]';
  const radios = new Map();
  const stops = [];
  for (const el of document.querySelectorAll(selector)) {
    if (el.disabled || el.tabIndex < 0 || !el.checkVisibility({visibilityProperty: true})) continue;
    if (el.tagName === 'SUMMARY' && el.parentElement.tagName !== 'DETAILS') continue;
    if (el.type === 'radio' && el.name) {
      const key = (el.form ? Array.prototype.indexOf.call(all, el.form) : 'none') + el.name;
      const group = radios.get(key) || [];
      group.push(el);
      radios.set(key, group);
      if (group.length > 1) continue;
    }
    stops.push(el);
  }
  for (const group of radios.values()) {
    const checked = group.find(radio => radio.checked);
    if (checked && checked !== group[0]) stops[stops.indexOf(group[0])] = checked;
  }
  return stops.map(el => Array.prototype.indexOf.call(all, el));
}"""

# What the focused element looks like: who it is, and whether its focus can be seen.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  const rect = el.getBoundingClientRect();
  return {
    position: Array.prototype.indexOf.call(document.getElementsByTagName('*'), el),
    what: el.outerHTML.slice(0, 120),
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    shadow: style.boxShadow !== 'none',
    seen: el.checkVisibility({visibilityProperty: true}) && rect.width >= 8 && rect.height >= 8,
  };
}"""

# Controls without a label, and references to ids that are not on the page.
LOOSE_ENDS = """() => {
  const problems = [];
  const describe = el => el.outerHTML.slice(0, 100);
  for (const el of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
    const named = [...el.labels].some(label => label.textContent.trim())
      || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
    if (!named) problems.push('no label: ' + describe(el));
  }
  for (const attribute of ['aria-describedby', 'aria-labelledby', 'aria-controls']) {
    for (const el of document.querySelectorAll(`[${attribute}]`)) {
      for (const id of el.getAttribute(attribute).split(/\\s+/).filter(Boolean)) {
        if (!document.getElementById(id)) {
          problems.push(`${attribute} ${id} missing: ${describe(el)}`);
        }
      }
    }
  }
  for (const label of document.querySelectorAll('label[for]')) {
    if (!document.getElementById(label.htmlFor)) {
      problems.push('label for nothing: ' + describe(label));
    }
  }
  for (const link of document.querySelectorAll('a[href^="#"]')) {
    const id = decodeURIComponent(link.getAttribute('href').slice(1));
    if (id && !document.getElementById(id)) problems.push('link to nothing: ' + describe(link));
  }
  for (const button of document.querySelectorAll('[form]')) {
    if (!document.getElementById(button.getAttribute('form'))) {
      problems.push('form missing: ' + describe(button));
    }
  }
  return problems;
}"""

# Radio buttons, checkboxes, buttons and the links that stand side by side in groups (menus,
# the language switch, pagers, the queue's states): each at least 24 x 24 CSS px.
SMALL_TARGETS = """() => {
  const selector = ['input[type=radio]', 'input[type=checkbox]', 'button', 'summary',
    'input[type=file]', '.lang-switch a', '.lang-switch span', '.site-nav a', '.pager a',
    '.state-counts a', 'a.button', '.quick-exit'].join(',');
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility({visibilityProperty: true})) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width < 24 || rect.height < 24) {
      const size = `${Math.round(rect.width)}x${Math.round(rect.height)}`;
      small.push(`${size} ${el.outerHTML.slice(0, 90)}`);
    }
  }
  return small;
}"""


def tab_stops(page) -> list[int]:
    return page.evaluate(TAB_STOPS)


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def press(page, key: str) -> dict | None:
    page.keyboard.press(key)
    return focused(page)


def skip_link_text(language: str) -> str:
    with translation.override(language):
        return translation.gettext("Skip to content")


def keyboard_problems(page, language: str = "en") -> list[str]:
    """Everything wrong with the page for someone on a keyboard (empty when all is well).
    Leaves the focus wherever the walk ended."""
    problems = []
    stops = tab_stops(page)
    first = page.evaluate(_POSITION, page.query_selector(".skip-link"))
    if not stops or stops[0] != first:
        problems.append("the skip link is not the first thing Tab reaches")
    if page.inner_text(".skip-link").strip() != skip_link_text(language):
        problems.append(f"the skip link says {page.inner_text('.skip-link')!r}")
    if page.query_selector("[tabindex]:not([tabindex='-1']):not([tabindex='0'])"):
        problems.append("a positive tabindex changes the order")

    target = page.evaluate(
        "() => { const m = document.getElementById('content');"
        " return m && m.tagName === 'MAIN' && m.tabIndex === -1; }"
    )
    if page.get_attribute(".skip-link", "href") != "#content" or not target:
        problems.append("the skip link does not lead to the main content")

    # A page that opens on its error summary has the focus there; the walk starts at the top.
    autofocus = page.query_selector("[autofocus]")
    now = focused(page)
    if autofocus is not None and (
        now is None or now["position"] != page.evaluate(_POSITION, autofocus)
    ):
        problems.append("the autofocused element does not have focus")
    if now is None:
        now = press(page, "Tab")  # a page just opened: the first Tab
    else:
        page.focus(".skip-link")  # the error summary, or what the walk clicked last
        now = focused(page)
    if now is None or now["position"] != first:
        return [*problems, "Tab does not start at the skip link"]

    reached = []
    presses = 0
    # Until Tab leaves the page or comes round to its top again. A date field keeps the focus
    # for each of its parts (day, month, year): one stop, several presses.
    while now is not None and (not reached or now["position"] >= reached[-1]):
        if not reached or now["position"] > reached[-1]:
            reached.append(now["position"])
            if not (now["ring"] or now["shadow"]):
                problems.append(f"no visible focus ring on {now['what']}")
            if not now["seen"]:
                problems.append(f"focus on something that cannot be seen: {now['what']}")
        presses += 1
        if presses > 500:
            problems.append("Tab never leaves the page")
            break
        now = press(page, "Tab")
    if reached != stops:
        missed = [position for position in stops if position not in reached]
        problems.append(f"Tab order {reached} is not the page's order {stops}; missed {missed}")

    problems += page.evaluate(LOOSE_ENDS)
    problems += [f"target under 24 px: {small}" for small in page.evaluate(SMALL_TARGETS)]
    return problems


@pytest.fixture
def keyboard_context(browser):
    """A desktop browser with JavaScript off, as a keyboard user without a mouse has it."""
    context = browser.new_context(locale="en-GB", java_script_enabled=False)
    yield context
    context.close()


@pytest.fixture
def phone_context(browser):
    """A phone 320 CSS px wide with JavaScript off (also what 400 % zoom of 1280 px gives)."""
    context = browser.new_context(locale="en-GB", java_script_enabled=False, viewport=PHONE)
    yield context
    context.close()


# --- every page, by keyboard -----------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_applicant_page_works_by_keyboard(live_server, keyboard_context, team, language):
    _reference, code = case_with_correspondence(team, language)
    page = new_page(keyboard_context)
    found = {}
    for state in applicant_states(page, live_server.url, language, code):
        problems = keyboard_problems(page, language)
        if problems:
            found[state] = problems
    assert not found, "\n".join(f"{state}:\n  " + "\n  ".join(p) for state, p in found.items())


def test_every_staff_page_works_by_keyboard(live_server, browser, team):
    cases = staff_cases(team)

    def context():
        return browser.new_context(locale="en-GB", java_script_enabled=False)

    found = {}
    for state, page in staff_states(context, live_server.url, team, cases):
        problems = keyboard_problems(page)
        if problems:
            found[state] = problems
    assert not found, "\n".join(f"{state}:\n  " + "\n  ".join(p) for state, p in found.items())


def skip_to_content(page) -> str:
    """Tab once, check it is the skip link, press Enter: returns what then has focus, and
    whether the next Tab stays inside the main content."""
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link", page.url
    assert page.is_visible(".skip-link")
    page.keyboard.press("Enter")
    landed = page.evaluate("() => document.activeElement.id")
    page.keyboard.press("Tab")
    inside = page.evaluate(
        "() => document.getElementById('content').contains(document.activeElement)"
    )
    return f"{landed}{'' if inside else ', then out of it'}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_skip_link_moves_focus_past_the_header(live_server, keyboard_context, language):
    vault_ready()
    page = new_page(keyboard_context)
    for path in (f"/{language}/", f"/{language}/request/", f"/{language}/status/"):
        page.goto(f"{live_server.url}{path}")
        assert page.inner_text(".skip-link") == skip_link_text(language)
        assert skip_to_content(page) == "content", path
    for path in ("/staff/login/", f"/{language}/no-such-page/"):
        page.goto(f"{live_server.url}{path}")
        assert skip_to_content(page) == "content", path


# --- reflow at 320 CSS px --------------------------------------------------------------------

SCROLL_WIDTH = "() => document.scrollingElement.scrollWidth"
# The first few elements that stick out to the right (to say what widened the page).
WIDEST = """() => [...document.querySelectorAll('main *, header *')]
  .filter(el => el.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
  .slice(0, 3)
  .map(el => `${Math.round(el.getBoundingClientRect().right)} ${el.outerHTML.slice(0, 80)}`)"""


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_applicant_page_scrolls_sideways_at_320_px(live_server, phone_context, team, language):
    _reference, code = case_with_correspondence(team, language)
    page = new_page(phone_context)
    wide = {}
    for state in applicant_states(page, live_server.url, language, code):
        width = page.evaluate(SCROLL_WIDTH)
        if width > PHONE["width"]:
            wide[state] = (width, page.evaluate(WIDEST))
    assert not wide, wide


def test_no_staff_page_scrolls_sideways_at_320_px(live_server, browser, team):
    cases = staff_cases(team)

    def context():
        return browser.new_context(locale="en-GB", java_script_enabled=False, viewport=PHONE)

    wide = {}
    seen = []
    for state, page in staff_states(context, live_server.url, team, cases):
        seen.append(state)
        if "opened" in state and "not opened" not in state:
            assert LONG_WORD in page.content(), state
        width = page.evaluate(SCROLL_WIDTH)
        if width > PHONE["width"]:
            wide[state] = (width, page.evaluate(WIDEST))
    assert len(seen) == STAFF_STATES, seen
    assert not wide, wide


@pytest.mark.parametrize("language", NEW_LANGUAGES)
def test_each_other_language_passes_axe_reflows_at_320_px_and_keeps_its_targets(
    live_server, browser, team, language
):
    """The main states in Ukrainian, Georgian, Armenian ... (their words are longer, their
    scripts need their fonts, the notice sits on top): axe at desktop width, then the same page
    at 320 px (no sideways scrolling, 24 px targets)."""
    _reference, code = case_with_correspondence(team, language)
    context = browser.new_context(locale="en-GB", java_script_enabled=True, bypass_csp=True)
    try:
        page = new_page(context)
        findings = Findings.empty()
        narrow = {}
        for state in main_applicant_states(page, live_server.url, language, code):
            assert page.get_attribute("html", "lang") == language, state
            assert page.locator("p.translation-notice").count() == 1, state
            findings.check(state, page)
            page.set_viewport_size(PHONE)
            width = page.evaluate(SCROLL_WIDTH)
            if width > PHONE["width"]:
                narrow[state] = (width, page.evaluate(WIDEST))
            small = page.evaluate(SMALL_TARGETS)
            if small:
                narrow[f"{state}, targets under 24 px"] = small
            page.set_viewport_size(DESKTOP)
        assert len(findings.seen) == 6
        assert not findings.found, findings.report()
        assert not narrow, narrow
    finally:
        context.close()


# --- whole journeys by keyboard alone --------------------------------------------------------


def tab_to(page, selector: str, *, limit: int = 150) -> None:
    """Presses Tab until the element matching `selector` has focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reaches {selector}")


def choose(page, name: str, value: str) -> None:
    """Into a radio group by Tab, then the arrow keys to `value`, and Space."""
    tab_to(page, f"input[type=radio][name={name}]")
    for _ in range(12):
        if page.evaluate("() => document.activeElement.value") == value:
            page.keyboard.press("Space")
            assert page.is_checked(f"input[name={name}][value='{value}']")
            return
        page.keyboard.press("ArrowDown")
    raise AssertionError(f"no {value!r} in the {name!r} group")


def enter(page, selector: str) -> None:
    """Tab to a link or button and press Enter; waits for the page it opens."""
    tab_to(page, selector)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_a_request_by_keyboard_alone_with_its_errors_and_the_language_switch(
    live_server, keyboard_context
):
    vault_ready()
    page = new_page(keyboard_context)
    page.goto(f"{live_server.url}/en/")
    enter(page, "main a[href='/en/request/']")
    tab_to(page, "#id_name")
    page.keyboard.type("Keyboard Alias")
    enter(page, "#intake > button[type=submit]")  # the rest is missing: errors

    # The summary has focus; its first link leads to the first field that needs a change.
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert page.get_attribute("#error-summary", "role") == "alert"
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.getAttribute('href')") == (
        "#id_contact_method"
    )
    page.keyboard.press("Enter")  # to the group: the next Tab is its first radio button
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.name") == "contact_method"
    page.keyboard.press("ArrowDown")  # Telegram
    assert page.is_checked("#id_contact_method_1")
    tab_to(page, "#id_contact_handle")
    page.keyboard.type("@keyboard_alias")

    # Русский: the same form in Russian, with what was typed.
    enter(page, "button[name=switch_language][value=ru]")
    assert page.url.endswith("/ru/request/")
    assert page.input_value("#id_name") == "Keyboard Alias"
    assert page.input_value("#id_contact_handle") == "@keyboard_alias"
    tab_to(page, "#id_country")
    page.keyboard.type("Somewhere")
    tab_to(page, "#id_situation")
    page.keyboard.type(f"Typed without a mouse. {LONG_WORD}")
    choose(page, "urgency", "now")
    tab_to(page, "#id_party_size")
    page.keyboard.press("Control+A")
    page.keyboard.type("2")
    choose(page, "travel_documents", "valid_passport")
    tab_to(page, "input[name=help_needed][value=transport]")
    page.keyboard.press("Space")
    tab_to(page, "#id_consent")
    page.keyboard.press("Space")
    enter(page, "#intake > button[type=submit]")

    assert page.locator("p.receipt").count() == 1
    case = Case.objects.get()
    assert case.state == State.RECEIVED and case.urgency == "now"
    enter(page, "form[data-form=written_down] button")
    assert page.url.endswith("/ru/request/") and page.locator("p.receipt").count() == 0


def test_the_status_page_by_keyboard_alone(live_server, keyboard_context, team):
    _reference, code = case_with_correspondence(team, "ru")
    page = new_page(keyboard_context)
    page.goto(f"{live_server.url}/ru/status/")
    tab_to(page, "#id_code")
    page.keyboard.type("1234")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # sends the code: Enter is not the language switch
    assert page.url.endswith("/ru/status/")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert page.get_attribute("#id_code", "aria-invalid") == "true"
    page.keyboard.press("Tab")  # the summary's link to the field
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "id_code"
    page.keyboard.press("Control+A")
    page.keyboard.type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("form[data-form=message]").count() == 1

    tab_to(page, "form[data-form=message] textarea")
    page.keyboard.type("Sent with the keyboard.")
    enter(page, "form[data-form=message] button[type=submit]")
    assert "Sent with the keyboard." in page.content()
    enter(page, "form[data-form=confirm_withdraw] button")
    enter(page, "form[data-form=withdraw] button")
    assert Case.objects.get(reference=_reference).state == State.WITHDRAWN


def test_a_caseworker_signs_in_opens_and_assesses_a_case_by_keyboard_alone(
    live_server, keyboard_context, team
):
    reference, _code = case_with_correspondence(team)
    page = new_page(keyboard_context)
    page.goto(f"{live_server.url}/staff/login/")
    tab_to(page, "#id_username")
    page.keyboard.type("carla")
    page.keyboard.press("Tab")
    page.keyboard.type(DEFAULT_PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    tab_to(page, "#id_token")
    page.keyboard.type(fresh_totp_code(team.carla))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url == f"{live_server.url}/staff/"

    enter(page, ".site-nav a[href='/staff/cases/']")
    enter(page, f"main a[href='/staff/cases/{reference}/']")
    choose(page, "reason", "assess")
    enter(page, "main form button[type=submit]")
    assert LONG_WORD in page.content()

    choose(page, "risk_level", "4")
    choose(page, "verified_by", "interview")
    tab_to(page, "#action-assess input[name=support][value=relocation]")
    page.keyboard.press("Space")
    enter(page, "#action-assess button[type=submit]")
    assert Case.objects.get(reference=reference).state == State.ASSESSED


def test_the_error_summary_and_fields_are_linked_for_assistive_technology(
    live_server, keyboard_context
):
    vault_ready()
    page = new_page(keyboard_context)
    page.goto(f"{live_server.url}/en/request/")
    with page.expect_navigation():
        page.click("#intake > button[type=submit]")
    summary = page.locator("#error-summary")
    assert summary.get_attribute("role") == "alert"
    links = summary.locator("a")
    assert links.count() >= 6
    for href in links.evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        target = page.locator(href)
        assert target.count() == 1, href
        # A group (radio buttons, checkboxes) is described by its fieldset; each of its
        # inputs is marked invalid. A single field is both itself.
        group = target.evaluate("e => e.tagName") == "FIELDSET"
        controls = target.locator("input") if group else target
        error_ids = target.get_attribute("aria-describedby").split()
        assert any(i.endswith("_error") for i in error_ids), href
        for error_id in error_ids:
            assert page.locator(f"#{error_id}").count() == 1
        for invalid in controls.evaluate_all("cs => cs.map(c => c.getAttribute('aria-invalid'))"):
            assert invalid == "true", href
    assert re.search(r"\w", summary.inner_text())
