"""A source that has spent its failed-attempt allowance learns nothing about which locators are
live: through the real /en/status/ page, a locator no case has and a live case's locator with a
wrong secret get the same status code and the same page, and cost the same Argon2id
(core.ratelimit.code_attempt)."""

from __future__ import annotations

import re
from unittest import mock

import pytest

from tests.factories import (
    Applicant,
    code_typed,
    code_with_secret,
    request_sent,
    unknown_locator,
    vault_ready,
    without_page_tokens,
)
from vault import cases as vault_cases
from vault.receipts import ReceiptCode

pytestmark = pytest.mark.django_db

NOT_FOUND = "We could not find a request with this code."


def _dead_code() -> str:
    return str(ReceiptCode(locator=unknown_locator(), secret="1234567890123456"))


def _typed(code: str) -> Applicant:
    person = Applicant()  # every person comes from the same address: a shared exit, a NAT
    person.check(code)
    assert person.response.wsgi_request.path == "/en/status/"
    assert code_typed(person.page) == code
    return person


def _page(person: Applicant) -> str:
    """The page with what differs on every drawing blanked: tokens, and the code typed back."""
    page = without_page_tokens(person.page)
    return re.sub(r'(<input type="text" name="code"[^>]* value=")[^"]*"', r'\1"', page)


def test_a_spent_source_gets_the_same_answer_for_a_dead_and_a_live_locator(limits):
    vault_ready()
    limits.RATE_LIMIT_CODE_FAILURES_PER_SOURCE = 1
    limits.RATE_LIMIT_CODE_TRICKLE_PER_MINUTE = 2
    _reference, code = request_sent()
    live = code_with_secret(code, "9" * 16)  # the live case's locator, a wrong secret

    evaluated = mock.patch.object(
        vault_cases, "case_cipher_for_applicant", wraps=vault_cases.case_cipher_for_applicant
    )
    with evaluated as opened:
        # The source spends its allowance and then some, on random codes (as a sweep would).
        for _ in range(4):
            _typed(_dead_code())
        calls = opened.call_count

        # Now one more dead locator and the live one: each is a locator tried for the first
        # time, so each is answered alike, after one Argon2id each.
        dead, alive = _typed(_dead_code()), _typed(live)
        assert dead.response.status_code == alive.response.status_code == 200
        assert NOT_FOUND in dead.page
        assert _page(dead) == _page(alive)
        assert opened.call_count == calls + 2

        # Hammered, each locator's own trickle runs out after the same number of tries, and
        # the refusals read alike too (and cost no Argon2id).
        dead_code = _dead_code()
        dead_answers = [_typed(dead_code) for _ in range(3)]
        live_answers = [_typed(live) for _ in range(2)]  # it has spent one already
        assert [p.response.status_code for p in dead_answers] == [200, 200, 429]
        assert [p.response.status_code for p in live_answers] == [200, 429]
        assert _page(dead_answers[-1]) == _page(live_answers[-1])
        assert NOT_FOUND not in live_answers[-1].page
        assert opened.call_count == calls + 2 + 2 + 1
