"""Calendar periods a report covers: a month ("2026-03"), a quarter ("2026-Q1") or a year
("2026"), in the site's time zone (settings.TIME_ZONE). A period is closed once its last day has
ended; only closed periods are ever reported on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


_CODE = re.compile(r"^(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|Q(?P<quarter>[1-4])))?$")
FIRST_YEAR = 2000  # nothing older than this is a real report


class PeriodError(ValueError):
    """A period code that is malformed, or names a period that has not ended yet."""


def _month_after(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    kind: str
    start: date  # the first day of the period

    @classmethod
    def parse(cls, code: str) -> Period:
        """A Period from its code ("2026-03", "2026-Q1", "2026"); PeriodError if malformed."""
        match = _CODE.match((code or "").strip())
        if not match:
            raise PeriodError(code)
        year = int(match["year"])
        if year < FIRST_YEAR:
            raise PeriodError(code)
        if match["month"]:
            month = int(match["month"])
            if not 1 <= month <= 12:
                raise PeriodError(code)
            return cls(PeriodKind.MONTH, date(year, month, 1))
        if match["quarter"]:
            return cls(PeriodKind.QUARTER, date(year, 3 * int(match["quarter"]) - 2, 1))
        return cls(PeriodKind.YEAR, date(year, 1, 1))

    @property
    def code(self) -> str:
        if self.kind == PeriodKind.MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == PeriodKind.QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}"

    @property
    def months(self) -> list[date]:
        """The first day of every month in the period, in order."""
        count = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}[self.kind]
        found = [self.start]
        while len(found) < count:
            found.append(_month_after(found[-1]))
        return found

    @property
    def end(self) -> date:
        """The first day after the period."""
        return _month_after(self.months[-1])

    def boundaries(self) -> list[datetime]:
        """Aware datetimes: the start of every month, then the end of the period."""
        zone = timezone.get_current_timezone()
        return [datetime.combine(day, time.min, tzinfo=zone) for day in [*self.months, self.end]]

    def is_closed(self, today: date | None = None) -> bool:
        return self.end <= (today or timezone.localdate())

    def __str__(self) -> str:
        return self.code


def closed_period(code: str, today: date | None = None) -> Period:
    """The period named by `code` if it has ended; PeriodError otherwise."""
    period = Period.parse(code)
    if not period.is_closed(today):
        raise PeriodError(code)
    return period
