"""Pure rules of payouts (no database): months, spreadsheet-cell neutralising, and reading the bank's return
file and bank statements into plain rows."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from mutualaid.payouts.error_codes import PayoutErrorCode as Code
from mutualaid.platform.spreadsheets import safe_cell

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_FILE_BYTES = 20 * 1024 * 1024


def invalid(field: str, message: str, code: Code) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code.value)})


def month_start(value: date) -> date:
    return value.replace(day=1)


def previous_month_end(month: date) -> date:
    return month_start(month) - timedelta(days=1)


def next_month(month: date) -> date:
    return (month_start(month) + timedelta(days=32)).replace(day=1)


def neutralise(value):
    """A cell value that a spreadsheet will not run as a formula (CSV/xlsx injection): text starting with
    = + - @ (or a tab / carriage return) gets a leading apostrophe. Numbers are left alone."""
    return safe_cell(value)


def yuan_text(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def parse_yuan(value, field: str = "amount") -> int:
    """Yuan as the bank writes it (12.30, "1,234.50", 12) → fen; anything else is a typed error."""
    if isinstance(value, bool):
        raise invalid(field, f"金额格式不正确：{value!r}", Code.BAD_FILE)
    if isinstance(value, int):
        return value * 100
    text = str(value if value is not None else "").strip().replace(",", "").replace("，", "")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise invalid(field, f"金额格式不正确：{text[:20]!r}", Code.BAD_FILE) from exc
    fen = amount * 100
    if fen != fen.to_integral_value() or not amount.is_finite():
        raise invalid(field, f"金额最多两位小数：{text[:20]}", Code.BAD_FILE)
    return int(fen)


def read_table(content: bytes, file_name: str) -> list[list[str]]:
    """The rows of a csv (UTF-8 with or without BOM, or GBK as Chinese banks write it) or xlsx file, as text."""
    if not content:
        raise invalid("file", "文件为空", Code.BAD_FILE)
    if len(content) > MAX_FILE_BYTES:
        raise invalid("file", "文件过大（不超过 20 MB）", Code.BAD_FILE)
    name = (file_name or "").lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except Exception as exc:  # a damaged or foreign file: the user sees a plain message
            raise invalid("file", "无法读取 xlsx 文件", Code.BAD_FILE) from exc
        sheet = workbook.worksheets[0]
        rows = [
            ["" if v is None else _cell_text(v) for v in row] for row in sheet.iter_rows(values_only=True)
        ]
        workbook.close()
    else:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                text = content.decode(encoding)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise invalid("file", "无法识别文件编码（应为 UTF-8 或 GBK）", Code.BAD_FILE)
        rows = [list(row) for row in csv.reader(io.StringIO(text))]
    return [[c.strip() for c in row] for row in rows if any(str(c).strip() for c in row)]


def _cell_text(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    return str(value)


def strip_apostrophe(text: str) -> str:
    return text[1:] if text.startswith("'") and text[1:2] in FORMULA_PREFIXES else text


# --- the bank's return file --------------------------------------------------------------------------------------

RETURN_COLUMNS = {
    "reference": ("流水号", "明细编号", "参考号", "reference"),
    "name": ("户名", "账户名称", "收款人", "name"),
    "amount": ("金额", "交易金额", "amount"),
    "status": ("状态", "处理结果", "交易状态", "status"),
    "reason": ("失败原因", "退回原因", "备注", "reason"),
}
PAID_WORDS = ("成功", "已到账", "paid", "success")
RETURNED_WORDS = ("失败", "退回", "退票", "returned", "failed")


@dataclass(frozen=True)
class ReturnRow:
    row: int
    line_id: int
    name: str
    amount_fen: int
    paid: bool
    reason: str


def line_reference(batch_month: date, line_id: int) -> str:
    return f"P{batch_month:%Y%m}-{line_id}"


def _header_index(header: list[str], columns: dict[str, tuple[str, ...]], required: tuple[str, ...]) -> dict:
    index = {}
    for key, names in columns.items():
        for i, cell in enumerate(header):
            if cell.strip().lower() in names:
                index[key] = i
                break
    missing = [columns[k][0] for k in required if k not in index]
    if missing:
        raise invalid("file", "回盘文件缺少列：" + "、".join(missing), Code.BAD_FILE)
    return index


def parse_return(rows: list[list[str]], batch_month: date) -> list[ReturnRow]:
    """The bank's result rows: reference (P<yyyymm>-<line>), account name, amount, status, reason."""
    if len(rows) < 2:
        raise invalid("file", "回盘文件没有明细行", Code.BAD_FILE)
    index = _header_index(rows[0], RETURN_COLUMNS, ("reference", "amount", "status"))
    prefix = f"P{batch_month:%Y%m}-"
    result = []
    for number, row in enumerate(rows[1:], start=2):

        def cell(key: str, row=row) -> str:
            i = index.get(key)
            return strip_apostrophe(row[i]) if i is not None and i < len(row) else ""

        reference = cell("reference")
        if not reference.startswith(prefix) or not reference[len(prefix) :].isdigit():
            raise invalid(
                "file", f"第 {number} 行：流水号 {reference[:30]!r} 不属于本批次", Code.UNKNOWN_LINE
            )
        status = cell("status").lower()
        if any(w in status for w in RETURNED_WORDS):
            paid = False
        elif any(w in status for w in PAID_WORDS):
            paid = True
        else:
            raise invalid("file", f"第 {number} 行：无法识别的状态 {status[:20]!r}", Code.BAD_FILE)
        reason = cell("reason")[:200]
        if not paid and not reason:
            raise invalid("file", f"第 {number} 行：退回须注明原因", Code.REASON_REQUIRED)
        result.append(
            ReturnRow(
                row=number,
                line_id=int(reference[len(prefix) :]),
                name=cell("name"),
                amount_fen=parse_yuan(cell("amount"), "file"),
                paid=paid,
                reason=reason,
            )
        )
    return result


