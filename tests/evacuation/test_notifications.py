"""Notifications that carry nothing personal (issue 19, item 7): a real SMTP server on loopback
(aiosmtpd) receives what the worker sends, and the tests read what it received.

Each mail has a fixed subject and says only that something needs attention, linking to the
staff pages: no reference, no case UUID, no name, region or applicant text. Pages only queue;
the worker (`db_worker`) and the sweep (`notify_sweep`) send, so a mail server that is slow or
away never slows a page, and what it missed is sent later.
"""

from __future__ import annotations

import socket
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes, policy
from unittest import mock

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.actions import Action
from audit.models import AuditEvent
from evacuation.models import Case, Notice, NoticePreference, NoticeStatus
from evacuation.notifications import preferences, sending
from evacuation.services import casework
from tests.factories import Applicant, applicant_with, case_in_state

pytestmark = pytest.mark.django_db

MARKER = "Heron-Blue-7731: we hide at the old mill by the river"
SUBJECT_EN = "Safe Passage: something needs your attention"
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


class Inbox:
    """What the SMTP server received: (recipients, parsed message, raw bytes)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], object, bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        raw = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), parsed, raw))
        return "250 OK"

    def to(self, address: str) -> list:
        return [mail for rcpts, mail, _raw in self.received if address in rcpts]

    @property
    def addresses(self) -> list[str]:
        return [address for rcpts, _mail, _raw in self.received for address in rcpts]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """A real SMTP server on 127.0.0.1, and the settings pointing Django's SMTP backend at it."""
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    settings.SITE_URL = "https://cases.example.org"
    yield inbox
    controller.stop()


