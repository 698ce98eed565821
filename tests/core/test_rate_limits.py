"""The buckets and the budgets, on a simulated clock (core.models.TokenBucket, core.ratelimit)."""

from __future__ import annotations

import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from core.models import SpentToken, TokenBucket
from core.ratelimit import Busy, CodeAttempt, case_spend, code_attempt, intake_spend
from evacuation.models import Case
from tests.core.simulated import T0, at, request_from
from tests.factories import (
    Applicant,
    code_typed,
    code_with_secret,
    intake_sent,
    receipt_on,
    request_sent,
    unknown_locator,
    vault_ready,
)
from vault import cases as vault_cases
from vault.receipts import ReceiptCode

pytestmark = pytest.mark.django_db

APPLICANT = "198.51.100.7"


def refused(result: Busy | CodeAttempt | None) -> bool:
    return isinstance(result, Busy)


def spend_all(spend, *, now) -> int:
    """How many times `spend(now)` is allowed before it is refused."""
    for allowed in range(10_000):
        if refused(spend(now)):
            return allowed
    raise AssertionError("never refused")


RANDOM_GUESS = "0000001"  # a locator no live case has
APPLICANTS_LOCATOR = "7654321"  # the live case of the applicant behind APPLICANT


def wrong_code(address: str = APPLICANT, *, now, locator: str = RANDOM_GUESS) -> Busy | CodeAttempt:
    """A code attempt whose code turns out wrong: the token stays spent."""
    return code_attempt(request_from(address), locator=locator, now=now)


def right_code(address: str = APPLICANT, *, now) -> Busy | CodeAttempt:
    attempt = code_attempt(request_from(address), locator=APPLICANTS_LOCATOR, now=now)
    if isinstance(attempt, CodeAttempt):
        attempt.succeeded()
    return attempt


# --- the bucket --------------------------------------------------------------------------------


