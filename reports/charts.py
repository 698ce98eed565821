"""Charts drawn on the server as SVG (pygal), from a frozen report's figures, put inline in the
page: no JavaScript, nothing from another site.

pygal writes a <script> with its configuration even with js=[], a tooltip group with a style
attribute (for that script), comments naming its web site and one <style> element. The filter
below removes the script, the tooltip and the comments, and gives the <style> the page's CSP
nonce, so the chart renders under the site's policy (style-src 'self' plus this nonce for the
report page only; script-src is untouched).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pygal
from django.utils import formats
from django.utils.translation import gettext as _
from pygal.style import Style

from reports import rules
from reports.figures import OUTCOMES
from reports.tables import OUTCOME_LABELS, month_label

# Okabe-Ito: tells apart for colour-blind readers and in greyscale print.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#56B4E9", "#000000")
STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1a1a1a",
    foreground_strong="#000000",
    foreground_subtle="#6b6b6b",
    opacity="1",
    opacity_hover="1",
    transition="none",
    colors=COLOURS,
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif",
    title_font_size=18,
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=14,
    value_font_size=12,
    no_data_font_size=22,
)


def _strip_scripts(nonce: str):
    def xml_filter(root):
        for parent in list(root.iter()):
            for child in list(parent):
                tag = child.tag if isinstance(child.tag, str) else ""
                if tag.endswith("script") or not isinstance(child.tag, str):
                    parent.remove(child)  # <script>, and comments (their tag is a function)
                elif "tooltip" in (child.get("class") or "").split():
                    parent.remove(child)  # only the script would ever show it
                elif tag.endswith("style") and nonce:
                    child.set("nonce", nonce)
        return root

    return xml_filter


def _chart(kind, *, key: str, title: str, nonce: str, **options):
    chart = kind(
        js=[],
        style=STYLE,
        title=title,
        disable_xml_declaration=True,
        width=900,
        height=420,
        legend_at_bottom=True,
        legend_at_bottom_columns=3,
        print_values=False,
        include_x_axis=True,
        no_data_text=_("Nothing to show"),
        value_formatter=_number,
        truncate_label=-1,
        truncate_legend=-1,
        classes=["pygal-chart", "report-chart"],
        **options,
    )
    # pygal names each chart by a random UUID (its id and CSS prefix): a fixed name instead, so
    # a report page holds nothing that even looks like a case's UUID, and draws the same twice.
    chart.uuid = key
    chart.add_xml_filter(_strip_scripts(nonce))
    return chart


def _x_labels(figures: dict) -> list[str]:
    """Month names: in full for one month, short ("Jan", "янв") for a quarter or a year."""
    months = figures["months"]
    if len(months) == 1:
        return [month_label(months[0])]
    days = [date(int(m[:4]), int(m[5:7]), 1) for m in months]
    return [formats.date_format(day, "M") for day in days]


def _number(value) -> str:
    """Axis and value labels in the reader's number format: whole numbers without decimals."""
    if value is None:
        return ""
    places = 0 if float(value).is_integer() else 1
    return formats.number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)


def _count(value) -> int | None:
    """A count as drawn: "fewer than 5" is not drawn (the table beside it says so)."""
    return None if value == rules.FEWER else value


def outcomes_chart(figures: dict, *, nonce: str) -> str:
    chart = _chart(
        pygal.Bar, key="outcomes", title=_("Requests per month, by outcome"), nonce=nonce
    )
    chart.x_labels = _x_labels(figures)
    for name in OUTCOMES:
        chart.add(str(OUTCOME_LABELS[name]), [_count(v) for v in figures["per_month"][name]])
    return chart.render(is_unicode=True)


def first_action_chart(figures: dict, *, nonce: str) -> str:
    hours = figures["assess_within_hours"]
    chart = _chart(
        pygal.Line,
        key="first_action",
        title=_("Time to the first staff action, against the target"),
        nonce=nonce,
        y_title=_("hours"),
        dots_size=5,
    )
    chart.x_labels = _x_labels(figures)
    per_month = figures["first_action_per_month"]
    chart.add(_("Median"), [t["median"] for t in per_month])
    chart.add(_("90th percentile"), [t["p90"] for t in per_month])
    chart.add(
        _("Target: %(hours)s hours") % {"hours": hours},
        [hours] * len(per_month),
        show_dots=False,
        stroke_style={"width": 3, "dasharray": "8, 6"},
    )
    return chart.render(is_unicode=True)


def funding_chart(figures: dict, *, nonce: str) -> str:
    chart = _chart(pygal.Bar, key="funding", title=_("Funding approved per month"), nonce=nonce)
    chart.x_labels = _x_labels(figures)
    for currency, amounts in figures["funding_per_month"].items():
        chart.add(currency, [None if a is None else float(Decimal(a)) for a in amounts])
    return chart.render(is_unicode=True)


def report_charts(figures: dict, *, nonce: str) -> list[dict[str, str]]:
    return [
        {"key": "outcomes", "svg": outcomes_chart(figures, nonce=nonce)},
        {"key": "first_action", "svg": first_action_chart(figures, nonce=nonce)},
        {"key": "funding", "svg": funding_chart(figures, nonce=nonce)},
    ]
