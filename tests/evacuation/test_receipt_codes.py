"""Typing a receipt code on the status page: the right one opens the request, and a wrong one,
a mistyped one and one that is no code at all are each told plainly, without revealing which
requests exist. After a right code the page carries a capability, never the code."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace
from unittest import mock

import pytest
from django.test import Client

from evacuation.models import Case, Message
from tests.factories import (
    Applicant,
    applicant_with,
    code_mistyped,
    code_typed,
    code_with_secret,
    request_sent,
    unknown_locator,
    vault_ready,
    without_page_tokens,
)
from vault import capabilities
from vault import cases as vault_cases
from vault.cases import case_keys_shred
from vault.receipts import ReceiptCode, receipt_parse

pytestmark = pytest.mark.django_db

NOT_FOUND = "We could not find a request with this code."
RECEIVED = "We have received your request."
MALFORMED = "A receipt code has 24 digits, in six groups of four. Please check it."
TYPO = "One of the digits does not fit: a digit may be mistyped or two swapped."
MISSING = "Please enter your receipt code."
FORGOTTEN = "For your safety this page forgets your code after 15 minutes without use."


@pytest.fixture(autouse=True)
def _vault():
    vault_ready()


def _status(code: str) -> Applicant:
    applicant = Applicant()
    applicant.check(code)
    return applicant


def _unknown_code() -> str:
    """A well-formed code (its check digit fits) whose locator no case has."""
    return str(ReceiptCode(locator=unknown_locator(), secret="1234567890123456"))


def _without_typed_code(page: str) -> str:
    return re.sub(r'(<input type="text" name="code"[^>]* value=")[^"]*"', r'\1"', page)


def test_the_right_code_shows_the_state_in_plain_words():
    reference, code = request_sent()
    page = _status(code).page
    assert reference in page
    assert RECEIVED in page


def test_it_accepts_the_code_with_spaces_instead_of_dashes():
    reference, code = request_sent()
    assert reference in _status(code.replace("-", " ")).page


def test_the_status_page_carries_a_capability_and_never_the_code():
    _reference, code = request_sent()
    applicant = applicant_with(code)
    digits = re.sub(r"\D", "", code)
    assert code not in applicant.page
    assert digits not in applicant.page
    assert receipt_parse(code).secret not in applicant.page
    for form in ("message", "add", "upload", "confirm_withdraw"):
        _action, hidden = applicant.form(form)
        assert "capability" in hidden and "code" not in hidden


@pytest.mark.parametrize("kind", ["unknown locator", "right locator, wrong secret"])
def test_a_wrong_code_gets_the_same_message_and_keeps_what_was_typed(kind):
    reference, right = request_sent()
    code = _unknown_code() if kind == "unknown locator" else code_with_secret(right, "0" * 16)
    applicant = _status(code)
    assert applicant.response.status_code == 200
    assert NOT_FOUND in applicant.page
    assert reference not in applicant.page
    assert 'name="capability"' not in applicant.page
    assert code_typed(applicant.page) == code


def test_a_wrong_locator_and_a_right_locator_with_a_wrong_secret_look_exactly_alike():
    _reference, right = request_sent()
    unknown, wrong_secret = _unknown_code(), code_with_secret(right, "9" * 16)
    pages = [_status(code).page for code in (unknown, wrong_secret)]
    assert code_typed(pages[0]) == unknown and code_typed(pages[1]) == wrong_secret
    assert NOT_FOUND in pages[0]
    first, second = (_without_typed_code(without_page_tokens(page)) for page in pages)
    assert first == second


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("", MISSING),
        ("   ", MISSING),
        ("0000-0000-0000-0000-0000", MALFORMED),  # the old five groups: too short
        ("not a code", MALFORMED),
        ("1" * 64, MALFORMED),
        ("1234-5678-9012-3456-7890-123x", MALFORMED),
    ],
)
def test_a_missing_or_malformed_code_gets_its_own_message_and_nothing_is_looked_up(typed, message):
    reference, _right = request_sent()
    with (
        mock.patch.object(
            vault_cases, "case_cipher_for_applicant", wraps=vault_cases.case_cipher_for_applicant
        ) as opened,
        mock.patch.object(
            vault_cases, "locator_is_live", wraps=vault_cases.locator_is_live
        ) as seen,
    ):
        applicant = _status(typed)
    assert applicant.response.status_code == 200
    assert message in applicant.page
    assert NOT_FOUND not in applicant.page
    assert reference not in applicant.page
    if typed.strip():
        assert code_typed(applicant.page) == typed
    opened.assert_not_called()
    seen.assert_not_called()


def test_a_mistyped_digit_gets_its_own_message_keeps_the_text_and_looks_up_nothing():
    reference, code = request_sent()
    typo = code_mistyped(code)
    with mock.patch.object(
        vault_cases, "case_cipher_for_applicant", wraps=vault_cases.case_cipher_for_applicant
    ) as opened:
        applicant = _status(typo)
    assert applicant.response.status_code == 200
    assert TYPO in applicant.page
    assert NOT_FOUND not in applicant.page and MALFORMED not in applicant.page
    assert reference not in applicant.page
    assert code_typed(applicant.page) == typo
    opened.assert_not_called()
    # The same code typed right opens the request.
    assert reference in _status(code).page


def test_a_wrong_code_and_a_purged_cases_code_look_exactly_alike():
    reference, code = request_sent()
    case = Case.objects.get(reference=reference)
    case_keys_shred(case_uid=str(case.uid))
    case.delete()
    unknown = _unknown_code()
    used = _status(code).page
    wrong = _status(unknown).page
    assert NOT_FOUND in used
    assert code_typed(used) == code and code_typed(wrong) == unknown
    assert _without_typed_code(without_page_tokens(used)) == _without_typed_code(
        without_page_tokens(wrong)
    )


@pytest.mark.django_db(transaction=True)  # the deletion scrubs the database files: no transaction
def test_after_withdraw_and_delete_the_old_code_gives_exactly_the_wrong_code_page():
    reference, code = request_sent()
    applicant = applicant_with(code)
    applicant.act("confirm_withdraw")
    applicant.act("withdraw_delete")
    assert "Everything is deleted" in applicant.page
    used = _status(code).page
    wrong = _status(code_with_secret(code, "5" * 16)).page
    assert NOT_FOUND in used and reference not in used
    assert _without_typed_code(without_page_tokens(used)) == _without_typed_code(
        without_page_tokens(wrong)
    )


def test_one_code_never_opens_another_applicants_case():
    first_ref, first_code = request_sent()
    second_ref, _second_code = request_sent()
    page = _status(first_code).page
    assert first_ref in page and second_ref not in page


def test_the_code_is_never_put_in_a_url():
    _ref, code = request_sent()
    response = Client().get("/en/status/", {"code": code})
    assert response.status_code == 200
    assert NOT_FOUND not in response.content.decode()
    assert RECEIVED not in response.content.decode()
    assert code not in response.content.decode()


# --- the capability: 15 minutes, and only under this SECRET_KEY --------------------------------


def _later(seconds: float) -> SimpleNamespace:
    """vault.capabilities' clock, `seconds` from now."""
    now = time.time() + seconds
    return SimpleNamespace(time=lambda: now)


