"""Roster files (花名册) as village coordinators keep them, csv and xlsx, one row per member: their columns,
recognising and checking an upload, the template, reading rows in constant memory (csv.reader over the byte stream;
openpyxl ``read_only``), and the error report in the file's own format."""

from __future__ import annotations

import codecs
import csv
import io
import os
import posixpath
import tempfile
import zipfile
from collections.abc import Generator
from dataclasses import dataclass
from datetime import date
from typing import IO
from xml.etree import ElementTree

from django.core.exceptions import ValidationError

from mutualaid.enrolment.error_codes import EnrolmentErrorCode as Code
from mutualaid.platform import idnumbers
from mutualaid.platform.spreadsheets import safe_cell, safe_row

MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool
    example: str
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("household_number", "户号", True, "（村代码-户序号）", ("household_number", "户编号")),
    Column(
        "village_code", "村代码", True, "（12 位村级区划代码）", ("village_code", "村级区划代码", "村编码")
    ),
    Column("name", "姓名", True, "张三", ("name",)),
    Column("id_number", "身份证号", True, "（18 位身份证号）", ("id_number", "身份证号码", "公民身份号码")),
    Column("relation", "与户主关系", True, "户主", ("relation", "关系")),
    Column("phone", "手机号", False, "13912345678", ("phone", "联系电话", "手机号码")),
    Column(
        "insurance_type", "基本医保类型", True, "城乡居民医保", ("insurance_type", "医保类型", "参保类型")
    ),
    Column("hardship", "困难类别", False, "", ("hardship_categories", "特殊困难群体")),
    Column("registered_on", "户籍登记日期", True, "2010-03-15", ("registered_on", "入户日期", "登记日期")),
    Column("address", "住址", False, "（村名与组）", ("address", "家庭住址")),
)
ERROR_HEADER = "错误说明"
_HEADER_KEYS = {alias.strip().lower(): c.key for c in COLUMNS for alias in (c.header, *c.aliases)}
REQUIRED = [c for c in COLUMNS if c.required]
FORMATS = ("csv", "xlsx")


# --- file types and templates ---------------------------------------------------------------------------------------


def detect_format(file_name: str, head: bytes) -> str:
    """'csv' or 'xlsx' from the name and the first bytes; anything else is refused (unsupported_file_type)."""
    extension = os.path.splitext(file_name or "")[1].lower()
    message = "只能导入 .xlsx 或 .csv 花名册（旧版 .xls 请在 Excel 中另存为 .xlsx）"
    if extension == ".xlsx" and head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if (
        extension == ".csv"
        and b"\x00" not in head
        and not head.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0"))
    ):
        return "csv"
    raise ValidationError({"file": ValidationError(message, code=Code.UNSUPPORTED_FILE_TYPE.value)})


def format_for_path(path: str, default: str = "xlsx") -> str:
    """'csv' or 'xlsx' as a file's extension says (``default`` when it says neither)."""
    extension = os.path.splitext(path or "")[1].lower().lstrip(".")
    return extension if extension in FORMATS else default


def example_row(
    town_code: str = "", town_name: str = "", village_code: str = "", village_name: str = ""
) -> list[str]:
    """The template's example row: a member of the given town (of its village when one is given), or neutral
    placeholders when no town is given."""
    values = {c.key: c.example for c in COLUMNS}
    if town_code:
        village_code = village_code or f"{town_code}201"
        values |= {
            "household_number": f"{village_code}-0001",
            "village_code": village_code,
            "id_number": idnumbers.make(town_code[:6], date(1980, 1, 1), 123),
            "address": f"{town_name}{village_name or '某村'}1组",
        }
    return [values[c.key] for c in COLUMNS]


def template(
    file_format: str,
    *,
    town_code: str = "",
    town_name: str = "",
    village_code: str = "",
    village_name: str = "",
) -> bytes:
    """The downloadable template: the header row and one example row (see ``example_row``)."""
    headers = [c.header for c in COLUMNS]
    example = example_row(town_code, town_name, village_code, village_name)
    if file_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        writer.writerow(safe_row(example))
        return ("\ufeff" + buffer.getvalue()).encode()  # BOM: Excel opens it as UTF-8
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append(headers)
    sheet.append(safe_row(example))
    for cell in sheet[2]:
        cell.number_format = "@"  # text: keeps ID numbers and leading zeros
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


# --- reading -----------------------------------------------------------------------------------------------------


def _csv_encoding(head: bytes) -> str:
    try:
        codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
        return "utf-8-sig"
    except UnicodeDecodeError:
        return "gb18030"  # Excel's default for csv on Chinese Windows


