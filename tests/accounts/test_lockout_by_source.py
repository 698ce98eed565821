"""A lock-out holds a username from one source only; from many sources it slows, never locks.

Everything goes through the real sign-in pages; each Client has its own address (REMOTE_ADDR, or
the proxy's header). The slow-down's sleep is replaced: no test waits for real."""

from __future__ import annotations

from io import StringIO

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts import lockout
from audit.models import AuditEvent
from tests.factories import DEFAULT_PASSWORD, database_dump, sign_in

pytestmark = pytest.mark.django_db

LOCKED = "Too many failed sign-in attempts"
WRONG = "That username and password did not work."
ATTACKER = "203.0.113.66"
CORA_AT_HOME = "198.51.100.7"


@pytest.fixture
def waits(settings, monkeypatch) -> list[float]:
    """The slow-down switched on (with the other rate limits); each wait it asks for, in order."""
    settings.RATE_LIMITS_ENABLED = True
    asked: list[float] = []
    monkeypatch.setattr(lockout, "sleep", asked.append)
    return asked


WRONG_PASSWORD = "not the password"


def _attempt(client: Client, username: str, password: str = WRONG_PASSWORD):
    return client.post("/staff/login/", {"username": username, "password": password})


def _home_page(client: Client) -> str:
    response = client.get("/staff/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_attacker_elsewhere_does_not_keep_cora_out(cora, waits):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    answers = [_attempt(attacker, cora.username) for _ in range(10)]
    assert [a.status_code for a in answers] == [200] * 4 + [429] * 6

    sign_in(Client(REMOTE_ADDR=CORA_AT_HOME), cora)  # asserts each step succeeded


def test_the_attackers_address_is_locked_for_that_username_after_five(cora, colin, waits):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(4):
        assert WRONG in _attempt(attacker, cora.username).content.decode()
    assert _attempt(attacker, cora.username).status_code == 429

    response = _attempt(attacker, cora.username, DEFAULT_PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert LOCKED in page and "paused for 15 minutes" in page
    assert "_auth_user_id" not in attacker.session
    # The lock is for that name from that address: another name from it is answered as usual.
    assert _attempt(attacker, colin.username, DEFAULT_PASSWORD)["Location"] == "/staff/login/code/"


def test_the_name_is_counted_whatever_its_case(cora, waits):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for name in ("Cora", "CORA", "cOrA", "cora ", "CoRa"):
        _attempt(attacker, name)
    assert _attempt(attacker, cora.username, DEFAULT_PASSWORD).status_code == 429


def test_an_ipv6_source_is_its_slash_64(cora, waits):
    for n in range(5):
        _attempt(Client(REMOTE_ADDR=f"2001:db8:1:2::{n + 1}"), cora.username)
    elsewhere_in_it = Client(REMOTE_ADDR="2001:db8:1:2:ffff::9")
    assert _attempt(elsewhere_in_it, cora.username, DEFAULT_PASSWORD).status_code == 429
    sign_in(Client(REMOTE_ADDR="2001:db8:1:3::1"), cora)  # the next /64 is another source


def test_a_locked_address_is_refused_at_once_without_a_wait(cora, waits):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(5):
        _attempt(attacker, cora.username)
    assert waits == [0.5, 1.0, 2.0, 4.0]
    assert _attempt(attacker, cora.username).status_code == 429
    assert waits == [0.5, 1.0, 2.0, 4.0], "a locked source was made to wait"


def test_failures_from_many_addresses_lock_nobody_and_slow_every_answer(cora, waits):
    for n in range(20):
        response = _attempt(Client(REMOTE_ADDR=f"192.0.2.{n + 1}"), cora.username)
        assert response.status_code == 200 and WRONG in response.content.decode()
    # The first had no failure before it; then 0.5 s, doubling, never more than 4 s.
    assert waits == [0.5, 1.0, 2.0] + [4.0] * 16

    client = sign_in(Client(REMOTE_ADDR=CORA_AT_HOME), cora)
    assert waits[-1] == 4.0, "the right password is answered as slowly as a wrong one"
    assert "There were 20 failed sign-in attempts with your username" in _home_page(client)


def test_the_wait_is_bounded_whatever_the_count():
    assert lockout.delay_for(0) == 0
    assert lockout.delay_for(1) == 0.5
    assert lockout.delay_for(4) == 4.0
    assert lockout.delay_for(10**9) == lockout.DELAY_MAX_SECONDS == 4.0


def test_the_notice_counts_only_failures_since_the_last_sign_in(cora, waits):
    _attempt(Client(REMOTE_ADDR="192.0.2.1"), cora.username)
    first = sign_in(Client(REMOTE_ADDR=CORA_AT_HOME), cora)
    assert "There was 1 failed sign-in attempt with your username" in _home_page(first)

    again = sign_in(Client(REMOTE_ADDR=CORA_AT_HOME), cora)
    assert "failed sign-in attempt" not in _home_page(again)

    for n in range(3):
        _attempt(Client(REMOTE_ADDR=f"192.0.2.{n + 10}"), cora.username)
    third = sign_in(Client(REMOTE_ADDR=CORA_AT_HOME), cora)
    assert "There were 3 failed sign-in attempts with your username" in _home_page(third)


def test_the_notice_and_the_lock_out_are_in_russian(cora, waits):
    for n in range(5):
        _attempt(Client(REMOTE_ADDR=f"192.0.2.{n + 1}"), cora.username)
    client = sign_in(Client(REMOTE_ADDR=CORA_AT_HOME, HTTP_ACCEPT_LANGUAGE="ru"), cora)
    page = _home_page(client)
    assert "С момента вашего последнего входа было 5 неудачных попыток войти" in page  # noqa: RUF001

    attacker = Client(REMOTE_ADDR=ATTACKER, HTTP_ACCEPT_LANGUAGE="ru")
    for _ in range(5):
        _attempt(attacker, cora.username)
    page = _attempt(attacker, cora.username, DEFAULT_PASSWORD).content.decode()
    assert "Слишком много неудачных попыток входа" in page
    assert "приостановлен на 15 минут" in page


def test_behind_the_proxy_axes_counts_the_header_address_as_a_keyed_hash(settings, cora, waits):
    settings.CLIENT_ADDRESS_HEADER = "X-Real-IP"
    proxy = "10.0.0.2"
    attacker = Client(REMOTE_ADDR=proxy, headers={"X-Real-IP": ATTACKER})
    for _ in range(5):
        _attempt(attacker, cora.username)
    assert _attempt(attacker, cora.username, DEFAULT_PASSWORD).status_code == 429
    # Another person behind the same proxy is another source: not locked.
    sign_in(Client(REMOTE_ADDR=proxy, headers={"X-Real-IP": CORA_AT_HOME}), cora)

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {
        lockout.source_pseudonym(ATTACKER)
    }
    assert set(AccessFailureLog.objects.values_list("ip_address", flat=True)) == {
        lockout.source_pseudonym(ATTACKER)
    }
    assert list(AccessLog.objects.values_list("ip_address", flat=True)) == [
        lockout.source_pseudonym(CORA_AT_HOME)
    ]
    assert lockout.source_pseudonym(proxy) not in {
        lockout.source_pseudonym(ATTACKER),
        lockout.source_pseudonym(CORA_AT_HOME),
    }
    dump = database_dump()
    for address in (ATTACKER, CORA_AT_HOME, proxy):
        assert address.encode() not in dump, f"{address} stored in clear"


def test_axes_rows_hold_no_name_tried_in_clear(cora, waits):
    _attempt(Client(REMOTE_ADDR=ATTACKER), "mallory-guess")
    _attempt(Client(REMOTE_ADDR=ATTACKER), cora.username)
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {
        lockout.username_hash("mallory-guess"),
        lockout.username_hash(cora.username),
    }
    assert b"mallory-guess" not in database_dump()


def test_each_failure_and_each_lock_out_is_an_audit_event_without_the_name(cora, waits):
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(7):
        _attempt(attacker, cora.username)
    failed = AuditEvent.objects.filter(action="signin.failed")
    locked = AuditEvent.objects.filter(action="signin.locked_out")
    assert failed.count() == 7
    assert locked.count() == 3  # the fifth failure locks; the sixth and seventh meet the lock
    expected = lockout.username_hash(cora.username)
    for event in [*failed, *locked]:
        assert event.data == {"username_hash": expected}


def test_prune_signin_log_deletes_only_old_rows(settings, cora, waits):
    settings.SIGNIN_LOG_DAYS = 30
    for n in range(3):
        _attempt(Client(REMOTE_ADDR=f"192.0.2.{n + 1}"), cora.username)
    sign_in(Client(REMOTE_ADDR=CORA_AT_HOME), cora)
    sign_in(Client(REMOTE_ADDR=CORA_AT_HOME), cora)
    now = timezone.now()
    old, recent = now - timezone.timedelta(days=31), now - timezone.timedelta(days=29)
    failures = list(AccessFailureLog.objects.order_by("id").values_list("id", flat=True))
    AccessFailureLog.objects.filter(id__in=failures[:2]).update(attempt_time=old)
    AccessFailureLog.objects.filter(id=failures[2]).update(attempt_time=recent)
    sign_ins = list(AccessLog.objects.order_by("id").values_list("id", flat=True))
    AccessLog.objects.filter(id=sign_ins[0]).update(attempt_time=old)
    attempts = list(AccessAttempt.objects.order_by("id").values_list("id", flat=True))
    AccessAttempt.objects.filter(id=attempts[0]).update(
        attempt_time=now - timezone.timedelta(minutes=16)  # past the 15 minutes' cool-off
    )

    out = StringIO()
    call_command("prune_signin_log", stdout=out)

    assert out.getvalue().strip() == (
        "3 sign-in log row(s) older than 30 day(s) and 1 expired lock-out counter(s) pruned."
    )
    assert list(AccessFailureLog.objects.values_list("id", flat=True)) == [failures[2]]
    assert list(AccessLog.objects.values_list("id", flat=True)) == [sign_ins[1]]
    assert sorted(AccessAttempt.objects.values_list("id", flat=True)) == attempts[1:]


def test_prune_signin_log_help_shows_a_cron_line(capsys):
    with pytest.raises(SystemExit):
        call_command("prune_signin_log", "--help")
    text = capsys.readouterr().out
    assert "SIGNIN_LOG_DAYS" in text
    assert "* * * cd /srv/safe-passage" in text and "manage.py prune_signin_log" in text
