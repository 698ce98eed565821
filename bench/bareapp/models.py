from __future__ import annotations

from django.db import models
from django.utils import timezone


class BareRow(models.Model):
    """One short value per POST: what a form post costs without validation, crypto or audit."""

    value = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"bare row {self.pk}"
