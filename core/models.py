"""Rate-limit buckets: the one table of core (short keyed hashes and numbers only)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import models, transaction
from django.db.models.functions import Least
from django.utils import timezone

# A sum of refills that should make a whole token may come out at 0.9999999999.
_EPSILON = 1e-9


class TokenBucket(models.Model):
    """A token bucket shared by every worker process, because it lives in the database.

    `capacity` tokens, refilled continuously: empty to full in `refill`. A missing row is a
    full bucket, so a row untouched for its own `refill` means nothing and is pruned.
    `key` is always a scope and a short keyed hash (never an address or a case id).
    """

    key = models.CharField(max_length=128, unique=True)
    tokens = models.FloatField()  # as of updated_at
    updated_at = models.DateTimeField()
    refill = models.DurationField()  # empty to full, as last configured for this bucket

    class Meta:
        db_table = "evacuation_tokenbucket"  # moved from evacuation; the table kept its name

    def __str__(self) -> str:
        return f"bucket {self.key}"

    def _tokens_at(self, now: datetime, capacity: int, refill_seconds: float) -> float:
        elapsed = max((now - self.updated_at).total_seconds(), 0.0)
        return min(float(capacity), self.tokens + elapsed * capacity / refill_seconds)

    @classmethod
    def authorize(
        cls, key: str, *, capacity: int, refill_seconds: float, now: datetime | None = None
    ) -> bool:
        """Takes one token if there is one."""
        now = now or timezone.now()
        refill = timedelta(seconds=refill_seconds)
        with transaction.atomic():
            # Insert-if-missing then lock: concurrent first hits cannot both create the row.
            cls.objects.bulk_create(
                [cls(key=key, tokens=capacity, updated_at=now, refill=refill)],
                ignore_conflicts=True,
            )
            bucket = cls.objects.select_for_update().get(key=key)
            tokens = bucket._tokens_at(now, capacity, refill_seconds)
            if tokens < 1.0 - _EPSILON:
                return False
            cls.objects.filter(pk=bucket.pk).update(
                tokens=max(tokens - 1.0, 0.0), updated_at=now, refill=refill
            )
            return True

    @classmethod
    def refund(cls, key: str, *, capacity: int) -> None:
        """Gives back a token taken by `authorize` (one statement, so it needs no lock)."""
        cls.objects.filter(key=key).update(tokens=Least(models.F("tokens") + 1.0, capacity))

    @classmethod
    def seconds_until_token(
        cls, key: str, *, capacity: int, refill_seconds: float, now: datetime | None = None
    ) -> float:
        """How long until `authorize` would take a token (0.0: it would now)."""
        now = now or timezone.now()
        bucket = cls.objects.filter(key=key).first()
        if bucket is None:
            return 0.0
        missing = max(1.0 - bucket._tokens_at(now, capacity, refill_seconds), 0.0)
        # To the clock's microsecond: finer is float noise (2400.0000000000005 s is 2400 s).
        return round(missing * refill_seconds / capacity, 6)

    @classmethod
    def prune(cls, now: datetime | None = None) -> int:
        """Deletes the buckets that have refilled completely; returns how many went."""
        now = now or timezone.now()
        full = models.ExpressionWrapper(
            models.Value(now) - models.F("refill"), output_field=models.DateTimeField()
        )
        deleted, _ = cls.objects.filter(updated_at__lt=full).delete()
        return deleted


class SpentToken(models.Model):
    """A one-time form token that was used (core.tokens): the SHA-256 of its random part, kept
    until the token would have expired anyway. `sealed` may hold, for a few minutes, what only
    the token's holder can open (the receipt code shown in answer to it)."""

    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)
    sealed = models.BinaryField(null=True, blank=True)
    sealed_until = models.DateTimeField(null=True, blank=True, db_index=True)  # swept often

    def __str__(self) -> str:
        return f"spent token {self.digest[:8]}"
