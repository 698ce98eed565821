"""From the true counts of one generation (reports.queries.Raw) and the frozen rounded atoms to
the figures a report stores and shows: codes and safe numbers only (reports.rules)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal

from django.conf import settings

from evacuation.choices import Currency, FundingPurpose, Region, RiskLevel, Urgency, VerifiedBy
from reports import rules
from reports.periods import Period
from reports.queries import Raw

FIGURES_VERSION = 1
OUTCOMES = ("received", "assessed", "funded", "relocated", "declined", "withdrawn")
NOT_RECORDED = "-"  # a risk level, verification or region that was not recorded

# Which atoms (cells) make up each outcome's count.
OUTCOME_CELLS: dict[str, Callable[[str], bool]] = {
    "received": lambda cell: cell.startswith("received:"),
    "assessed": lambda cell: cell.startswith("assessed:"),
    "funded": lambda cell: cell.startswith("grants:"),
    "relocated": lambda cell: cell.startswith("relocated:"),
    "declined": lambda cell: cell == "declined",
    "withdrawn": lambda cell: cell == "withdrawn",
}

Rounded = dict[int, dict[str, int]]  # month index -> cell -> frozen rounded value
# month index -> (currency, purpose) -> (frozen total, hidden in the month's own report)
Amounts = dict[int, dict[tuple[str, str], tuple[Decimal, bool]]]


class _Counts:
    """Shows the sum of any set of atoms over any set of months, by the rules."""

    def __init__(self, raw: Raw, rounded: Rounded) -> None:
        self.raw = raw
        self.rounded = rounded

    def shown(self, wanted: Callable[[str], bool], months: Iterable[int] | None = None):
        months = range(self.raw.months) if months is None else months
        true = rounded = 0
        for month in months:
            true += sum(n for cell, n in self.raw.atoms.get(month, {}).items() if wanted(cell))
            rounded += sum(r for cell, r in self.rounded.get(month, {}).items() if wanted(cell))
        return rules.shown_count(true, rounded), rounded


def _prefix(prefix: str) -> Callable[[str], bool]:
    return lambda cell: cell.startswith(prefix)


def _by(counts: _Counts, codes: Iterable[str], cell_of: Callable[[str], Callable[[str], bool]]):
    found = {}
    for code in codes:
        found[code], _ = counts.shown(cell_of(code))
    return found


def figures_build(period: Period, raw: Raw, rounded: Rounded, amounts: Amounts) -> dict:
    counts = _Counts(raw, rounded)
    months = range(raw.months)
    figures: dict = {
        "version": FIGURES_VERSION,
        "period": period.code,
        "kind": period.kind,
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
        "months": [f"{day:%Y-%m}" for day in period.months],
        "assess_within_hours": settings.ASSESS_WITHIN_HOURS,
    }
    figures["totals"] = {name: counts.shown(OUTCOME_CELLS[name])[0] for name in OUTCOMES}
    figures["per_month"] = {
        name: [counts.shown(OUTCOME_CELLS[name], [m])[0] for m in months] for name in OUTCOMES
    }
    figures["by_urgency"] = _by(counts, Urgency.values, lambda u: _prefix(f"received:{u}"))
    risk_codes = [str(value) for value in RiskLevel.values] + [NOT_RECORDED]
    figures["by_risk"] = _by(counts, risk_codes, lambda r: _prefix(f"assessed:{r}:"))
    figures["by_verified"] = _by(
        counts,
        [*VerifiedBy.values, NOT_RECORDED],
        lambda v: lambda cell: cell.startswith("assessed:") and cell.endswith(f":{v}"),
    )
    figures["by_region"] = _by(
        counts, [*Region.values, NOT_RECORDED], lambda r: lambda cell: cell == f"relocated:{r}"
    )
    within, within_rounded = counts.shown(lambda cell: cell == f"received:{Urgency.NOW}:in_time")
    late, late_rounded = counts.shown(lambda cell: cell == f"received:{Urgency.NOW}:late")
    urgent_true = sum(
        n for m in months for c, n in raw.atoms.get(m, {}).items() if c.startswith("received:now")
    )
    figures["urgent_target"] = {
        "within": within,
        "late": late,
        # From the rounded figures, and only for a group a median could be shown for.
        "share": rules.share(within_rounded, within_rounded + late_rounded)
        if urgent_true >= rules.MEDIAN_MIN_GROUP
        else None,
    }
    figures["times"] = {
        "first_action": rules.time_summary(
            sorted(s for month in raw.first_action for s in month), scale=3600
        ),
        "decision": rules.time_summary(raw.decision, scale=3600),
        "relocation": rules.time_summary(raw.relocation, scale=1),
    }
    figures["first_action_per_month"] = [
        rules.time_summary(ordered, scale=3600) for ordered in raw.first_action
    ]
    figures["funding"], figures["funding_per_month"] = _funding(raw.months, amounts, counts)
    return figures


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


def _funding(months: int, amounts: Amounts, counts: _Counts) -> tuple[dict, dict]:
    """Totals by currency and purpose, and per month by currency, all sums of the frozen money
    atoms (one month, one currency, one purpose: reports.models.FrozenAmount), never of live
    grants, so a grant cancelled after its month was frozen changes no later report.

    A figure is hidden (None) when it holds an atom that is hidden in its month's own report
    (one grant is more than half of it), in this report and in every other: the month's total,
    the month's row in a quarter's or a year's per-month table, the quarter's and the year's
    purpose row and currency total. Every figure shown is then a sum of atoms that their
    month's report shows too, so no sum or difference of figures, in one report or across
    reports, gives a hidden one back. Nothing else needs hiding: one grant that is more than
    half of a sum is more than half of every smaller sum that holds it, so a figure in which one
    grant dominates always holds a hidden atom."""
    currencies = [
        c for c in Currency.values if any(k[0] == c for cells in amounts.values() for k in cells)
    ]

    def amount(currency: str, purpose: str | None = None, month: int | None = None) -> str | None:
        found = [
            value
            for m, cells in amounts.items()
            if month is None or m == month
            for (c, p), value in cells.items()
            if c == currency and (purpose is None or p == purpose)
        ]
        if any(hidden for _total, hidden in found):
            return None
        return _money(sum((total for total, _hidden in found), Decimal(0)))

    funding = {}
    for currency in currencies:
        funding[currency] = {
            "total": amount(currency),
            "grants": counts.shown(_prefix(f"grants:{currency}:"))[0],
            "purposes": {
                purpose: {
                    "total": amount(currency, purpose),
                    "grants": counts.shown(
                        lambda cell, c=currency, p=purpose: cell == f"grants:{c}:{p}"
                    )[0],
                }
                for purpose in FundingPurpose.values
            },
        }
    per_month = {
        currency: [amount(currency, month=month) for month in range(months)]
        for currency in currencies
    }
    return funding, per_month
