"""The one helper every csv / xlsx writer in the project uses against formula injection: a text cell starting
with = + - @ (or a tab / carriage return, which some spreadsheets skip before one) gets a leading apostrophe, so
a spreadsheet shows it as text instead of running it (``=HYPERLINK(...)``, ``=cmd|...``). Numbers are left alone.
A test checks that every module writing a csv or xlsx imports this module."""

from __future__ import annotations

from collections.abc import Iterable

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def safe_row(values: Iterable) -> list:
    return [safe_cell(value) for value in values]


def neutralise_workbook(workbook) -> None:
    """Neutralise every cell of an openpyxl workbook built in memory (openpyxl stores "=..." as a formula)."""
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
                    cell.value = "'" + cell.value
