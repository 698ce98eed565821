"""Cases and rate-limit buckets.

A case row holds only what the organisation may know without opening it: its
state, urgency and dates. Everything the applicant wrote is one ciphertext
(`payload`) under the case's own key, which only the vault can open.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from evacuation.choices import Urgency

# No 0/O, 1/I/L, so a reference read out over a bad phone line survives.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def reference_new() -> str:
    chars = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(6))
    return f"EV-{chars[:4]}-{chars[4:]}"


class State(models.TextChoices):
    RECEIVED = "received", _("Received")
    ASSESSED = "assessed", _("Assessed")
    FUNDED = "funded", _("Funded")
    RELOCATED = "relocated", _("Relocated")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATES = (State.RECEIVED, State.ASSESSED, State.FUNDED)
CLOSED_STATES = (State.RELOCATED, State.DECLINED, State.WITHDRAWN)


def may_withdraw(instance: Case, user) -> bool:
    """The applicant (holding the code) or case staff acting on the applicant's word."""
    if user == "applicant":
        return True
    return bool(getattr(user, "is_authenticated", False) and user.may("withdraw_case"))


class Case(ConcurrentTransitionMixin, models.Model):
    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(max_length=12, unique=True, default=reference_new, editable=False)
    state = FSMField(default=State.RECEIVED, choices=State.choices, protected=True, db_index=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, db_index=True)
    # Keyed hash of the receipt code (vault.cases.receipt_lookup): finds the case, reveals nothing.
    receipt_lookup = models.CharField(max_length=128, unique=True, editable=False)
    # CaseCipher.encrypt("intake", json): every personal field the applicant gave.
    payload = models.BinaryField(editable=False)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    last_staff_action_at = models.DateTimeField(null=True, blank=True)
    last_applicant_activity_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @transition(
        field=state,
        source=[State.RECEIVED, State.ASSESSED, State.FUNDED],
        target=State.WITHDRAWN,
        permission=may_withdraw,
    )
    def withdraw(self) -> None:
        """Stops all work on the case; only the applicant's word starts it."""


class TokenBucket(models.Model):
    """A rate limit shared by every worker process, because it lives in the database.

    `key` is always a keyed hash (never an address); rows are forgotten after an hour.
    """

    key = models.CharField(max_length=128, unique=True)
    tokens = models.FloatField(default=1.0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    KEEP_FOR = timedelta(hours=1)

    def __str__(self) -> str:
        return f"bucket {self.key[:8]}"

    @classmethod
    def authorize(cls, key: str, capacity: int, refill_seconds: float) -> bool:
        """Takes one of `capacity` tokens; the bucket refills completely in `refill_seconds`."""
        now = timezone.now()
        with transaction.atomic():
            cls.expired(now).delete()
            # Insert-if-missing then lock: concurrent first hits cannot both create the row.
            cls.objects.bulk_create(
                [cls(key=key, created_at=now, updated_at=now)], ignore_conflicts=True
            )
            bucket = cls.objects.select_for_update().get(key=key)
            elapsed = max((now - bucket.updated_at).total_seconds(), 0.0)
            tokens = min(1.0, bucket.tokens + elapsed / refill_seconds) - 1.0 / capacity
            if tokens < -1e-9:
                return False
            cls.objects.filter(pk=bucket.pk).update(tokens=tokens, updated_at=now)
            return True

    @classmethod
    def expired(cls, now=None) -> models.QuerySet[TokenBucket]:
        return cls.objects.filter(created_at__lt=(now or timezone.now()) - cls.KEEP_FOR)