def test_an_expired_capability_sends_the_person_back_to_the_code_with_their_message():
    reference, code = request_sent()
    applicant = applicant_with(code)
    with mock.patch.object(capabilities, "time", _later(16 * 60)):
        response = applicant.act("message", text="Please call me after six.")
    assert response.status_code == 200
    assert FORGOTTEN in applicant.page
    assert "Please call me after six." in applicant.page  # shown back, to copy
    assert reference not in applicant.page and 'name="capability"' not in applicant.page
    assert not Message.objects.exists()
    # Typing the code again opens the request, and the message can be sent from there.
    applicant.act("lookup", code=code)
    assert reference in applicant.page
    applicant.act("message", text="Please call me after six.")
    assert "Your message is sent." in applicant.page
    assert Message.objects.count() == 1


def test_a_capability_within_its_15_minutes_still_opens_the_page():
    reference, code = request_sent()
    applicant = applicant_with(code)
    with mock.patch.object(capabilities, "time", _later(14 * 60)):
        applicant.act("confirm_withdraw")
    assert "Withdraw your request?" in applicant.page and reference in applicant.page


def test_an_old_capability_passed_by_hand_is_refused_as_expired():
    reference, code = request_sent()
    cipher = vault_cases.case_cipher_for_applicant(receipt_parse(code))
    old = capabilities.capability_issue(cipher, now=time.time() - 16 * 60)
    response = Client().post("/en/status/", {"capability": old, "step": "view"})
    page = response.content.decode()
    assert response.status_code == 200
    assert FORGOTTEN in page and reference not in page


def test_a_new_secret_key_leaves_codes_working_but_ends_capabilities(settings):
    reference, code = request_sent()
    applicant = applicant_with(code)
    settings.SECRET_KEY = "a new secret key, after the old one leaked"
    applicant.act("message", text="Sent after the key changed.")
    assert reference not in applicant.page and 'name="capability"' not in applicant.page
    assert 'data-form="lookup"' in applicant.page
    assert not Message.objects.exists()
    # The receipt code does not depend on SECRET_KEY: it still opens the request.
    again = applicant_with(code)
    assert reference in again.page and RECEIVED in again.page