@pytest.fixture
def silent_server(settings):
    """An address that takes the connection and never answers (a mail server that hangs)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", listener.getsockname()[1]
    settings.EMAIL_TIMEOUT = 3
    yield listener
    listener.close()


@pytest.fixture
def mailboxes(team):
    for member in team.everyone:
        member.email = f"{member.username}@staff.example.org"
        member.save(update_fields=["email"])
    return team


def _worker() -> None:
    """The real worker command, one batch. Its connection hygiene (close_old_connections) would
    close the test's own connection inside the test's transaction on PostgreSQL (autocommit is
    off there, so Django drops it); a worker in production runs outside any transaction."""
    with mock.patch(
        "django_tasks_db.management.commands.db_worker.close_old_connections", lambda: None
    ):
        call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def _taken_case_with_code(taker, **intake):
    applicant = Applicant()
    reference, code = applicant.submit(**intake)
    case = Case.objects.get(reference=reference)
    casework.case_take(case=case, actor=taker)
    return case, code


def _applicant_writes(code: str, capture, text: str = MARKER):
    status = applicant_with(code)
    with capture(execute=True):
        started = time.monotonic()
        response = status.act("message", text=text)
        took = time.monotonic() - started
    assert response.status_code in (200, 302), response.status_code
    return took


def _nothing_personal(mail, raw: bytes, case: Case) -> None:
    text = mail.get_body(preferencelist=("plain",)).get_content()
    everything = (
        str(mail["Subject"]) + "\n" + text + "\n" + raw.decode("utf-8", "replace")
    ).lower()
    for secret in (
        case.reference,
        case.reference.replace("-", ""),
        str(case.uid),
        case.uid.hex,
        "Heron-Blue-7731",
        "old mill",
        "Applicant Alias",
        "applicant_alias",
        "Country Now",
        "City Now",
        "/staff/cases/",
    ):
        assert secret.lower() not in everything, secret
    assert "https://cases.example.org/staff/" in text


def test_the_assignee_is_told_when_their_applicant_writes_and_the_mail_says_nothing_else(
    mailboxes, smtp, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    case, code = _taken_case_with_code(mailboxes.carla)
    _applicant_writes(code, django_capture_on_commit_callbacks)
    assert smtp.received == []  # the page only queued it
    assert DBTaskResult.objects.count() == 1

    _worker()

    assert smtp.addresses == ["carla@staff.example.org"]  # nobody else: not Kim, not Cora
    (mail,) = smtp.to("carla@staff.example.org")
    _rcpts, _parsed, raw = smtp.received[0]
    assert mail["Subject"] == SUBJECT_EN
    _nothing_personal(mail, raw, case)
    # Told once: the worker and a sweep after it send nothing more.
    _worker()
    sending.sweep()
    assert len(smtp.received) == 1
    event = AuditEvent.objects.get(action=Action.NOTICE_SENT)
    assert event.target_ref == str(mailboxes.carla.pk) and event.actor_kind == "system"
    assert event.data == {"kinds": "applicant_wrote", "digest": False}
    assert "staff.example.org" not in str(event.data)


def test_a_page_that_queues_a_notice_returns_while_the_mail_server_hangs_and_nothing_is_lost(
    mailboxes, silent_server, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = DATABASE_TASKS
    _case, code = _taken_case_with_code(mailboxes.carla)
    took = _applicant_writes(code, django_capture_on_commit_callbacks)
    assert took < settings.EMAIL_TIMEOUT  # the page never spoke to the mail server

    _worker()  # the server hangs: the sending times out, and the notice waits
    assert Notice.objects.get().status == NoticeStatus.PENDING
    assert not AuditEvent.objects.filter(action=Action.NOTICE_SENT).exists()


def test_what_a_mail_server_missed_is_sent_by_the_next_sweep(
    mailboxes, smtp, settings, django_capture_on_commit_callbacks
):
    _case, code = _taken_case_with_code(mailboxes.carla)
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = _free_port()  # nobody listens there: refused
    _applicant_writes(code, django_capture_on_commit_callbacks)
    assert sending.notices_send() == 0
    assert Notice.objects.get().status == NoticeStatus.PENDING

    settings.EMAIL_PORT = working_port
    call_command("notify_sweep", verbosity=0)
    assert smtp.addresses == ["carla@staff.example.org"]
    assert Notice.objects.get().status == NoticeStatus.SENT


def test_nobody_is_told_when_the_case_has_no_assignee(
    mailboxes, smtp, django_capture_on_commit_callbacks
):
    _reference, code = Applicant().submit()
    _applicant_writes(code, django_capture_on_commit_callbacks)
    sending.sweep()
    assert smtp.received == []


def test_a_daily_digest_goes_once_a_day_at_its_hour(
    mailboxes, smtp, settings, django_capture_on_commit_callbacks
):
    settings.NOTIFY_DIGEST_HOUR = 7
    preferences.preference_set(user=mailboxes.carla, mode="digest", language="en")
    case, code = _taken_case_with_code(mailboxes.carla)
    _applicant_writes(code, django_capture_on_commit_callbacks)
    day = timezone.now().replace(hour=6, minute=30, second=0, microsecond=0) + timedelta(days=1)

    assert sending.notices_send(now=day) == 0  # before the hour: it waits
    assert sending.notices_send(now=day + timedelta(hours=1)) == 1
    _applicant_writes(code, django_capture_on_commit_callbacks, text="Heron-Blue-7731 again")
    assert sending.notices_send(now=day + timedelta(hours=3)) == 0  # one a day
    assert sending.notices_send(now=day + timedelta(days=1, hours=1)) == 1

    mails = smtp.to("carla@staff.example.org")
    assert len(mails) == 2
    assert all(mail["Subject"] == "Safe Passage: your daily notice" for mail in mails)
    for _rcpts, mail, raw in smtp.received:
        _nothing_personal(mail, raw, case)


def test_someone_who_turned_notices_off_is_not_told_now_or_later(
    mailboxes, smtp, django_capture_on_commit_callbacks
):
    preferences.preference_set(user=mailboxes.carla, mode="off", language="en")
    _case, code = _taken_case_with_code(mailboxes.carla)
    _applicant_writes(code, django_capture_on_commit_callbacks)
    preferences.preference_set(user=mailboxes.carla, mode="immediately", language="en")
    sending.sweep()
    assert smtp.received == []


def test_the_mail_is_in_the_recipients_language(
    mailboxes, smtp, django_capture_on_commit_callbacks
):
    preferences.preference_set(user=mailboxes.carla, mode="immediately", language="ru")
    case, code = _taken_case_with_code(mailboxes.carla)
    _applicant_writes(code, django_capture_on_commit_callbacks)
    sending.notices_send()
    ((_rcpts, mail, raw),) = smtp.received
    assert mail["Subject"] != SUBJECT_EN and "Safe Passage" in mail["Subject"]
    body = mail.get_body(preferencelist=("plain",)).get_content()
    assert any("\u0400" <= ch <= "\u04ff" for ch in body)  # Cyrillic
    _nothing_personal(mail, raw, case)


# --- urgent requests nobody has taken ------------------------------------------------------------


def test_those_on_call_are_told_when_an_urgent_request_waits_an_hour_with_nobody_on_it(
    mailboxes, smtp
):
    preferences.on_call_set(actor=mailboxes.cora, member_id=mailboxes.kim.pk, on_call=True)
    _reference, _code = Applicant().submit(urgency="now", situation=MARKER)
    _other, _ = Applicant().submit(urgency="weeks")
    now = timezone.now()

    assert sending.sweep(now=now + timedelta(minutes=59)) == (0, 0)
    assert sending.sweep(now=now + timedelta(minutes=61)) == (1, 1)
    assert smtp.addresses == ["kim@staff.example.org"]  # only the one on call, only the urgent
    assert sending.sweep(now=now + timedelta(minutes=90)) == (0, 0)  # told once
    case = Case.objects.get(urgency="now")
    ((_rcpts, mail, raw),) = smtp.received
    _nothing_personal(mail, raw, case)


def test_an_urgent_request_someone_took_tells_nobody(mailboxes, smtp):
    preferences.on_call_set(actor=mailboxes.cora, member_id=mailboxes.kim.pk, on_call=True)
    reference, _code = Applicant().submit(urgency="now")
    casework.case_take(case=Case.objects.get(reference=reference), actor=mailboxes.carla)
    sending.sweep(now=timezone.now() + timedelta(hours=2))
    assert smtp.received == []


def test_with_nobody_on_call_every_coordinator_is_told(mailboxes, smtp):
    Applicant().submit(urgency="now")
    sending.sweep(now=timezone.now() + timedelta(hours=2))
    assert sorted(smtp.addresses) == ["colin@staff.example.org", "cora@staff.example.org"]


def test_the_on_call_setting_names_people_on_call(mailboxes, smtp, settings):
    settings.NOTIFY_ON_CALL = ["carla"]
    Applicant().submit(urgency="now")
    sending.sweep(now=timezone.now() + timedelta(hours=2))
    assert smtp.addresses == ["carla@staff.example.org"]


# --- funding waiting for approval ----------------------------------------------------------------


def test_funding_waiting_tells_the_coordinators_who_may_approve_it_never_the_proposer(
    mailboxes, smtp
):
    case = case_in_state("proposed", assessor=mailboxes.cora, situation=MARKER)
    found, sent = sending.sweep()
    assert (found, sent) == (1, 1)
    # Cora assessed and proposed (four eyes); caseworkers cannot approve; auditors never hear.
    assert smtp.addresses == ["colin@staff.example.org"]
    ((_rcpts, mail, raw),) = smtp.received
    _nothing_personal(mail, raw, case)
    assert sending.sweep() == (0, 0)


def test_a_disabled_account_is_never_told(mailboxes, smtp):
    mailboxes.colin.is_active = False
    mailboxes.colin.save(update_fields=["is_active"])
    case_in_state("proposed", assessor=mailboxes.cora)
    sending.sweep()
    assert smtp.received == []


def test_preferences_of_people_never_told_stay_unmade(mailboxes, smtp):
    sending.sweep()
    assert not NoticePreference.objects.exists()


# --- a new kind is one function (how follow-ups and missed check-ins join) -----------------------


def test_a_new_kind_is_one_registered_finder_and_its_people_are_told_once(
    mailboxes, smtp, monkeypatch
):
    from evacuation.notifications import kinds

    monkeypatch.setattr(kinds, "FINDERS", dict(kinds.FINDERS))
    monkeypatch.setattr(kinds, "KINDS", set(kinds.KINDS))

    @kinds.finder("followup_due")
    def followups_due(now):
        return [(mailboxes.kim.pk, "followup:1")]

    assert sending.sweep() == (1, 1)
    assert sending.sweep() == (0, 0)
    assert smtp.addresses == ["kim@staff.example.org"]
    event = AuditEvent.objects.get(action=Action.NOTICE_SENT)
    assert event.data["kinds"] == "followup_due"


def test_an_unknown_kind_is_refused():
    from evacuation.notifications import kinds

    with pytest.raises(ValueError, match="Unknown notice kind"):
        kinds.tell(kind="gossip", recipients=[1], about="x")


def test_a_missed_check_in_and_a_due_follow_up_tell_the_assignee_once(mailboxes, smtp):
    from evacuation.services import followups

    carla, cora = mailboxes.carla, mailboxes.cora
    funded = case_in_state("funded", assessor=carla, approver=cora)
    if funded.assignee_id is None:
        casework.case_take(case=funded, actor=carla)
        funded.refresh_from_db()
    followups.checkins_set(case=funded, actor=carla, every_days=2)
    received = case_in_state("received", assessor=carla)
    casework.case_take(case=received, actor=carla)
    followups.followup_set(
        case=received, actor=carla, due_on=timezone.localdate() + timedelta(days=1)
    )
    now = timezone.now()

    assert sending.sweep(now=now) == (0, 0)  # nothing is due yet
    later = now + timedelta(days=3)  # past the check-in's grace, and the follow-up's day
    sent = sending.sweep(now=later)
    assert sent[0] >= 1
    assert set(smtp.addresses) == {"carla@staff.example.org"}
    kinds = set(Notice.objects.values_list("kind", flat=True))
    assert {"checkin_missed", "followup_due"} <= kinds
    for _rcpts, mail, raw in smtp.received:
        _nothing_personal(mail, raw, funded)
        _nothing_personal(mail, raw, received)
    before = len(smtp.received)
    sending.sweep(now=later + timedelta(minutes=5))
    assert len(smtp.received) == before  # told once


class Refusing(Inbox):
    """A mail server that refuses some addresses at RCPT (550), counting each time it is asked."""

    def __init__(self, refused: set[str]) -> None:
        super().__init__()
        self.refused = refused
        self.asked: Counter = Counter()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.asked[address] += 1
        if address in self.refused:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def _notice_for(member, about: str) -> Notice:
    return Notice.objects.create(recipient=member, kind="applicant_wrote", about=about)


def test_a_refused_address_is_given_up_after_its_attempts_and_nobody_else_waits_for_it(
    mailboxes, settings
):
    settings.NOTIFY_SEND_ATTEMPTS = 3
    server = Refusing({"carla@staff.example.org"})
    controller = Controller(server, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
        refused = _notice_for(mailboxes.carla, "message:1")
        told = _notice_for(mailboxes.cora, "message:1")

        assert sending.notices_send() == 1  # Cora is told; Carla's address is refused
        told.refresh_from_db()
        assert told.status == NoticeStatus.SENT
        for attempt in (1, 2):
            refused.refresh_from_db()
            assert (refused.status, refused.attempts) == (NoticeStatus.PENDING, attempt)
            sending.notices_send()
        refused.refresh_from_db()
        assert (refused.status, refused.attempts) == (NoticeStatus.FAILED, 3)

        for _sweep in range(3):  # given up: the server is not asked again
            sending.sweep()
        assert server.asked["carla@staff.example.org"] == 3
        assert server.asked["cora@staff.example.org"] == 1
        assert server.addresses == ["cora@staff.example.org"]
    finally:
        controller.stop()


def test_a_mail_server_that_is_away_uses_up_no_attempt(mailboxes, settings):
    settings.NOTIFY_SEND_ATTEMPTS = 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", _free_port()  # nobody listens
    notice = _notice_for(mailboxes.carla, "message:1")
    for _sweep in range(4):
        assert sending.notices_send() == 0
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (NoticeStatus.PENDING, 0)