class Sheet:
    """Rows of a roster file as lists of raw values (header first), and an estimate of the row count."""

    def __init__(self, path: str, file_format: str):
        self.path, self.format = path, file_format
        self._workbook = None

    def count_rows(self) -> int:
        """Rows after the header: lines of a csv, ``<row>`` elements of a workbook's first sheet (quoted line
        breaks and empty rows make it an estimate, good for a progress bar)."""
        if self.format == "csv":
            lines, last = 0, b"\n"
            with open(self.path, "rb") as handle:
                for chunk in iter(lambda: handle.read(1 << 20), b""):
                    lines, last = lines + chunk.count(b"\n"), chunk[-1:]
            return max(0, lines + (last != b"\n") - 1)  # minus the header
        # Counted in the XML: openpyxl reads the size from the sheet's <dimension>, and where a file has none
        # (openpyxl's own files, some WPS ones) it parses the whole sheet to find it and then reports none.
        with zipfile.ZipFile(self.path) as archive, archive.open(_first_sheet(archive)) as sheet:
            rows = count_row_tags(sheet)
        return max(0, rows - 1)

    def rows(self) -> Generator[list, None, None]:
        if self.format == "csv":
            with open(self.path, "rb") as raw:
                encoding = _csv_encoding(raw.read(65536))
            # A cell may be as long as the file allowed (not csv's 128 KiB default): an over-long cell is then a
            # row error the validator reports, instead of csv.Error ending the read.
            csv.field_size_limit(max(csv.field_size_limit(), MAX_FILE_BYTES))
            with open(self.path, encoding=encoding, newline="", errors="replace") as handle:
                yield from csv.reader(handle)
            return
        from openpyxl import load_workbook

        workbook = load_workbook(self.path, read_only=True, data_only=True)
        try:
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield list(row)
        finally:
            workbook.close()


def count_row_tags(stream: IO[bytes], chunk_size: int = 1 << 20) -> int:
    """``<row>`` elements in a sheet's XML, read a chunk at a time."""
    rows, carry = 0, b""
    for chunk in iter(lambda: stream.read(chunk_size), b""):
        text = carry + chunk
        rows += text.count(b"<row ") + text.count(b"<row>")
        carry = text[
            -4:
        ]  # a tag cut at the chunk's end is counted with the next (it is 5 bytes: never twice)
    return rows


_RELATIONSHIPS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_SPREADSHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The archive path of a workbook's first sheet, the one imports read (xl/workbook.xml and its relations)."""
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    sheet = workbook.find(f"{_SPREADSHEET}sheets/{_SPREADSHEET}sheet")
    if sheet is None:
        raise KeyError("no sheet")
    relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    wanted = sheet.get(f"{_RELATIONSHIPS}id")
    target = next(r.get("Target", "") for r in relations if r.get("Id") == wanted)
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(f"xl/{target}")


def header_keys(header: list) -> list[str | None]:
    """Column keys for a header row; raises missing_columns when a required column is absent."""
    keys = [_HEADER_KEYS.get(str(h or "").strip().lower()) for h in header]
    missing = [c.header for c in REQUIRED if c.key not in keys]
    if missing:
        raise ValidationError(
            {
                "file": ValidationError(
                    f"缺少必填列：{'、'.join(missing)}（请使用导入模板）", code=Code.MISSING_COLUMNS.value
                )
            }
        )
    return keys


def check_file(path: str, file_format: str) -> None:
    """Early, synchronous checks of an upload: the file opens and has every required column."""
    try:
        first = next(iter(Sheet(path, file_format).rows()), None)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ValidationError(
            {
                "file": ValidationError(
                    "文件无法读取，请确认是 .xlsx 或 .csv 花名册", code=Code.UNSUPPORTED_FILE_TYPE.value
                )
            }
        ) from exc
    header_keys(first or [])


def text_of(value) -> str:
    if value.__class__ is str:
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- error report ------------------------------------------------------------------------------------------------


class ErrorReport:
    """The failing rows, in the file's own format, with an error column (streamed to a temporary file)."""

    def __init__(self, file_format: str):
        self.format = file_format
        self.count = 0
        self._handle = tempfile.NamedTemporaryFile(suffix=f".{file_format}", delete=False)  # noqa: SIM115
        self.path = self._handle.name
        if file_format == "csv":
            self._text = io.TextIOWrapper(self._handle, encoding="utf-8-sig", newline="")
            self._writer = csv.writer(self._text)
        else:
            from openpyxl import Workbook

            self._workbook = Workbook(write_only=True)
            self._sheet = self._workbook.create_sheet("错误行")

    def header(self, header: list) -> None:
        self._append([*(text_of(h) for h in header), ERROR_HEADER, "原行号"])

    def row(self, line: int, values: list, message: str) -> None:
        self.count += 1
        self._append([*(_cell(v) for v in values), message, line])

    def _append(self, values: list) -> None:
        if self.format == "csv":
            self._writer.writerow(values)
        else:
            self._sheet.append(values)

    def close(self) -> None:
        if self.format == "csv":
            self._text.close()
        else:
            self._handle.close()
            self._workbook.save(self.path)

    def discard(self) -> None:
        if os.path.exists(self.path):
            os.unlink(self.path)


# A cell longer than this is shown cut in the error report (it is an error already; Excel holds 32,767 at most).
REPORT_CELL_CHARS = 1000


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and len(value) > REPORT_CELL_CHARS:
        value = f"{value[:REPORT_CELL_CHARS]}…（共 {len(value)} 个字符，超出部分未列出）"
    return safe_cell(value)
