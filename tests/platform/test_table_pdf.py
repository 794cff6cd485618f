"""The direct table PDF writer: Chinese text extracted back, the font embedded and subset with CID = glyph index,
long cells cut to their column, pages numbered over the whole list, the closing block moved to its own page when
the last page has no room, and the pages drawn with glyphs (rendered by poppler where it is installed)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from fontTools.ttLib import TTFont
from pypdf import PdfReader

from mutualaid.platform import table_pdf

FONT = Path(settings.PAYOUTS_PDF_FONT)
COLUMNS = (
    table_pdf.Column("村", 80),
    table_pdf.Column("姓名", 60),
    table_pdf.Column("金额（元）", 70, right=True),
)


def _table(rows, **kwargs) -> table_pdf.Table:
    return table_pdf.Table(
        title="新胜镇2023年04月互助补助发放明细表", meta="核准截止日：2023-03-31", columns=COLUMNS, rows=rows,
        closing=f"共 {len(rows)} 笔", sign_off=("经办人", "审批人（镇财政）"), **kwargs,
    )  # fmt: skip


def _text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def test_a_short_list_is_one_page_with_its_text_signatures_and_embedded_subset_font():
    content = table_pdf.table_pdf(
        _table([("石盘村", "王大山", "5000.00"), ("新胜村", "李小红", "12.50")]), FONT
    )
    (page,) = _text(content)
    assert "互助补助发放明细表" in page and "王大山" in page and "5000.00" in page and "李小红" in page
    assert "共 2 笔" in page and "审批人（镇财政）" in page and "第 1 页 / 共 1 页" in page
    font = PdfReader(io.BytesIO(content)).pages[0]["/Resources"]["/Font"]["/F1"].get_object()
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    program = TTFont(io.BytesIO(descriptor["/FontFile3"].get_object().get_data()))
    assert len(program.getGlyphOrder()) < 60  # a subset, not the 65,000 glyphs of the collection
    top = program["CFF "].cff.topDictIndex[0]
    assert all(name == ".notdef" or int(name[3:]) == index for index, name in enumerate(top.charset))


def test_long_cells_are_cut_and_pages_are_numbered_over_the_whole_list():
    rows = [("新胜村民委员会第十二村民小组", f"王{number}", f"{number}.00") for number in range(1, 13)]
    pages = _text(table_pdf.table_pdf(_table(rows, rows_per_page=5, first_page_rows=3), FONT))
    assert len(pages) == 3
    assert "第 1 页 / 共 3 页" in pages[0] and "第 3 页 / 共 3 页" in pages[2]
    assert "新胜村民委员会第…" in pages[0] and "新胜村民委员会第十二村民小组" not in pages[0]
    assert "王12" in pages[2] and "共 12 笔" in pages[2]


def test_the_totals_and_signatures_go_to_a_page_of_their_own_when_the_last_page_is_full():
    rows = [("石盘村", f"王{number}", "1.00") for number in range(1, 37)]
    pages = _text(table_pdf.table_pdf(_table(rows, rows_per_page=36, first_page_rows=36), FONT))
    assert len(pages) == 2
    assert "王36" in pages[0] and "共 36 笔" not in pages[0]
    assert "共 36 笔" in pages[1] and "经办人" in pages[1]


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")
def test_poppler_draws_the_glyphs(tmp_path):
    """A page with text has far more dark pixels than the same page's ruled grid alone."""
    rows = [("石盘村", "王大山", "5000.00")] * 20

    def dark_pixels(table) -> int:
        pdf = tmp_path / "t.pdf"
        pdf.write_bytes(table_pdf.table_pdf(table, FONT))
        subprocess.run(
            ["pdftoppm", "-r", "40", "-gray", "-singlefile", str(pdf), str(tmp_path / "p")], check=True
        )
        data = (tmp_path / "p.pgm").read_bytes()
        pixels = data.split(b"\n", 3)[3]
        return sum(1 for value in pixels if value < 128)

    blank = table_pdf.Table(title="", meta="", columns=COLUMNS, rows=[("", "", "")] * 20)
    assert dark_pixels(_table(rows)) > dark_pixels(blank) * 1.3


def test_a_character_the_font_lacks_is_shown_as_a_box_not_dropped():
    lacking = "\U0002a6a5"  # 𪚥, in CJK Extension B, outside Noto Sans CJK SC
    font = table_pdf.Font(FONT)
    assert not font.has(lacking)
    (page,) = _text(table_pdf.table_pdf(_table([("石盘村", f"王{lacking}山", "1.00")]), FONT))
    assert "王□山" in page
