"""Frozen reports and the frozen rounded counts they are built from. Neither holds anything about
a single case: only sums, already rounded (reports.rules)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from reports.periods import Period, PeriodKind


class FrozenError(Exception):
    """A frozen row was about to be changed."""


class Report(models.Model):
    """One closed calendar period's figures, generated once and never changed: `figures` holds
    only what the page shows (rounded counts, "<5", hidden money as null), as codes."""

    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    generated_at = models.DateTimeField()
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    figures = models.JSONField()

    class Meta:
        ordering = ["-period_start", "period_kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["period_kind", "period_start"], name="one_report_a_period"
            )
        ]
        verbose_name = _("report")
        verbose_name_plural = _("reports")

    def __str__(self) -> str:
        return self.code

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise FrozenError("A report is frozen once generated.")
        super().save(*args, **kwargs)

    @property
    def period(self) -> Period:
        return Period(self.period_kind, self.period_start)

    @property
    def code(self) -> str:
        return self.period.code


class FrozenMonth(models.Model):
    """A calendar month whose rounded counts are fixed: every report covering it reuses them."""

    month = models.DateField(unique=True)  # its first day
    frozen_at = models.DateTimeField()

    class Meta:
        ordering = ["month"]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m}"


class RoundedCount(models.Model):
    """One atom of a frozen month: a finest category's count, randomly rounded to a multiple of
    5 (reports.rules.round_atom). Atoms that rounded to 0 are not stored."""

    month = models.ForeignKey(FrozenMonth, on_delete=models.PROTECT, related_name="counts")
    cell = models.CharField(max_length=64)  # e.g. "received:now:in_time", "grants:EUR:visa"
    value = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["month", "cell"], name="one_rounded_count_a_cell")
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.cell}"


class FrozenAmount(models.Model):
    """One money atom of a frozen month: the total of the month's approved grants in one
    currency for one purpose, fixed when the month is frozen (a grant cancelled later does not
    leave it), and whether the month's own report hides it (one grant is more than half of it:
    reports.rules.dominated). Every money figure of every report is a sum of these, and is
    hidden wherever it holds a hidden one (reports.figures)."""

    month = models.ForeignKey(FrozenMonth, on_delete=models.PROTECT, related_name="amounts")
    currency = models.CharField(max_length=3)
    purpose = models.CharField(max_length=16)
    total = models.DecimalField(max_digits=16, decimal_places=2)
    hidden = models.BooleanField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["month", "currency", "purpose"], name="one_frozen_amount_an_atom"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month} {self.currency} {self.purpose}"
