"""The DRG subsidy table as plain rows (no database): file import/export, scaling, and a cost preview.

- ``parse_file(filename, content)``: CSV (UTF-8 with or without BOM, or GBK) or XLSX (openpyxl, read-only) with a
  header row ``DRG编码, DRG名称, 补助金额（元）``; raises one ValidationError listing every bad row by its row
  number in the file (the header is row 1), so nothing is half-applied. Any other file type: ``invalid_file_type``.
- ``export_csv(rows)`` / ``export_xlsx(rows)``: the same layout, readable back by ``parse_file``.
- ``scale_rows(rows, factor, minimum_fen, maximum_fen)``: amounts × factor, rounded to whole yuan, clamped.
- ``preview_cost(rows, participants, admissions_per_1000)``: expected yearly subsidy cost.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook

from mutualaid.platform.money import fen_to_yuan, yuan_to_fen
from mutualaid.platform.spreadsheets import safe_cell
from mutualaid.policies.error_codes import PolicyErrorCode as Code
from mutualaid.policies.values import SubsidyRow

HEADER = ("DRG编码", "DRG名称", "补助金额（元）")
CODE_HEADERS = {"drg编码", "drg代码", "病组编码", "病组代码", "drg", "drg_code", "code", "编码"}
NAME_HEADERS = {"drg名称", "病组名称", "名称", "drg_name", "name"}
AMOUNT_HEADERS = {
    "补助金额（元）",
    "补助金额(元)",
    "补助金额",
    "补助定额（元）",
    "补助定额(元)",
    "补助定额",
    "定额（元）",
    "定额(元)",
    "金额",
    "amount",
    "amount_yuan",
}
DRG_CODE = re.compile(r"^[A-Z]{2}[A-Z0-9]{2}$")
MAX_ROWS = 5000
MAX_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class RowError:
    row: int | None  # row number in the file (header = 1); None for the whole file
    field: str
    code: str
    message: str


def as_validation_error(errors: list[RowError]) -> ValidationError:
    by_field: dict[str, list[ValidationError]] = {}
    for error in errors:
        key = f"file.row[{error.row}].{error.field}" if error.row else "file"
        message = f"第 {error.row} 行：{error.message}" if error.row else error.message
        by_field.setdefault(key, []).append(ValidationError(message, code=error.code))
    return ValidationError(by_field)


def _file_error(code: Code, message: str) -> ValidationError:
    return ValidationError({"file": ValidationError(message, code=code.value)})


# --- reading --------------------------------------------------------------------------------------------------------


def _kind(filename: str, content: bytes) -> str:
    name = (filename or "").lower()
    is_zip = content[:4] == b"PK\x03\x04"
    if name.endswith(".xlsx"):
        if not is_zip:
            raise _file_error(Code.INVALID_FILE_TYPE, "文件扩展名为 .xlsx，但内容不是 Excel 工作簿")
        return "xlsx"
    if name.endswith(".csv") or name.endswith(".txt"):
        if is_zip or b"\x00" in content[:4096]:
            raise _file_error(Code.INVALID_FILE_TYPE, "文件扩展名为 .csv，但内容不是文本")
        return "csv"
    raise _file_error(Code.INVALID_FILE_TYPE, "只支持 .csv 或 .xlsx 文件（旧版 .xls 请另存为 .xlsx）")


def _decode(content: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _file_error(Code.INVALID_FILE_TYPE, "无法识别 CSV 文件的编码（请使用 UTF-8 或 GBK）")


def _csv_rows(content: bytes) -> list[list[str]]:
    return [row for row in csv.reader(io.StringIO(_decode(content)))]


def _xlsx_rows(content: bytes) -> list[list[str]]:
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise _file_error(Code.INVALID_FILE_TYPE, "无法读取 Excel 文件，请确认是 .xlsx 工作簿") from exc
    try:
        sheet = workbook.worksheets[0]
        rows = []
        for values in sheet.iter_rows(values_only=True):
            rows.append(["" if value is None else _cell_text(value) for value in values])
            if len(rows) > MAX_ROWS + 1:
                break
        return rows
    finally:
        workbook.close()


def _cell_text(value) -> str:
    if isinstance(value, float):
        # Excel stores numbers as floats: 1500.0 → "1500", 1234.5 → "1234.5" (two decimals at most)
        return format(Decimal(repr(value)).normalize(), "f")
    return str(value).strip()


def _columns(header: list[str]) -> tuple[int, int | None, int] | None:
    normalized = [re.sub(r"\s+", "", cell).lower() for cell in header]
    code = next((i for i, cell in enumerate(normalized) if cell in CODE_HEADERS), None)
    name = next((i for i, cell in enumerate(normalized) if cell in NAME_HEADERS), None)
    amount = next((i for i, cell in enumerate(normalized) if cell in AMOUNT_HEADERS), None)
    if code is None or amount is None:
        return None
    return code, name, amount


def parse_file(filename: str, content: bytes) -> list[SubsidyRow]:
    if len(content) > MAX_BYTES:
        raise _file_error(Code.INVALID_FILE_TYPE, "文件过大（不超过 5 MB）")
    kind = _kind(filename, content)
    raw = _xlsx_rows(content) if kind == "xlsx" else _csv_rows(content)
    rows, errors = parse_rows(raw)
    if errors:
        raise as_validation_error(errors)
    return rows


def parse_rows(raw: list[list[str]]) -> tuple[list[SubsidyRow], list[RowError]]:
    """Rows of cells (the first is the header) → subsidy rows and every row error (row numbers from 1)."""
    if not raw or not any(cell.strip() for cell in raw[0]):
        return [], [RowError(None, "file", Code.INVALID_ROW.value, "文件为空或缺少表头")]
    columns = _columns(raw[0])
    if columns is None:
        return [], [
            RowError(1, "header", Code.INVALID_ROW.value, f"表头必须包含“{HEADER[0]}”和“{HEADER[2]}”两列")
        ]
    if len(raw) - 1 > MAX_ROWS:
        return [], [RowError(None, "file", Code.INVALID_ROW.value, f"行数过多（不超过 {MAX_ROWS} 行）")]
    code_at, name_at, amount_at = columns
    rows: list[SubsidyRow] = []
    errors: list[RowError] = []
    first_row: dict[str, int] = {}
    for number, cells in enumerate(raw[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue

        def cell(index: int | None, cells=cells) -> str:
            return cells[index].strip() if index is not None and index < len(cells) else ""

        code = cell(code_at).upper()
        amount_text = cell(amount_at)
        if not code:
            errors.append(RowError(number, "drg_code", Code.INVALID_ROW.value, "缺少 DRG 编码"))
        elif not DRG_CODE.match(code):
            errors.append(RowError(number, "drg_code", Code.INVALID_ROW.value, f"DRG 编码格式不正确：{code}"))
        elif code in first_row:
            errors.append(
                RowError(
                    number, "drg_code", Code.DUPLICATE.value, f"DRG 编码 {code} 与第 {first_row[code]} 行重复"
                )
            )
        else:
            first_row[code] = number
        try:
            amount_fen = yuan_to_fen(amount_text, allow_zero=False)
        except ValidationError:
            errors.append(
                RowError(
                    number,
                    "amount",
                    Code.INVALID_AMOUNT.value,
                    f"补助金额不正确：“{amount_text}”（正数，最多两位小数）",
                )
            )
            continue
        if code and DRG_CODE.match(code):
            rows.append(SubsidyRow(drg_code=code, amount_fen=amount_fen, drg_name=cell(name_at)[:128]))
    if not rows and not errors:
        errors.append(RowError(None, "file", Code.INVALID_ROW.value, "文件中没有数据行"))
    return rows, errors


def check_rows(rows: Iterable[SubsidyRow]) -> list[RowError]:
    """Shape checks of rows given directly (API input): code format, positive amounts, no duplicates."""
    errors: list[RowError] = []
    seen: set[str] = set()
    for index, row in enumerate(rows, start=1):
        if not DRG_CODE.match(row.drg_code or ""):
            errors.append(
                RowError(index, "drg_code", Code.INVALID_ROW.value, f"DRG 编码格式不正确：{row.drg_code}")
            )
        elif row.drg_code in seen:
            errors.append(RowError(index, "drg_code", Code.DUPLICATE.value, f"DRG 编码 {row.drg_code} 重复"))
        seen.add(row.drg_code)
        if row.amount_fen <= 0:
            errors.append(RowError(index, "amount", Code.NOT_POSITIVE.value, "补助金额必须大于零"))
    return errors


# --- writing --------------------------------------------------------------------------------------------------------


def _safe_text(text: str) -> str:
    """A name that a spreadsheet would run as a formula (=, +, -, @) is written as text."""
    return safe_cell(text)


def export_csv(rows: Iterable[SubsidyRow]) -> bytes:
    """UTF-8 with BOM, so that Excel on a town office PC opens the Chinese header correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEADER)
    for row in rows:
        writer.writerow([row.drg_code, _safe_text(row.drg_name), fen_to_yuan(row.amount_fen)])
    return buffer.getvalue().encode("utf-8-sig")