def test_a_24_hour_window_refills_one_token_an_hour_for_24_hours(limits):
    limits.RATE_LIMIT_WINDOW_SECONDS = 24 * 3600
    limits.RATE_LIMIT_INTAKE_PER_SOURCE = 24
    request = request_from(APPLICANT)
    assert spend_all(lambda now: intake_spend(request, now=now), now=T0) == 24
    # Every ten minutes for a day: one intake each full hour, no early reset, no burst back.
    allowed_at = []
    for minutes in range(10, 24 * 60 + 1, 10):
        busy = intake_spend(request, now=at(minutes * 60))
        if busy is None:
            allowed_at.append(minutes // 60)
        else:
            assert not busy.everyone
            assert busy.retry_after == 3600 - (minutes % 60) * 60
    assert allowed_at == list(range(1, 25))


def test_the_bucket_refills_continuously_to_its_capacity_and_no_further():
    bucket = {"key": "test:refill", "capacity": 4, "refill_seconds": 40}
    assert [TokenBucket.authorize(**bucket, now=T0) for _ in range(5)] == [True] * 4 + [False]
    assert TokenBucket.seconds_until_token(**bucket, now=T0) == pytest.approx(10)
    assert TokenBucket.seconds_until_token(**bucket, now=at(9)) == pytest.approx(1)
    assert not TokenBucket.authorize(**bucket, now=at(9.9))
    assert TokenBucket.authorize(**bucket, now=at(10))
    # A day later it holds 4 tokens again, not a day's worth.
    later = at(86_400)
    assert [TokenBucket.authorize(**bucket, now=later) for _ in range(5)] == [True] * 4 + [False]


def test_a_refund_gives_one_token_back_and_never_more_than_the_capacity():
    bucket = {"key": "test:refund", "capacity": 2, "refill_seconds": 3600}
    assert TokenBucket.authorize(**bucket, now=T0)
    TokenBucket.refund("test:refund", capacity=2)
    TokenBucket.refund("test:refund", capacity=2)
    assert [TokenBucket.authorize(**bucket, now=T0) for _ in range(3)] == [True, True, False]


def test_a_bucket_is_pruned_only_after_its_own_refill_time():
    TokenBucket.authorize("test:minute", capacity=2, refill_seconds=60, now=T0)
    TokenBucket.authorize("test:day", capacity=2, refill_seconds=86_400, now=T0)
    assert TokenBucket.prune(now=at(59)) == 0
    assert TokenBucket.prune(now=at(61)) == 1
    assert TokenBucket.prune(now=at(86_399)) == 0
    assert set(TokenBucket.objects.values_list("key", flat=True)) == {"test:day"}
    assert TokenBucket.prune(now=at(86_401)) == 1
    assert not TokenBucket.objects.exists()


def test_requests_do_not_prune_only_the_daily_command_does(limits):
    TokenBucket.authorize("test:minute", capacity=2, refill_seconds=60, now=at(-3600))
    assert intake_spend(request_from(APPLICANT)) is None
    assert TokenBucket.objects.filter(key="test:minute").exists()
    out = io.StringIO()
    call_command("prune_traces", stdout=out)
    assert out.getvalue().strip() == "1 rate-limit bucket(s) and 0 spent form token(s) pruned."
    assert not TokenBucket.objects.filter(key="test:minute").exists()


def test_the_command_help_shows_the_cron_line(capsys):
    with pytest.raises(SystemExit):
        call_command("prune_traces", "--help")
    shown = capsys.readouterr().out
    assert "\n  47 3 * * * cd /srv/safe-passage" in shown
    assert ".venv/bin/python manage.py prune_traces\n" in shown


# --- intake ------------------------------------------------------------------------------------


def test_intake_per_source_refuses_the_eleventh_and_says_when_a_token_is_back(limits):
    request = request_from(APPLICANT)
    assert spend_all(lambda now: intake_spend(request, now=now), now=T0) == 10
    assert intake_spend(request, now=T0) == Busy(retry_after=360, everyone=False)
    assert intake_spend(request, now=at(300)) == Busy(retry_after=60, everyone=False)
    assert intake_spend(request, now=at(360)) is None
    assert intake_spend(request_from("198.51.100.8"), now=T0) is None  # another source


def test_after_an_intake_flood_an_applicant_gets_through_within_seconds(limits):
    flood = [request_from(f"203.0.113.{n}") for n in range(100)]
    statuses = [intake_spend(request, now=T0) for request in flood]
    assert statuses.count(None) == 60
    assert statuses[-1] == Busy(retry_after=1, everyone=True)
    applicant = request_from(APPLICANT)
    assert intake_spend(applicant, now=T0) == Busy(retry_after=1, everyone=True)
    assert intake_spend(applicant, now=at(1)) is None
    # Refused by the crowd, the applicant's own allowance was not charged: 10 from here on.
    later = at(3600)
    assert spend_all(lambda now: intake_spend(applicant, now=now), now=later) == 10


# --- receipt codes -----------------------------------------------------------------------------


def test_right_codes_spend_nothing_of_the_source(limits):
    limits.RATE_LIMIT_LOOKUP_BURST = 1000
    for _ in range(200):
        assert not refused(right_code(now=T0))
    assert spend_all(lambda now: wrong_code(now=now), now=T0) == 32


def test_wrong_codes_spend_the_allowance_then_the_trickle(limits):
    results = [wrong_code(now=T0) for _ in range(40)]
    assert sum(not refused(result) for result in results) == 30 + 2
    assert results[-1] == Busy(retry_after=30, everyone=False)  # the trickle's next token
    assert not refused(wrong_code(now=at(30)))
    assert wrong_code(now=at(30)) == Busy(retry_after=30, everyone=False)
    assert not refused(wrong_code("198.51.100.8", now=T0))  # another source


def test_a_right_code_gets_through_the_trickle_while_wrong_ones_are_refused(limits):
    for _ in range(40):
        wrong_code(now=T0)
    later = at(30)
    for _ in range(5):  # each success hands its trickle token back
        assert not refused(right_code(now=later))
    assert not refused(wrong_code(now=later))
    assert refused(wrong_code(now=later))
    assert not refused(right_code(now=later))  # its own trickle, untouched by the guesses


def test_every_evaluation_spends_everyones_look_up_budget(limits):
    attempts = [right_code(f"203.0.113.{n}", now=T0) for n in range(61)]
    assert sum(not refused(attempt) for attempt in attempts) == 60
    assert attempts[-1] == Busy(retry_after=1, everyone=True)
    assert not refused(right_code(now=at(1)))
    # Refused by the crowd, a source's wrong attempts were not charged: it still has 30 + 2.
    later = at(60)
    assert spend_all(lambda now: wrong_code(now=now), now=later) == 32


# --- cases -------------------------------------------------------------------------------------


def test_a_case_has_its_own_allowance_and_it_refills(limits):
    assert spend_all(lambda now: case_spend("case-uid-1", now=now), now=T0) == 60
    assert case_spend("case-uid-1", now=T0) == Busy(retry_after=15, everyone=False)
    assert case_spend("case-uid-1", now=at(15)) is None
    assert case_spend("case-uid-2", now=T0) is None


def test_case_actions_never_spend_the_failed_attempt_allowance(limits):
    for _ in range(100):
        case_spend("case-uid-1", now=T0)
    assert spend_all(lambda now: wrong_code(now=now), now=T0) == 32


# --- the switch --------------------------------------------------------------------------------


def test_a_guess_hammered_at_one_locator_leaves_the_applicants_own(limits):
    """A spent source still gets two evaluations a minute for a live case's code, however
    many guesses come from the same address at another locator."""
    for _ in range(40):  # the allowance and that locator's trickle, spent
        wrong_code(now=T0)
    assert refused(wrong_code(now=T0))
    # The attackers hammer on; the applicant's own code still gets its two a minute.
    later = at(1)
    for _ in range(100):
        assert refused(wrong_code(now=later))
    assert not refused(right_code(now=later))
    assert not refused(right_code(now=later))


def test_a_spent_sources_trickle_is_per_locator_whether_or_not_a_case_has_it(limits):
    """No oracle: the trickle a spent source draws from depends on the locator typed, never on
    whether a live case has it, so every locator, dead or live, gets the same two a minute."""
    for _ in range(30):
        wrong_code(now=T0)
    answers = {
        locator: [refused(wrong_code(now=T0, locator=locator)) for _ in range(3)]
        for locator in (RANDOM_GUESS, "0000002", "0000003", APPLICANTS_LOCATOR)
    }
    assert all(refusals == [False, False, True] for refusals in answers.values()), answers


def test_a_spent_source_spraying_locators_is_held_by_everyones_budget(limits):
    """The price of no oracle (core.ratelimit): guesses spread over many locators are bounded
    by everyone's look-up budget, not by the source's allowance, and a second later the
    applicant is through."""
    attempts = [wrong_code(now=T0, locator=f"{n:07d}") for n in range(1, 101)]
    assert sum(not refused(attempt) for attempt in attempts) == 60  # the burst of everyone's
    assert attempts[-1] == Busy(retry_after=1, everyone=True)
    assert refused(right_code(now=T0))
    assert not refused(right_code(now=at(1)))


def test_the_switch_turns_every_limit_off(limits):
    limits.RATE_LIMITS_ENABLED = False
    request = request_from(APPLICANT)
    for _ in range(100):
        assert intake_spend(request, now=T0) is None
        assert isinstance(wrong_code(now=T0), CodeAttempt)
        assert case_spend("case-uid-1", now=T0) is None
    assert not TokenBucket.objects.exists()


# --- the pages: what a person sees when a limit refuses them ----------------------------------

BUSY_TEXT = {
    "en": {
        "source": "Many attempts have come from your connection in a short time.",
        "everyone": "The service is very busy right now, because many people are using it at once.",
        "retry": "Please try again in {seconds} seconds.",
        "retry_one": "Please try again in 1 second.",
        "nothing": "Nothing was stored or sent.",
    },
    "ru": {
        "source": "С вашего подключения за короткое время пришло слишком много попыток.",  # noqa: RUF001
        "everyone": "Сейчас сервис очень загружен: им одновременно пользуется много людей.",
        "retry": "Пожалуйста, попробуйте снова через {seconds} секунд.",
        "retry_one": "Пожалуйста, попробуйте снова через 1 секунду.",
        "nothing": "Ничего не сохранено и не отправлено.",
    },
}


def _later(seconds: float):
    """The clock of the database-backed buckets and spent tokens, `seconds` from now."""
    later = timezone.now() + timedelta(seconds=seconds)
    return mock.patch("django.utils.timezone.now", return_value=later)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_a_busy_intake_shows_the_form_again_as_typed_and_stores_nothing(limits, language):
    vault_ready()
    limits.RATE_LIMIT_INTAKE_PER_SOURCE = 1
    request_sent(Applicant(language=language))
    applicant = Applicant(language=language)
    response = intake_sent(applicant, city="Kept City", situation="Typed while it was busy.")
    page, text = applicant.page, BUSY_TEXT[language]
    assert response.status_code == 429
    assert f'lang="{language}"' in page
    assert text["source"] in page
    assert text["retry"].format(seconds=3600) in page
    assert text["nothing"] in page
    assert 'value="Kept City"' in page and "Typed while it was busy." in page
    assert 'data-form="intake"' in page and receipt_on(page) is None
    assert Case.objects.count() == 1 and SpentToken.objects.count() == 1
    # An hour later the same form, sent again as it was, gets through, once.
    with _later(3600):
        applicant.resend()
    assert applicant.response.status_code == 200 and receipt_on(applicant.page)
    assert Case.objects.count() == 2


@pytest.mark.parametrize("language", ["en", "ru"])
def test_when_everyone_is_too_many_the_page_says_so_and_a_second_later_it_goes(limits, language):
    vault_ready()
    limits.RATE_LIMIT_INTAKE_PER_SECOND = 1
    limits.RATE_LIMIT_INTAKE_BURST = 1
    request_sent(Applicant(Client(REMOTE_ADDR="203.0.113.1"), language=language))
    applicant = Applicant(Client(REMOTE_ADDR="203.0.113.2"), language=language)
    response = intake_sent(applicant, city="Kept City")
    text = BUSY_TEXT[language]
    assert response.status_code == 429
    assert text["everyone"] in applicant.page and text["retry_one"] in applicant.page
    assert text["nothing"] in applicant.page and 'value="Kept City"' in applicant.page
    assert Case.objects.count() == 1
    with _later(1):
        applicant.resend()
    assert receipt_on(applicant.page) and Case.objects.count() == 2


def test_a_wrong_code_flood_from_one_address_does_not_stop_its_right_code(limits):
    vault_ready()
    limits.RATE_LIMIT_CODE_FAILURES_PER_SOURCE = 3  # and the trickles' two a minute
    reference, code = request_sent()
    not_found = "We could not find a request with this code."
    source = BUSY_TEXT["en"]["source"]

    evaluated = mock.patch.object(
        vault_cases, "case_cipher_for_applicant", wraps=vault_cases.case_cipher_for_applicant
    )
    with evaluated as opened:
        attacker = Applicant()  # the same address as the applicant: a shared Tor exit, a NAT
        answers = []
        for _ in range(20):
            guess = str(ReceiptCode(locator=unknown_locator(), secret="1234567890123456"))
            attacker.check(guess)
            answers.append(attacker.response.status_code)
            assert code_typed(attacker.page) == guess
        # The allowance, then each new locator's own trickle: every guess is answered as any
        # wrong code is, after one Argon2id (paid from everyone's budget), never sooner.
        assert answers == [200] * 20
        assert opened.call_count == 20 and not_found in attacker.page
        # Hammered at one locator, the source is told to wait, and that costs no Argon2id.
        guess = str(ReceiptCode(locator=unknown_locator(), secret="1234567890123456"))
        hammered = []
        for _ in range(3):
            attacker.check(guess)
            hammered.append(attacker.response.status_code)
        assert hammered == [200, 200, 429]
        assert opened.call_count == 22
        assert not_found not in attacker.page and source in attacker.page
        assert BUSY_TEXT["en"]["nothing"] in attacker.page

        # The applicant behind the same address types their code: it opens their request,
        # as often as they like (a right code gives its token back).
        for _ in range(3):
            applicant = Applicant()
            applicant.check(code)
            assert applicant.response.status_code == 200, applicant.page
            assert reference in applicant.page and 'name="capability"' in applicant.page

        # Their own locator gets two evaluations a minute: two wrong secrets, then later.
        wrong = [Applicant() for _ in range(3)]
        for n, person in enumerate(wrong):
            person.check(code_with_secret(code, f"{n}" * 16))
        assert [person.response.status_code for person in wrong] == [200, 200, 429]
        assert not_found in wrong[0].page and not_found in wrong[1].page

        # Half a minute later one evaluation is back, and the right code takes it.
        with _later(30):
            applicant = Applicant()
            applicant.check(code)
        assert reference in applicant.page

    # Another address was never touched by the flood.
    other = Applicant(Client(REMOTE_ADDR="198.51.100.99"))
    other.check(code_with_secret(code, "7" * 16))
    assert other.response.status_code == 200 and not_found in other.page
