"""Roster cells over their field's limit are row errors, reported, never cut or dropped; exported spreadsheets
neutralise cells a spreadsheet would run as formulas (issue 22 item 10)."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import pytest

from mutualaid.enrolment.models import Household, Member
from mutualaid.platform.spreadsheets import safe_cell, safe_row
from tests.enrolment.test_roster import HEADER, _csv, _rows, _run, _xlsx

HEADER_WITH_ADDRESS = [*HEADER, "住址"]


@pytest.fixture
def village(in_xinsheng, build):
    return build.village("500152116201", "天池村")


def _report_rows(job) -> list[list]:
    from mutualaid.enrolment.roster import read_error_report

    return read_error_report(job)


@pytest.mark.parametrize("make", [_csv, _xlsx])
def test_a_huge_name_cell_is_a_reported_row_error(village, make):
    rows = _rows(village.code)
    rows[2][2] = "王" * 300_000
    job = _run("天池村." + ("csv" if make is _csv else "xlsx"), make(rows))
    assert (job.created_count, job.error_count) == (len(rows) - 1, 1)
    assert not Member.objects.filter(name__startswith="王王").exists()
    report = _report_rows(job)
    assert len(report) == 2 and "姓名" in report[1][len(HEADER)]


def test_an_address_over_its_limit_is_a_row_error_not_cut(village):
    rows = [[*row, "某某路 1 号"] for row in _rows(village.code)]
    rows[0][9] = "路" * 201
    rows[1][9] = "路" * 200
    job = _run("天池村.csv", _csv(rows, header=HEADER_WITH_ADDRESS))
    assert job.error_count == 1
    assert Household.objects.filter(address="路" * 200).exists()
    assert not Household.objects.filter(address__startswith="路" * 201).exists()


def test_the_error_report_neutralises_formula_cells(village):
    rows = _rows(village.code)
    rows[0][2] = '=HYPERLINK("http://x","点我")'
    rows[0][3] = "not an id"
    job = _run("天池村.csv", _csv(rows))
    assert job.error_count == 1
    report = _report_rows(job)
    assert report[1][2] == '\'=HYPERLINK("http://x","点我")'


def test_the_helper():
    assert safe_cell("=1+1") == "'=1+1" and safe_cell("+86") == "'+86" and safe_cell("-1") == "'-1"
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)" and safe_cell("\t=1") == "'\t=1"
    assert safe_cell("王大山") == "王大山" and safe_cell(5) == 5 and safe_cell(None) is None
    assert safe_row(["=a", 1, "b"]) == ["'=a", 1, "b"]


ROOT = Path(__file__).resolve().parents[2] / "mutualaid"
# Writers of files that are read back as input, not exports people open: the demo's roster.
NOT_EXPORTS = {"enrolment/demo.py"}


def _imports(source: str) -> set[str]:
    return {
        node.module
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom) and node.module
    }


def _uses_helper(source: str) -> bool:
    """Imports the helper, or a module of ours that re-exports it (payouts' rules.neutralise)."""
    imported = _imports(source)
    if "mutualaid.platform.spreadsheets" in imported:
        return True
    for module in imported:
        path = ROOT.parent / (module.replace(".", "/") + ".py")
        if (
            module.startswith("mutualaid.")
            and path.exists()
            and "mutualaid.platform.spreadsheets" in _imports(path.read_text())
        ):
            return True
    return False


def test_every_spreadsheet_writer_uses_the_one_helper():
    """Every module that writes a csv or xlsx uses mutualaid.platform.spreadsheets."""
    missing = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        source = path.read_text()
        if relative in NOT_EXPORTS or relative == "platform/spreadsheets.py":
            continue
        if not any(marker in source for marker in ("csv.writer(", "csv.DictWriter(", "Workbook(")):
            continue
        if not _uses_helper(source):
            missing.append(relative)
    assert missing == []


def test_csv_template_round_trip_keeps_plain_cells():
    out = io.StringIO()
    csv.writer(out).writerow(safe_row(["X0001", "王五", "13912345678"]))
    assert out.getvalue().strip() == "X0001,王五,13912345678"
