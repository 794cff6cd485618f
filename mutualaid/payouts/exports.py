"""Files of a payout batch: the detail list and the summary for signature (PDF and xlsx), and the bank transfer
file (代发: account name, card number, amount, memo) as xlsx and csv.

The PDFs are written by ``platform.table_pdf`` with the Noto CJK font (``PAYOUTS_PDF_FONT``) embedded, so they
render Chinese on a machine without Chinese fonts.
Card numbers appear in full only in the bank file. Every text cell is neutralised against spreadsheet formulas.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from mutualaid.payouts.models import LineKind, LineState, PayoutBatch, PayoutLine
from mutualaid.payouts.rules import line_reference, neutralise, yuan_text
from mutualaid.platform import crypto, table_pdf

DETAIL_HEADERS = (
    "序号",
    "村",
    "姓名",
    "身份证号",
    "DRG 病组",
    "金额（元）",
    "开户行",
    "银行卡号",
    "状态",
    "备注",
)
BANK_HEADERS = ("流水号", "户名", "卡号", "金额", "开户行", "用途")
SIGN_OFF = ("经办人", "审核人（镇农业服务中心）", "审批人（镇财政）", "分管领导")


@dataclass(frozen=True)
class VillageTotal:
    name: str
    count: int
    total_fen: int


def _lines(batch: PayoutBatch) -> Iterable[PayoutLine]:
    return (
        batch.lines.exclude(state=LineState.REMOVED)
        .order_by("kind", "village_code", "id")
        .iterator(chunk_size=2000)
    )


def _note(line: PayoutLine) -> str:
    if line.kind == LineKind.SERVICE_FEE:
        return f"{line.scheme_year}年度第三方服务费"
    if line.return_reason:
        return f"退回：{line.return_reason}"
    if line.carried_reason:
        return f"上次退回：{line.carried_reason}"
    return ""


def _detail_row(number: int, line: PayoutLine) -> tuple:
    village = line.village_name or ("—" if line.kind == LineKind.SERVICE_FEE else line.village_code)
    return (
        number,
        village,
        line.payee_name,
        line.id_masked,
        line.drg_code,
        yuan_text(line.amount_fen),
        line.bank_name,
        line.bank_card_masked,
        line.get_state_display(),
        _note(line),
    )


def summary(batch: PayoutBatch) -> tuple[list[VillageTotal], int, int]:
    """Per village (and the service fee) and in all: count and amount of the batch's lines."""
    rows: dict[str, list[int]] = {}
    for line in batch.lines.exclude(state=LineState.REMOVED).values("kind", "village_name", "amount_fen"):
        name = "第三方服务费" if line["kind"] == LineKind.SERVICE_FEE else (line["village_name"] or "—")
        acc = rows.setdefault(name, [0, 0])
        acc[0] += 1
        acc[1] += line["amount_fen"]
    ordered = sorted(rows.items(), key=lambda kv: (kv[0] == "第三方服务费", kv[0]))
    villages = [VillageTotal(name, c, t) for name, (c, t) in ordered]
    return villages, sum(v.count for v in villages), sum(v.total_fen for v in villages)


def _title(batch: PayoutBatch, what: str) -> str:
    from django.db import connection

    town = getattr(getattr(connection, "tenant", None), "name", "")
    return f"{town}{batch.month:%Y年%m月}互助补助发放{what}"


# --- xlsx ------------------------------------------------------------------------------------------------------------


def _workbook():
    from openpyxl import Workbook

    return Workbook(write_only=True)


