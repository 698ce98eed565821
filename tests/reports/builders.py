"""Builders for the report tests: cases with the dates a report reads (written directly, as the
report reads only what is stored in clear), staff actions in the audit log at a chosen moment,
approved grants, and readers for what the report pages and exports show."""

from __future__ import annotations

import html
import io
import re
import zipfile
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from xml.etree import ElementTree

from django.utils import timezone

from audit.actions import Action
from audit.services import record
from evacuation.models import Case, FundingProposal

UTC_ = UTC


def at(year: int, month: int, day: int = 1, hour: int = 12) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@contextmanager
def clock(moment: datetime):
    """timezone.now() is `moment` inside the block (the audit log dates its events by it)."""
    real = timezone.now
    timezone.now = lambda: moment
    try:
        yield
    finally:
        timezone.now = real


def staff_action(case: Case, actor, moment: datetime) -> None:
    """A staff member opens the case at `moment`: an audit event, as the case page records."""
    with clock(moment):
        record(
            action=Action.CASE_OPENED,
            actor=actor,
            target_type="case",
            target_ref=case.reference,
            data={"reason": "assess"},
        )


def make_cases(count: int = 1, *, created: datetime, **fields) -> list[Case]:
    """`count` cases received at `created` (and whatever else `fields` set: state, assessed_at,
    risk_level, verified_by, relocated_on, relocation_region, state_changed_at...)."""
    fields.setdefault("urgency", "weeks")
    fields.setdefault("state_changed_at", created)
    made = []
    for _ in range(count):
        case = Case(payload=b"", created_at=created, **fields)
        case.save()
        made.append(case)
    return made


def relocated(count: int, *, region: str, on: date, created: datetime | None = None):
    created = created or datetime.combine(on - timedelta(days=30), datetime.min.time(), UTC)
    return make_cases(
        count,
        created=created,
        state="relocated",
        assessed_at=created + timedelta(days=2),
        risk_level=3,
        verified_by="referee",
        relocated_on=on,
        relocation_region=region,
    )


def grant(*, amount: str, currency: str, purpose: str, decided: datetime, staff):
    """One approved grant, for a case of its own (funding is approved once a case)."""
    (case,) = make_cases(1, created=decided - timedelta(days=5), state="funded")
    return FundingProposal.objects.create(
        case=case,
        amount=Decimal(amount),
        currency=currency,
        purpose=purpose,
        status="approved",
        proposed_by=staff,
        proposed_at=decided - timedelta(hours=1),
        decided_by=staff,
        decided_at=decided,
    )


# --- reading what a report shows -----------------------------------------------------------------


class _Tables(HTMLParser):
    """Every <table class="report-table" data-table=KEY> of a page: KEY -> rows of cell texts
    (the header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.row: list[str] | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and "report-table" in (attrs.get("class") or ""):
            self.current = attrs["data-table"]
            self.tables[self.current] = []
        elif self.current and tag == "tr":
            self.row = []
        elif self.row is not None and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[self.current].append(self.row)
            self.row = None
        elif tag == "table":
            self.current = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def page_tables(page: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page)
    return parser.tables


def table_value(page: str, table: str, row_label: str, column: int = 1) -> str:
    for row in page_tables(page)[table]:
        if row[0] == row_label:
            return row[column]
    raise AssertionError(f"no row {row_label!r} in table {table!r}")


def shown_number(text: str) -> int | None:
    """A count as the page writes it: None for "fewer than 5"."""
    if text == "fewer than 5":
        return None
    return int(text.replace(",", "").replace("\u00a0", "").replace(" ", ""))


def csv_rows(body: bytes) -> list[list[str]]:
    import csv

    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def xlsx_rows(body: bytes) -> list[list[str | float]]:
    """The first sheet of an XLSX file as rows of strings and numbers (empty rows kept)."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(io.BytesIO(body)) as book:
        shared = []
        if "xl/sharedStrings.xml" in book.namelist():
            # Our own export, just written by the view under test: not untrusted input.
            root = ElementTree.fromstring(book.read("xl/sharedStrings.xml"))  # noqa: S314
            for item in root.findall("m:si", ns):
                shared.append("".join(t.text or "" for t in item.iter(f"{{{ns['m']}}}t")))
        sheet = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))  # noqa: S314
    rows: dict[int, dict[int, str | float]] = {}
    for row in sheet.iter(f"{{{ns['m']}}}row"):
        number = int(row.get("r"))
        cells = {}
        for cell in row.findall("m:c", ns):
            column = _column(cell.get("r"))
            value = cell.find("m:v", ns)
            if cell.get("t") == "s":
                cells[column] = shared[int(value.text)]
            elif cell.get("t") == "inlineStr":
                cells[column] = "".join(t.text or "" for t in cell.iter(f"{{{ns['m']}}}t"))
            elif value is not None:
                cells[column] = float(value.text)
        rows[number] = cells
    last = max(rows) if rows else 0
    out = []
    for number in range(1, last + 1):
        cells = rows.get(number, {})
        width = max(cells) + 1 if cells else 0
        out.append([cells.get(i, "") for i in range(width)])
    return out


def _column(reference: str) -> int:
    letters = re.match(r"[A-Z]+", reference).group(0)
    index = 0
    for letter in letters:
        index = index * 26 + (ord(letter) - 64)
    return index - 1


def visible_text(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", page))
