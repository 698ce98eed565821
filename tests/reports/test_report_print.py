"""What a printed report holds: the report page rendered through the Django client, with the
print stylesheet it links (media="print") applied to it the way a browser would, for the rules
that decide what is printed at all (display: none). The report's title, every table and every
chart must be on paper; the site's header, menu, language switch, messages, forms and the
download links must not."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

from tests.reports.test_report_charts import page_response  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source"}


def _print_css(page: str) -> str:
    links = re.findall(r'<link rel="stylesheet" href="/static/([^"]+)" media="print">', page)
    assert links == ["reports/print.css"], links
    path = finders.find(links[0])
    assert path, "the print stylesheet is not served"
    return Path(path).read_text(encoding="utf-8")


def _hidden_selectors(css: str) -> list[str]:
    """The simple selectors (`tag` or `.class`) the stylesheet gives display: none."""
    found = []
    for selectors, body in re.findall(r"([^{}]+)\{([^{}]*)\}", css):
        if re.search(r"display:\s*none", body):
            found += [s.strip() for s in selectors.split(",")]
    assert found and all(re.fullmatch(r"\.?[\w-]+", s) for s in found), found
    return found


class _Printed(HTMLParser):
    """Walks the page, knowing for each element whether a hidden ancestor keeps it off paper;
    collects what is printed and what is not."""

    def __init__(self, hidden: list[str]) -> None:
        super().__init__()
        self.hidden = hidden
        self.stack: list[bool] = []  # per open element: hidden (itself or an ancestor)
        self.printed: list[tuple[str, dict]] = []
        self.unprinted: list[tuple[str, dict]] = []
        self.text: list[str] = []

    def _hides(self, tag: str, attrs: dict) -> bool:
        classes = (attrs.get("class") or "").split()
        return any(s == tag or (s.startswith(".") and s[1:] in classes) for s in self.hidden)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        off = (self.stack[-1] if self.stack else False) or self._hides(tag, attrs)
        (self.unprinted if off else self.printed).append((tag, attrs))
        if tag not in VOID:
            self.stack.append(off)

    def handle_endtag(self, tag):
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if self.stack and not self.stack[-1] and data.strip():
            self.text.append(data.strip())


def test_the_printed_page_holds_the_whole_report_and_none_of_the_site(page_response):  # noqa: F811
    page = page_response.content.decode()
    css = _print_css(page)
    assert "@page" in css and "size: A4" in css
    printed = _Printed(_hidden_selectors(css))
    printed.feed(page)
    tags = [tag for tag, _ in printed.printed]
    off = printed.unprinted

    # The report: its title, every table of figures, every chart, on paper.
    assert "h1" in tags
    assert any("Safe Passage report" in text for text in printed.text)
    on_screen = re.findall(r'data-table="(\w+)"', page)
    on_paper = [a["data-table"] for t, a in printed.printed if t == "table" and "data-table" in a]
    assert on_paper == on_screen and len(on_paper) >= 8
    charts = [a for t, a in printed.printed if t == "svg" and "viewbox" in a]
    assert len(charts) == 3 == page.count("<svg"), "a chart would not print"
    assert any("How to read these figures" in text for text in printed.text)

    # The site around it, and everything only for the screen, off paper.
    off_classes = {c for _, a in off for c in (a.get("class") or "").split()}
    assert {"site-header", "site-nav", "lang-switch"} <= off_classes
    assert all(t != "form" for t in tags), "a form would print"
    assert all(t != "button" for t in tags) and all(t != "input" for t in tags)
    printed_links = [a.get("href", "") for t, a in printed.printed if t == "a"]
    assert not [h for h in printed_links if "report.csv" in h or "report.xlsx" in h], printed_links
    assert not [h for h in printed_links if h == "/staff/reports/"], "'All reports' would print"
    assert "Download exactly these figures:" not in " ".join(printed.text)

    # Charts scale to the printed width and each stays whole on one page.
    assert re.search(r"\.report \.chart svg \{[^}]*width: 100%[^}]*height: auto", css)
    assert re.search(r"\.report \.chart \{[^}]*break-inside: avoid", css)