def _save(workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def detail_xlsx(batch: PayoutBatch) -> bytes:
    workbook = _workbook()
    sheet = workbook.create_sheet("发放明细")
    sheet.append([_title(batch, "明细表")])
    sheet.append(list(DETAIL_HEADERS))
    for number, line in enumerate(_lines(batch), start=1):
        sheet.append([neutralise(v) for v in _detail_row(number, line)])
    return _save(workbook)


def summary_xlsx(batch: PayoutBatch) -> bytes:
    villages, count, total = summary(batch)
    workbook = _workbook()
    sheet = workbook.create_sheet("汇总")
    sheet.append([_title(batch, "汇总表")])
    sheet.append(["村", "笔数", "金额（元）"])
    for v in villages:
        sheet.append([neutralise(v.name), v.count, yuan_text(v.total_fen)])
    sheet.append(["合计", count, yuan_text(total)])
    sheet.append([])
    for role in SIGN_OFF:
        sheet.append([f"{role}（签字）：", "", "日期："])
    return _save(workbook)


# --- the bank file (代发) ------------------------------------------------------------------------------------------


def _bank_rows(batch: PayoutBatch) -> Iterable[tuple]:
    for line in (
        batch.lines.filter(kind=LineKind.SUBSIDY)
        .exclude(state=LineState.REMOVED)
        .order_by("id")
        .iterator(chunk_size=2000)
    ):
        yield (
            line_reference(batch.month, line.pk),
            line.payee_name,
            crypto.decrypt(line.bank_card_encrypted) if line.bank_card_encrypted else "",
            yuan_text(line.amount_fen),
            line.bank_name,
            f"{batch.month:%Y年%m月}互助补助",
        )


def bank_file(batch: PayoutBatch, fmt: str) -> bytes:
    """The transfer sheet of the subsidy lines (the firm's fee is paid by an ordinary transfer)."""
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(BANK_HEADERS)
        for row in _bank_rows(batch):
            writer.writerow([neutralise(v) for v in row])
        return out.getvalue().encode("utf-8-sig")
    workbook = _workbook()
    sheet = workbook.create_sheet("代发")
    sheet.append(list(BANK_HEADERS))
    for row in _bank_rows(batch):
        sheet.append([neutralise(v) for v in row])
    return _save(workbook)


# --- PDF -------------------------------------------------------------------------------------------------------------


def _meta_text(batch: PayoutBatch) -> str:
    return (
        f"核准截止日：{batch.period_end:%Y-%m-%d}　状态：{batch.get_state_display()}"
        f"　编制：{batch.prepared_by_username or '系统'}　审批：{batch.approved_by_username or '—'}"
    )


# The detail list's columns in points (A4 landscape less margins: 786 pt); the amount and the number right-aligned.
DETAIL_COLUMNS = tuple(
    table_pdf.Column(title, width, right=title in ("序号", "金额（元）"))
    for title, width in zip(DETAIL_HEADERS, (34, 84, 62, 112, 50, 66, 96, 120, 50, 112), strict=True)
)
ROWS_PER_PAGE = 36


def detail_pdf(batch: PayoutBatch) -> bytes:
    """The detail list, written page by page with the embedded font subset to the characters used
    (``platform.table_pdf``): a month of 10,000 lines takes about a second, where laying it out as HTML took 13 s."""
    _, count, total = summary(batch)
    rows = (
        tuple(str(v) for v in _detail_row(number, line)) for number, line in enumerate(_lines(batch), start=1)
    )
    table = table_pdf.Table(
        title=_title(batch, "明细表"),
        meta=_meta_text(batch),
        columns=DETAIL_COLUMNS,
        rows=rows,
        closing=f"共 {count} 笔，合计 {yuan_text(total)} 元",
        sign_off=SIGN_OFF,
        rows_per_page=ROWS_PER_PAGE,
        first_page_rows=max(ROWS_PER_PAGE - 4, 1),
    )
    return table_pdf.table_pdf(table)


SUMMARY_COLUMNS = (
    table_pdf.Column("村", 426),
    table_pdf.Column("笔数", 160, right=True),
    table_pdf.Column("金额（元）", 200, right=True),
)


def summary_pdf(batch: PayoutBatch) -> bytes:
    """Per village and in all, with the sign-off boxes, written the same way as the detail list."""
    villages, count, total = summary(batch)
    rows = [(v.name, str(v.count), yuan_text(v.total_fen)) for v in villages]
    table = table_pdf.Table(
        title=_title(batch, "汇总表"),
        meta=_meta_text(batch),
        columns=SUMMARY_COLUMNS,
        rows=[*rows, ("合计", str(count), yuan_text(total))],
        sign_off=SIGN_OFF,
        total_row=True,
    )
    return table_pdf.table_pdf(table)


PRINTOUTS = {
    ("detail", "pdf"): (detail_pdf, "application/pdf"),
    ("detail", "xlsx"): (detail_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("summary", "pdf"): (summary_pdf, "application/pdf"),
    ("summary", "xlsx"): (summary_xlsx, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
