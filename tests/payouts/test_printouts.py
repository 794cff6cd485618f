"""Printouts for signature (PDF with an embedded CJK font, xlsx) and the bank file: Chinese text extracted from
the PDF, card numbers masked everywhere but the bank file, formula cells neutralised."""

from __future__ import annotations

import csv
import io

from openpyxl import load_workbook
from pypdf import PdfReader

from mutualaid.payouts import actions, exports
from mutualaid.payouts.models import PayoutLine
from tests.payouts.conftest import APRIL

FULL_CARD = "6228480402564890018"


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() or "" for page in reader.pages)


def _pdf_fonts(content: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(content))
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font") or {}
        for ref in fonts.values():
            font = ref.get_object()
            names.add(str(font.get("/BaseFont")))
            for descendant in font.get("/DescendantFonts") or []:
                descriptor = descendant.get_object().get("/FontDescriptor")
                if descriptor is not None and any(
                    k in descriptor.get_object() for k in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    names.add("embedded")
    return names


def test_detail_and_summary_pdfs_render_chinese_with_an_embedded_font(claims, users):
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    detail = exports.detail_pdf(batch)
    assert detail.startswith(b"%PDF")
    text = _pdf_text(detail)
    assert "互助补助发放明细表" in text
    assert "王大山" in text and "石盘村" in text and "5000.00" in text
    assert FULL_CARD not in text and "0018" in text
    assert "embedded" in _pdf_fonts(detail)
    summary = _pdf_text(exports.summary_pdf(batch))
    assert "汇总表" in summary and "合计" in summary and "10000.00" in summary
    assert "审批人（镇财政）" in summary


def test_xlsx_printouts_and_bank_files(claims, users, scheme):
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    PayoutLine.objects.filter(claim_id=claims["head"].pk).update(payee_name='=HYPERLINK("x")')
    sheet = load_workbook(io.BytesIO(exports.detail_xlsx(batch))).active
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row if cell is not None]
    assert '\'=HYPERLINK("x")' in values
    assert FULL_CARD not in str(values)
    summary = load_workbook(io.BytesIO(exports.summary_xlsx(batch))).active
    assert any(row[0] == "合计" for row in summary.iter_rows(values_only=True))

    actions.approve_batch(batch, actor=users["town_finance"])
    _, content = actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == ["流水号", "户名", "卡号", "金额", "开户行", "用途"]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name['\'=HYPERLINK("x")'][2] == FULL_CARD
    _, content = actions.export_batch(batch, fmt="xlsx", actor=users["town_finance"])
    bank = load_workbook(io.BytesIO(content)).active
    assert FULL_CARD in [row[2] for row in bank.iter_rows(values_only=True)]


def test_the_pdf_renders_chinese_on_a_machine_without_chinese_fonts(tmp_path):
    """Fontconfig sees no fonts at all (an empty configuration): the embedded font alone renders the text."""
    import os
    import subprocess
    import sys

    config = tmp_path / "fonts.conf"
    config.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">'
        f"<fontconfig><cachedir>{tmp_path}/cache</cachedir></fontconfig>"
    )
    script = (
        "import sys, django; django.setup()\n"
        "from mutualaid.payouts.exports import SUMMARY_COLUMNS\n"
        "from mutualaid.platform.table_pdf import Table, table_pdf\n"
        "table = Table('补助发放汇总表', '', SUMMARY_COLUMNS, [('石盘村', '1', '5000.00')], closing='王大山')\n"
        "sys.stdout.buffer.write(table_pdf(table))\n"
    )
    env = {
        **os.environ,
        "FONTCONFIG_FILE": str(config),
        "DJANGO_SETTINGS_MODULE": "mutualaid.project.settings",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, timeout=120, check=True
    )
    text = _pdf_text(done.stdout)
    assert "补助发放汇总表" in text and "王大山" in text and "石盘村" in text
    assert "embedded" in _pdf_fonts(done.stdout)


def test_a_long_list_runs_over_numbered_pages(claims, users, monkeypatch):
    monkeypatch.setattr(exports, "ROWS_PER_PAGE", 5)
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    content = exports.detail_pdf(batch)
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) >= 2
    text = _pdf_text(content)
    assert "第 1 页 / 共 2 页" in text and "第 2 页 / 共 2 页" in text
    assert all(name in text for name in ("王大山", "李小红", "赵四")) and "合计" in text
