"""Sending what is pending, and the sweep that finds what came with time.

Never called inside a request: the worker runs it (tasks.py) and so does the sweep
(`manage.py notify_sweep`). No transaction is held while a mail server is spoken to, so a slow
server slows nobody's page; a notice is claimed first (so two senders never send it twice), put
back when the server refuses or is away, and a claim left by a sender that died is put back by
the next sweep. Logs name neither the person nor the address.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import get_connection
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from audit.actions import Action
from audit.services import record
from evacuation.models import Notice, NoticeMode, NoticePreference, NoticeStatus
from evacuation.notifications import kinds, mail

logger = logging.getLogger(__name__)
CLAIM_EXPIRES = timedelta(minutes=15)
MAIL_ERRORS = (smtplib.SMTPException, OSError)
# What the server says of one mail. Anything else (every SMTPException is an OSError too) means
# the server is away, hangs or turns the connection down.
ONE_MAIL_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError)


def _preference(user) -> NoticePreference:
    try:
        return user.notice_preference
    except NoticePreference.DoesNotExist:
        return NoticePreference(user=user)


def digest_due(preference: NoticePreference, now: datetime) -> bool:
    """Once a day, at or after NOTIFY_DIGEST_HOUR (UTC)."""
    today = now.replace(hour=settings.NOTIFY_DIGEST_HOUR, minute=0, second=0, microsecond=0)
    if now < today:
        return False
    return preference.digest_sent_at is None or preference.digest_sent_at < today


def notices_send(*, now: datetime | None = None) -> int:
    """One mail to each person with pending notices whose mode says now. Returns how many
    mails went."""
    now = now or timezone.now()
    people = list(
        get_user_model()
        .objects.filter(
            pk__in=Notice.objects.filter(status=NoticeStatus.PENDING).values("recipient_id")
        )
        .select_related("notice_preference")
    )
    if not people:
        return 0
    connection = get_connection(fail_silently=False)
    sent = 0
    try:
        for user in people:
            preference = _preference(user)
            pending = Notice.objects.filter(recipient=user, status=NoticeStatus.PENDING)
            if preference.mode == NoticeMode.OFF or not user.is_active or not user.email:
                pending.update(status=NoticeStatus.MUTED)
                continue
            digest = preference.mode == NoticeMode.DIGEST
            if digest and not digest_due(preference, now):
                continue
            ids = list(pending.values_list("pk", flat=True))
            claimed = Notice.objects.filter(pk__in=ids, status=NoticeStatus.PENDING)
            if claimed.update(status=NoticeStatus.SENDING, sent_at=now) == 0:
                continue  # another sender took them
            mine = Notice.objects.filter(pk__in=ids, status=NoticeStatus.SENDING, sent_at=now)
            try:
                connection.send_messages(
                    [mail.message_for(user.email, language=preference.language, digest=digest)]
                )
            except MAIL_ERRORS as exc:
                _put_back(mine, refused=isinstance(exc, smtplib.SMTPRecipientsRefused))
                logger.warning("A notification mail could not be sent (%s).", type(exc).__name__)
                if not isinstance(exc, ONE_MAIL_ERRORS):
                    break  # the server is away: the next run tries everyone again
                continue  # the server refused this mail: the others are still sent
            _sent(user, preference, mine, digest=digest, now=now)
            sent += 1
    finally:
        with contextlib.suppress(MAIL_ERRORS):
            connection.close()
    return sent


def _put_back(notices, *, refused: bool) -> None:
    """Queued again; when the server refused the address itself, counted, and given up after
    NOTIFY_SEND_ATTEMPTS refusals (a server that is away counts nothing)."""
    back = Notice.objects.filter(pk__in=list(notices.values_list("pk", flat=True)))
    back.update(status=NoticeStatus.PENDING, sent_at=None, attempts=F("attempts") + int(refused))
    if refused:
        given_up = back.filter(attempts__gte=settings.NOTIFY_SEND_ATTEMPTS).update(
            status=NoticeStatus.FAILED
        )
        if given_up:
            logger.warning(
                "%d notices given up: the mail server refused their address %d times.",
                given_up,
                settings.NOTIFY_SEND_ATTEMPTS,
            )


def _sent(user, preference: NoticePreference, notices, *, digest: bool, now: datetime) -> None:
    with transaction.atomic():
        told = sorted(set(notices.values_list("kind", flat=True)))
        notices.update(status=NoticeStatus.SENT)
        if digest:
            NoticePreference.objects.update_or_create(user=user, defaults={"digest_sent_at": now})
            preference.digest_sent_at = now
        record(
            action=Action.NOTICE_SENT,
            actor="system",
            target_type="user",
            target_ref=str(user.pk),
            data={"kinds": ",".join(told)[:128], "digest": digest},
        )


def sweep(*, now: datetime | None = None) -> tuple[int, int]:
    """Puts back claims a dead sender left, finds what came with time, sends what is due.
    Returns (new notices, mails sent)."""
    now = now or timezone.now()
    Notice.objects.filter(status=NoticeStatus.SENDING, sent_at__lt=now - CLAIM_EXPIRES).update(
        status=NoticeStatus.PENDING, sent_at=None
    )
    with transaction.atomic():
        found = kinds.find_due(now)
    return found, notices_send(now=now)
