"""A frozen report's figures as tables of words and numbers, in the active language. The page,
the CSV and the spreadsheet are all drawn from these tables, so each export holds exactly what
the page shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from evacuation.choices import FundingPurpose, Region, RiskLevel, Urgency, VerifiedBy, label
from reports import rules
from reports.figures import NOT_RECORDED, OUTCOMES

OUTCOME_LABELS = {
    "received": gettext_lazy("Requests received"),
    "assessed": gettext_lazy("Assessed"),
    "funded": gettext_lazy("Funded"),
    "relocated": gettext_lazy("Relocated"),
    "declined": gettext_lazy("Declined"),
    "withdrawn": gettext_lazy("Withdrawn"),
}


class Hidden:
    """A money figure hidden because one grant makes up more than half of it."""

    def __str__(self) -> str:
        return _("hidden")


class NotShown:
    """A waiting time or share not shown: too few requests in the group."""

    def __str__(self) -> str:
        return _("too few to show")


HIDDEN = Hidden()
NOT_SHOWN = NotShown()


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headers: list[str]
    rows: list[list[Any]]  # str, int, float, Decimal, Hidden, NotShown or rules.FEWER
    note: str = ""

    @property
    def text_rows(self) -> list[list[str]]:
        return [[cell_text(value) for value in row] for row in self.rows]


def empty_text() -> str:
    """What a table with no rows says, on the page and in every export."""
    return _("Nothing in this period.")


def cell_text(value: Any) -> str:
    """How the page, and so every export, writes a cell."""
    if value == rules.FEWER:
        return _("fewer than 5")
    if isinstance(value, Decimal):
        return formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    if isinstance(value, float):
        return formats.number_format(value, decimal_pos=1, use_l10n=True)
    if isinstance(value, int):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    return str(value)


def month_label(code: str) -> str:
    year, month = (int(part) for part in code.split("-"))
    return formats.date_format(date(year, month, 1), "YEAR_MONTH_FORMAT")


def period_label(figures: dict) -> str:
    code = figures["period"]
    if figures["kind"] == "month":
        return month_label(code)
    if figures["kind"] == "quarter":
        year, quarter = code.split("-Q")
        return _("Quarter %(quarter)s of %(year)s") % {"quarter": quarter, "year": year}
    return _("Year %(year)s") % {"year": code}


def _money(value: str | None) -> Decimal | Hidden:
    return HIDDEN if value is None else Decimal(value)


def _time(value: float | None) -> float | NotShown:
    return NOT_SHOWN if value is None else value


def _breakdown(key: str, title: str, counts: dict, words) -> Table:
    rows = [
        [words(code), value]
        for code, value in counts.items()
        if not (code == NOT_RECORDED and value == 0)
    ]
    return Table(key, title, [_("Group"), _("Count")], rows)


def report_tables(figures: dict) -> list[Table]:
    months = figures["months"]
    hours = figures["assess_within_hours"]
    tables = [
        Table(
            "outcomes",
            _("Requests and outcomes"),
            [_("What happened in the period"), _("Count")],
            [[str(OUTCOME_LABELS[name]), figures["totals"][name]] for name in OUTCOMES],
        ),
        Table(
            "per_month",
            _("Per month"),
            [_("Month"), *(str(OUTCOME_LABELS[name]) for name in OUTCOMES)],
            [
                [month_label(month), *(figures["per_month"][name][i] for name in OUTCOMES)]
                for i, month in enumerate(months)
            ],
        ),
        _breakdown(
            "urgency",
            _("Requests received, by urgency"),
            figures["by_urgency"],
            lambda code: label(Urgency, code),
        ),
        _breakdown(
            "risk",
            _("Cases assessed, by risk level"),
            figures["by_risk"],
            lambda code: _("Not recorded") if code == NOT_RECORDED else label(RiskLevel, int(code)),
        ),
        _breakdown(
            "verified",
            _("Cases assessed, by how they were verified"),
            figures["by_verified"],
            lambda code: _("Not recorded") if code == NOT_RECORDED else label(VerifiedBy, code),
        ),
        _breakdown(
            "region",
            _("Relocations, by destination region"),
            figures["by_region"],
            lambda code: _("Not recorded") if code == NOT_RECORDED else label(Region, code),
        ),
    ]
    target = figures["urgent_target"]
    tables.append(
        Table(
            "target",
            _("Urgent requests acted on within %(hours)s hours") % {"hours": hours},
            [_("Urgent requests (“I am in danger now”)"), _("Count")],
            [
                [
                    _("First staff action within %(hours)s hours") % {"hours": hours},
                    target["within"],
                ],
                [_("Later, or not yet"), target["late"]],
                [
                    _("Share acted on within the target (%)"),
                    NOT_SHOWN if target["share"] is None else target["share"],
                ],
            ],
            note=_("The share is worked out from the rounded counts above."),
        )
    )
    times = figures["times"]
    tables.append(
        Table(
            "times",
            _("Waiting times"),
            [_("From the request to"), _("Median"), _("90th percentile")],
            [
                [
                    _("the first staff action (hours)"),
                    _time(times["first_action"]["median"]),
                    _time(times["first_action"]["p90"]),
                ],
                [
                    _("a decision: assessed or declined (hours)"),
                    _time(times["decision"]["median"]),
                    _time(times["decision"]["p90"]),
                ],
                [
                    _("relocation (days)"),
                    _time(times["relocation"]["median"]),
                    _time(times["relocation"]["p90"]),
                ],
            ],
            note=_(
                "A median is shown for at least 10 requests, a 90th percentile for at least 20."
            ),
        )
    )
    funding_rows = []
    for currency, block in figures["funding"].items():
        for purpose, row in block["purposes"].items():
            funding_rows.append(
                [currency, label(FundingPurpose, purpose), row["grants"], _money(row["total"])]
            )
        funding_rows.append([currency, _("All purposes"), block["grants"], _money(block["total"])])
    tables.append(
        Table(
            "funding",
            _("Funding approved, by currency and purpose"),
            [_("Currency"), _("Purpose"), _("Grants"), _("Amount")],
            funding_rows,
            note=_(
                "An amount is hidden when one grant makes up more than half of a month's amount "
                "for its purpose; so is every amount, in this report or any other, that includes "
                "it, so that none gives it away by subtraction."
            ),
        )
    )
    currencies = list(figures["funding_per_month"])
    if currencies:
        tables.append(
            Table(
                "funding_per_month",
                _("Funding approved per month"),
                [_("Month"), *currencies],
                [
                    [
                        month_label(month),
                        *(_money(figures["funding_per_month"][c][i]) for c in currencies),
                    ]
                    for i, month in enumerate(months)
                ],
            )
        )
    return tables
