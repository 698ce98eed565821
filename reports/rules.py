"""The rules that keep a report from identifying anybody. Every figure a report shows passes
through here once, when the report is frozen; what is stored is already safe.

Counts. Each count is built from *atoms*: one calendar month and one finest category (a month's
urgent requests acted on in time, a month's cases assessed at risk 3 verified by a referee, a
month's grants in EUR for visas...). The first time any report covers a month, each of that
month's atoms is rounded once, at random and without bias, to one of the two nearest multiples
of 5 (a count of 7 becomes 5 with probability 3/5 and 10 with probability 2/5; a multiple of 5
stays as it is), and that rounded value is frozen (reports.models.RoundedCount). Every count of
every report — a total, a row, a month, a quarter, a year — is the sum of the frozen rounded
atoms it is made of, so the figures of all reports add up exactly: a quarter is the sum of its
months, a total the sum of its rows. What the true count was then decides only how the sum is
shown: 0 stays 0, a true count of 1 to 4 is shown as "fewer than 5", any other is shown as the
sum (at least 5).

What this guarantees: sums and differences of any figures of any reports (a quarter minus two
of its months, a total minus its other rows, a year minus its quarters) only ever give back sums
of the frozen rounded atoms, never a true count. A true count of 1, 2, 3 or 4 is rounded to 0
or to 5, and each of these can come from any of the four, so no combination of reports narrows
a count shown as "fewer than 5" below "1 to 4"; and since every month is rounded once, reports
generated later cannot be averaged against earlier ones. (What it does not hide: that a count
is 0, 1-4 or at least 5 — the rule itself shows that — and the odds shift: a small count rounded
to 5 was more likely 4 than 1.)

Waiting times: the median only for groups of at least 10, the 90th percentile only for at least
20. Money: each month's approved grants are summed per currency and purpose (a money atom) and
frozen with the month, like its counts (reports.models.FrozenAmount); an atom in which one grant
makes up more than half is hidden. Every money figure of every report is a sum of frozen atoms,
and is hidden, in every report, whenever it holds a hidden atom: so no figure shown, in one
report or several, gives a hidden month figure back by subtraction, and a grant cancelled later
changes no report (reports.figures._funding).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from decimal import Decimal

ROUND_TO = 5
FEWER = "<5"  # how a count of 1 to 4 is stored; pages show "fewer than 5"
MEDIAN_MIN_GROUP = 10
P90_MIN_GROUP = 20

_draw = secrets.randbelow  # the one source of chance (tests may fix it)


def round_atom(count: int) -> int:
    """`count` rounded to a multiple of ROUND_TO, up with probability (count mod 5) / 5: an
    unbiased random rounding (a true count of 3 is 0 two times in five, 5 three times)."""
    if count < 0:
        raise ValueError("a count is never negative")
    low, rest = divmod(count, ROUND_TO)
    return ROUND_TO * (low + (1 if _draw(ROUND_TO) < rest else 0))


def shown_count(true_count: int, rounded: int) -> int | str:
    """What a report shows for a figure whose true count is `true_count` and whose frozen
    rounded atoms add up to `rounded`."""
    if true_count <= 0:
        return 0
    if true_count < ROUND_TO:
        return FEWER
    return max(ROUND_TO, rounded)


def percentile(ordered: Sequence[float], fraction: float) -> float:
    """The `fraction` percentile of ascending `ordered` values, interpolated between the two
    nearest ranks (PostgreSQL's percentile_cont)."""
    if not ordered:
        raise ValueError("no values")
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def time_summary(ordered: Sequence[float], *, scale: float) -> dict[str, float | None]:
    """Median and 90th percentile of ascending values, divided by `scale` (3600 for hours) and
    rounded to one decimal, each only where the group is large enough."""
    size = len(ordered)

    def value(fraction: float, minimum: int) -> float | None:
        if size < minimum:
            return None
        return round(percentile(ordered, fraction) / scale, 1)

    return {"median": value(0.5, MEDIAN_MIN_GROUP), "p90": value(0.9, P90_MIN_GROUP)}


def dominated(total: Decimal, largest: Decimal) -> bool:
    """One grant makes up more than half of the total."""
    return total > 0 and largest * 2 > total


def share(part: int, whole: int) -> int | None:
    """A whole percentage, from the rounded figures (so it tells nothing they do not)."""
    if whole <= 0:
        return None
    return round(100 * part / whole)