def export_xlsx(rows: Iterable[SubsidyRow]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("病种补助定额")
    sheet.append(list(HEADER))
    for row in rows:
        # A Decimal is written as its exact digits (a number cell Excel can sum), never through a binary float.
        sheet.append([row.drg_code, _safe_text(row.drg_name), Decimal(row.amount_fen) / 100])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- tools ------------------------------------------------------------------------------------------------------------


def parse_factor(value) -> Decimal:
    try:
        factor = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValidationError(
            {"factor": ValidationError("系数格式不正确", code=Code.INVALID_FACTOR.value)}
        ) from exc
    if isinstance(value, float) or not factor.is_finite() or not Decimal("0.01") <= factor <= Decimal("100"):
        raise ValidationError(
            {
                "factor": ValidationError(
                    "系数必须是 0.01 到 100 之间的小数（如 1.1）", code=Code.INVALID_FACTOR.value
                )
            }
        )
    return factor


def scale_amount(amount_fen: int, factor: Decimal, minimum_fen: int | None, maximum_fen: int | None) -> int:
    yuan = (Decimal(amount_fen) * factor / 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    fen = int(yuan) * 100
    if minimum_fen is not None:
        fen = max(fen, minimum_fen)
    if maximum_fen is not None:
        fen = min(fen, maximum_fen)
    return fen


def scale_rows(
    rows: Iterable[SubsidyRow], factor: Decimal, minimum_fen: int | None, maximum_fen: int | None
) -> list[SubsidyRow]:
    return [
        SubsidyRow(row.drg_code, scale_amount(row.amount_fen, factor, minimum_fen, maximum_fen), row.drg_name)
        for row in rows
    ]


@dataclass(frozen=True)
class CostLine:
    drg_code: str
    amount_fen: int
    admissions_per_1000: Decimal
    expected_admissions: Decimal
    expected_cost_fen: int


@dataclass(frozen=True)
class CostPreview:
    participants: int
    lines: tuple[CostLine, ...]
    expected_admissions: Decimal
    total_fen: int
    per_person_fen: int  # total / participants, rounded half up
    unlisted_codes: tuple[
        str, ...
    ]  # rates given for DRGs not in the table (cost 0 or the minimum, see caller)


def preview_cost(
    rows: Iterable[SubsidyRow],
    participants: int,
    admissions_per_1000: Mapping[str, Decimal],
    *,
    unlisted_amount_fen: int = 0,
) -> CostPreview:
    """Expected yearly cost: Σ amount × (rate per 1,000 people × participants / 1,000), to the fen.

    DRGs with a rate but not in the table cost ``unlisted_amount_fen`` each (0 under "no subsidy", the per-stay
    minimum under "the minimum").
    """
    if participants < 0:
        raise ValidationError(
            {"participants": ValidationError("参加人数不能为负数", code=Code.OUT_OF_RANGE.value)}
        )
    table = {row.drg_code: row.amount_fen for row in rows}
    lines = []
    unlisted = []
    for code, rate in sorted(admissions_per_1000.items()):
        rate = Decimal(rate)
        if rate < 0:
            raise ValidationError(
                {f"admissions[{code}]": ValidationError("住院率不能为负数", code=Code.OUT_OF_RANGE.value)}
            )
        amount = table.get(code)
        if amount is None:
            unlisted.append(code)
            amount = unlisted_amount_fen
        expected = rate * participants / 1000
        cost = int((expected * amount).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        lines.append(CostLine(code, amount, rate, expected, cost))
    total = sum(line.expected_cost_fen for line in lines)
    per_person = (
        int((Decimal(total) / participants).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        if participants
        else 0
    )
    return CostPreview(
        participants=participants,
        lines=tuple(lines),
        expected_admissions=sum((line.expected_admissions for line in lines), Decimal(0)),
        total_fen=total,
        per_person_fen=per_person,
        unlisted_codes=tuple(unlisted),
    )
