"""Rate-limit buckets: the one table of core (keyed hashes and numbers only)."""

from __future__ import annotations

from datetime import timedelta

from django.db import models, transaction
from django.utils import timezone


class TokenBucket(models.Model):
    """A rate limit shared by every worker process, because it lives in the database.

    `key` is always a keyed hash (never an address); rows are forgotten after an hour.
    """

    key = models.CharField(max_length=128, unique=True)
    tokens = models.FloatField(default=1.0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)

    KEEP_FOR = timedelta(hours=1)

    class Meta:
        db_table = "evacuation_tokenbucket"  # moved from evacuation; the table kept its name

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
