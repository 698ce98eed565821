"""The intake form's markup, written out in Python (evacuation/applicant/forms.py) instead of a
template per field and per widget: what a person (and a screen reader) gets stays the same, and
the page is rendered without Django's widget templates (issue 13, point 9: CPU per intake)."""

from __future__ import annotations

import re

import pytest

from tests.factories import (
    Applicant,
    applicant_with,
    intake_data,
    request_sent,
    send_form,
    vault_ready,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def recovery() -> str:
    return vault_ready()


def _squeezed(page: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", page))


def test_the_form_page_renders_no_template_per_field_or_widget():
    applicant = Applicant()
    response = applicant.open("/request/")
    names = {template.name for template in response.templates}
    assert "evacuation/applicant/request.html" in names
    assert not {name for name in names if name.startswith("django/forms/")}, names
    assert "evacuation/applicant/_field.html" not in names
    page = _squeezed(applicant.page)
    # Every question is still there, labelled, with its help and its "(required)".
    assert (
        '<label for="id_name">Name or alias we should use <span class="required">(required)'
        '</span></label><p class="help" id="id_name_helptext">It does not have to be your real '
        'name.</p><input type="text" name="name" maxlength="200" required '
        'aria-describedby="id_name_helptext" id="id_name">'
    ) in page
    assert (
        '<input type="number" name="party_size" value="1" min="1" max="20" required '
        'id="id_party_size">'
    ) in page
    assert '<fieldset id="id_contact_method"><legend>Safest way to reach you' in page
    assert (
        '<label for="id_contact_method_0"><input type="radio" name="contact_method" '
        'value="signal" id="id_contact_method_0" required> '
    ) in page
    assert '<input type="checkbox" name="consent" required id="id_consent">' in page


@pytest.mark.parametrize(
    ("language", "required", "help_error"),
    [
        ("en", "(required)", "For more than 20 people"),
        ("ru", "(обязательно)", "Если людей больше 20"),
    ],
)
def test_a_form_sent_back_keeps_what_was_typed_escaped_and_points_to_each_error(
    language, required, help_error
):
    applicant = Applicant(language=language)
    applicant.open("/request/")
    typed = intake_data(
        name='Typed <script>alert("x")</script>',
        party_size="50",
        urgency="",
        help_needed=["transport"],
    )
    response = send_form(applicant, "intake", typed)
    assert response.status_code == 200
    page = _squeezed(applicant.page)
    assert "<script>alert" not in page
    assert 'value="Typed &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"' in page
    # The number's error is tied to its input, which says it is invalid.
    assert re.search(
        r'<p class="errorlist" id="id_party_size_error">[^<]*'
        + re.escape(help_error)
        + r'[^<]*</p><input type="number" name="party_size" value="50" min="1" max="20" '
        r'required aria-invalid="true" aria-describedby="id_party_size_error" '
        r'id="id_party_size">',
        page,
    )
    # A group of choices names its error on the fieldset; the choice made stays chosen.
    assert '<fieldset id="id_urgency" aria-describedby="id_urgency_error"><legend>' in page
    assert f'<span class="required">{required}</span></legend>' in page
    assert (
        '<input type="radio" name="urgency" value="now" id="id_urgency_0" required '
        'aria-invalid="true">'
    ) in page
    assert (
        '<input type="checkbox" name="help_needed" value="transport" id="id_help_needed_0" checked>'
    ) in page
    assert '<input type="radio" name="contact_method" value="signal"' in page
    assert 'id="id_contact_method_0" required checked>' in page
    # The summary at the top links to each field that needs a change.
    assert '<a href="#id_party_size">' in page
    assert '<a href="#id_urgency">' in page


def test_the_empty_form_and_the_language_switch_written_out_once_stay_each_in_its_language():
    # Both are written out once per language and page (issue 13, point 9): a page asked for
    # in one language after another must not show the other's words or mark the other current.
    pages = {}
    for language in ("en", "ru", "en", "ru"):
        applicant = Applicant(language=language)
        applicant.open("/request/")
        pages.setdefault(language, set()).add(_squeezed(applicant.page))
        page = _squeezed(applicant.page)
        assert f'<span aria-current="true" lang="{language}">' in page
        other = "ru" if language == "en" else "en"
        assert f'form="intake" formaction="/{other}/request/"' in page
    en, ru = (pages[language] for language in ("en", "ru"))
    assert all("Name or alias we should use" in page for page in en)
    assert not any("Name or alias we should use" in page for page in ru)
    assert all("(обязательно)" in page and "(required)" not in page for page in ru)
    # Only the form's one-time token differs from one visit to the next.
    tokens = r'name="form_token" value="[^"]+"'
    assert len({re.sub(tokens, "", page) for page in en}) == 1


def test_a_switch_that_carries_a_capability_carries_that_visits_own():
    # The switch is written out once only where it carries no capability: on the withdrawal's
    # confirmation page each language is a form with this visit's capability in it.
    codes = [request_sent()[1] for _ in range(2)]
    capabilities = []
    for code in codes:
        applicant = applicant_with(code)
        applicant.act("confirm_withdraw")
        switch = re.search(r'<nav class="lang-switch".*?</nav>', applicant.page, re.S).group(0)
        found = re.findall(r'name="capability" value="([^"]+)"', switch)
        assert len(found) == 9, switch  # every language but the current one
        assert set(found) == {applicant.form("withdraw")[1]["capability"]}
        capabilities.append(found[0])
    assert capabilities[0] != capabilities[1]