# --- bank statements (8a) -----------------------------------------------------------------------------------------

STATEMENT_COLUMNS = {
    "date": ("交易日期", "日期", "记账日期", "date"),
    "debit": ("支出金额", "借方发生额", "支出", "debit"),
    "credit": ("收入金额", "贷方发生额", "收入", "credit"),
    "amount": ("交易金额", "金额", "amount"),
    "memo": ("摘要", "用途", "附言", "memo"),
    "reference": ("流水号", "交易流水号", "reference"),
}


@dataclass(frozen=True)
class StatementRow:
    row: int
    on: date
    amount_fen: int  # positive: money in; negative: money out
    memo: str
    reference: str


def parse_statement(rows: list[list[str]]) -> list[StatementRow]:
    if len(rows) < 2:
        raise invalid("file", "对账单没有明细行", Code.BAD_FILE)
    index = _header_index(rows[0], STATEMENT_COLUMNS, ("date",))
    if "amount" not in index and not ("debit" in index or "credit" in index):
        raise invalid("file", "对账单缺少金额列（交易金额，或收入/支出金额）", Code.BAD_FILE)
    result = []
    for number, row in enumerate(rows[1:], start=2):

        def cell(key: str, row=row) -> str:
            i = index.get(key)
            return strip_apostrophe(row[i]) if i is not None and i < len(row) else ""

        text = cell("date").replace("/", "-").replace(".", "-")[:10]
        try:
            on = date.fromisoformat(text) if "-" in text else datetime.strptime(text, "%Y%m%d").date()
        except ValueError as exc:
            raise invalid("file", f"第 {number} 行：日期格式不正确 {text!r}", Code.BAD_FILE) from exc
        if "amount" in index:
            amount = parse_yuan(cell("amount"), "file")
        else:
            credit = parse_yuan(cell("credit") or "0", "file")
            debit = parse_yuan(cell("debit") or "0", "file")
            amount = credit - debit
        result.append(StatementRow(number, on, amount, cell("memo")[:200], cell("reference")[:100]))
    return result
