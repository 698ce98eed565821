"""A frozen report's tables as CSV and as a spreadsheet (XLSX, written by XlsxWriter): the same
tables, in the same words, as the page (reports.tables)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import xlsxwriter

from reports.tables import Table, cell_text, empty_text

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _safe(text: str) -> str:
    # Spreadsheets run cells that start with these as formulas (none of ours do: belt and braces).
    return "'" + text if text[:1] in FORMULA_STARTS else text


def report_csv(title: str, tables: list[Table]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_safe(title)])
    for table in tables:
        writer.writerow([])
        writer.writerow([_safe(table.title)])
        writer.writerow([_safe(h) for h in table.headers])
        for row in table.rows:
            writer.writerow([_safe(cell_text(value)) for value in row])
        if not table.rows:
            writer.writerow([_safe(empty_text())])
        if table.note:
            writer.writerow([_safe(table.note)])
    # With a byte-order mark, spreadsheet programs open the Cyrillic as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def report_xlsx(title: str, tables: list[Table]) -> bytes:
    """One sheet, the tables one under another; numbers as numbers, everything else as the
    page writes it."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    book.set_properties({"title": title, "author": "", "company": ""})
    bold = book.add_format({"bold": True})
    heading = book.add_format({"bold": True, "font_size": 13})
    money = book.add_format({"num_format": "#,##0.00"})
    one_decimal = book.add_format({"num_format": "0.0"})
    sheet = book.add_worksheet("Report")
    sheet.set_column(0, 0, 48)
    sheet.set_column(1, 8, 18)
    sheet.write_string(0, 0, title, heading)
    row = 2
    for table in tables:
        sheet.write_string(row, 0, table.title, heading)
        row += 1
        for col, header in enumerate(table.headers):
            sheet.write_string(row, col, header, bold)
        row += 1
        for values in table.rows:
            for col, value in enumerate(values):
                if isinstance(value, bool):
                    sheet.write_string(row, col, cell_text(value))
                elif isinstance(value, Decimal):
                    sheet.write_number(row, col, float(value), money)
                elif isinstance(value, float):
                    sheet.write_number(row, col, value, one_decimal)
                elif isinstance(value, int):
                    sheet.write_number(row, col, value)
                else:
                    sheet.write_string(row, col, cell_text(value))
            row += 1
        if not table.rows:
            sheet.write_string(row, 0, empty_text())
            row += 1
        if table.note:
            sheet.write_string(row, 0, table.note)
            row += 1
        row += 1
    book.close()
    return buffer.getvalue()
