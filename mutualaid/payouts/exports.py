"""Files of a payout batch: the detail list and the summary for signature (PDF and xlsx), and the bank transfer
file (代发: account name, card number, amount, memo) as xlsx and csv.

The PDF embeds a Noto CJK font (``PAYOUTS_PDF_FONT``) so it renders Chinese on a machine without Chinese fonts.
Card numbers appear in full only in the bank file. Every text cell is neutralised against spreadsheet formulas.
"""

from __future__ import annotations

import csv
import html
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from mutualaid.payouts.models import LineKind, LineState, PayoutBatch, PayoutLine
from mutualaid.payouts.rules import line_reference, neutralise, yuan_text
from mutualaid.platform import crypto

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


_PAGE_NUMBERS = (
    '@bottom-center { content: "第 " counter(page) " 页 / 共 " counter(pages) " 页"; font-size: 8pt; }'
)


def font_path() -> Path:
    return Path(settings.PAYOUTS_PDF_FONT)


def _css() -> str:
    font = font_path()
    face = ""
    if font.exists():
        face = f'@font-face {{ font-family: "PayoutCJK"; src: url("{font.as_uri()}"); }}'
    return (
        face
        + """
@page { size: A4 landscape; margin: 12mm 10mm 14mm 10mm;
        """
        + _PAGE_NUMBERS
        + """ }
body { font-family: "PayoutCJK", "Noto Sans CJK SC", sans-serif; font-size: 8.5pt; }
h1 { font-size: 14pt; text-align: center; margin: 0 0 4mm 0; }
p.meta { margin: 0 0 3mm 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 0.5pt solid #333; padding: 1mm 1.5mm; }
th { background: #eee; }
td.n { text-align: right; }
thead { display: table-header-group; }
tr { page-break-inside: avoid; }
table.sign td { border: none; padding: 6mm 4mm 2mm 0; width: 25%; }
pre.list { font-family: "Noto Sans Mono CJK SC", "PayoutCJK", monospace; font-size: 8pt; line-height: 1.45;
           margin: 0; break-after: page; }
pre.list:last-of-type { break-after: auto; }
"""
    )


def _render(body: str, *, numbered: bool = True) -> bytes:
    from weasyprint import HTML

    css = _css() if numbered else _css().replace(_PAGE_NUMBERS, "")
    document = f"<!doctype html><html lang='zh-CN'><head><meta charset='utf-8'><style>{css}</style></head>"
    document += f"<body>{body}</body></html>"
    return HTML(string=document).write_pdf()


def _joined(parts: list[bytes]) -> bytes:
    """One PDF of the pages of ``parts`` in order."""
    if len(parts) == 1:
        return parts[0]
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for part in parts:
        writer.append(PdfReader(io.BytesIO(part)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _meta(batch: PayoutBatch) -> str:
    return (
        f"<p class='meta'>核准截止日：{batch.period_end:%Y-%m-%d}　状态：{html.escape(batch.get_state_display())}"
        f"　编制：{html.escape(batch.prepared_by_username or '系统')}"
        f"　审批：{html.escape(batch.approved_by_username or '—')}</p>"
    )


# The detail list is laid out as fixed-width text in the CJK monospace face of the embedded font (one text line a
# row instead of a table of cells): WeasyPrint lays out a 10,000-line list in seconds instead of minutes.
DETAIL_WIDTHS = (5, 12, 10, 18, 5, 11, 14, 19, 10, 26)
DETAIL_RIGHT = (0, 5)
ROWS_PER_PAGE = 36
PAGES_PER_PART = 40


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit(text: str, width: int, right: bool = False) -> str:
    text = " ".join(str(text).split())
    while _width(text) > width:
        text = text[:-1]
    space = " " * (width - _width(text))
    return space + text if right else text + space


def _text_row(cells) -> str:
    return "  ".join(
        _fit(str(c), w, i in DETAIL_RIGHT) for i, (c, w) in enumerate(zip(cells, DETAIL_WIDTHS, strict=True))
    ).rstrip()


def detail_pdf(batch: PayoutBatch) -> bytes:
    """The detail list, laid out by WeasyPrint a part of ``PAGES_PER_PART`` pages at a time (memory stays flat
    however long the month) and joined into one PDF; page numbers are in the text, counted over the whole list."""
    header = _text_row(DETAIL_HEADERS)
    pages: list[list[str]] = [[]]
    first_page_rows = max(ROWS_PER_PAGE - 4, 1)
    for number, line in enumerate(_lines(batch), start=1):
        limit = first_page_rows if len(pages) == 1 else ROWS_PER_PAGE
        if len(pages[-1]) >= limit:
            pages.append([])
        pages[-1].append(_text_row(_detail_row(number, line)))
    _, count, total = summary(batch)
    parts = []
    for start in range(0, len(pages), PAGES_PER_PART):
        body = [f"<h1>{html.escape(_title(batch, '明细表'))}</h1>", _meta(batch)] if start == 0 else []
        for index, rows in enumerate(pages[start : start + PAGES_PER_PART], start=start + 1):
            page_label = f"第 {index} 页 / 共 {len(pages)} 页"
            rule = "-" * max(_width(header) - _width(page_label) - 1, 8) + " " + page_label
            body.append(f"<pre class='list'>{html.escape(chr(10).join([header, rule, *rows]))}</pre>")
        if start + PAGES_PER_PART >= len(pages):
            body.append(f"<p class='meta'>共 {count} 笔，合计 {yuan_text(total)} 元</p>{_sign_off()}")
        parts.append(_render("".join(body), numbered=False))
    return _joined(parts)


def _sign_off() -> str:
    cells = "".join(f"<td>{role}：<br><br>日期：</td>" for role in SIGN_OFF)
    return f"<table class='sign'><tr>{cells}</tr></table>"


def summary_pdf(batch: PayoutBatch) -> bytes:
    villages, count, total = summary(batch)
    rows = "".join(
        f"<tr><td>{html.escape(v.name)}</td><td class='n'>{v.count}</td><td class='n'>{yuan_text(v.total_fen)}</td></tr>"
        for v in villages
    )
    body = (
        f"<h1>{html.escape(_title(batch, '汇总表'))}</h1>{_meta(batch)}"
        "<table><thead><tr><th>村</th><th>笔数</th><th>金额（元）</th></tr></thead>"
        f"<tbody>{rows}<tr><th>合计</th><td class='n'>{count}</td><td class='n'>{yuan_text(total)}</td></tr>"
        f"</tbody></table>{_sign_off()}"
    )
    return _render(body)


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
