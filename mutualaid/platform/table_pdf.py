"""A long table as a PDF, written directly: pages of ruled rows in one embedded CJK font, subset to the characters
used, with a ToUnicode map so the text can be searched and extracted.

Why not WeasyPrint, as for short printouts: it lays out and draws every glyph in Python (about 1.25 ms a row), so a
month's 10,000-line payout list took 13 s. Here a row is one line of PDF operators and the font is subset once.
Columns are placed by position, so the font needs no fixed pitch; text too wide for its column is cut with "…".
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

# A4 landscape, in points.
PAGE_WIDTH, PAGE_HEIGHT = 842.0, 595.0
MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 28.0, 34.0, 40.0
TITLE_SIZE, TEXT_SIZE, FOOTER_SIZE = 14.0, 8.0, 7.5
ROW_HEIGHT = 13.5
CELL_PADDING = 3.0
CLOSING_HEIGHT = 90.0  # the totals line and the sign-off boxes
TABLE_TOP = PAGE_HEIGHT - MARGIN_TOP
FIRST_TABLE_TOP = TABLE_TOP - (TITLE_SIZE + 10) - (TEXT_SIZE + 8)  # below the title and the meta line
ELLIPSIS = "…"
MISSING = "□"
PREFERRED_FACES = ("Noto Sans Mono CJK SC", "Noto Sans CJK SC")


@dataclass(frozen=True)
class Column:
    title: str
    width: float  # points
    right: bool = False


@dataclass
class Table:
    """What to print: a title and meta line above the first page, the columns, the rows, and on the last page the
    closing line and a signature box for each of ``sign_off``."""

    title: str
    meta: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[str]]
    closing: str = ""
    sign_off: Sequence[str] = ()
    rows_per_page: int = 36
    first_page_rows: int = 32
    total_row: bool = False  # the last row is the total (合计): shaded like the header


class Font:
    """One face of an OpenType (CFF) or TrueType font file or collection: advance widths for layout, and the subset
    of the characters used, with the code (CID) each is shown with."""

    def __init__(self, path: Path, preferred: Sequence[str] = PREFERRED_FACES) -> None:
        from fontTools.ttLib import TTFont

        self.path = path
        self.number = _face_number(path, preferred)
        font = TTFont(str(path), fontNumber=self.number, lazy=True)
        self.units = font["head"].unitsPerEm
        self.cmap = font.getBestCmap()
        metrics = font["hmtx"].metrics
        self.advance = {code: metrics[name][0] for code, name in self.cmap.items()}
        self.name = font["name"].getDebugName(6) or "CJK"
        self.ascent = font["hhea"].ascent
        self.descent = font["hhea"].descent
        self.is_cff = "CFF " in font

    def has(self, char: str) -> bool:
        return ord(char) in self.advance

    def width(self, text: str, size: float) -> float:
        return sum(self.advance.get(ord(c), self.units) for c in text) * size / self.units

    def fit(self, text: str, width: float, size: float) -> str:
        """``text`` on one line, cut with an ellipsis to fit ``width`` points; a character the font lacks (a rare
        name character) is shown as □, never dropped without trace."""
        text = "".join(c if self.has(c) else MISSING for c in " ".join(text.split()))
        if self.width(text, size) <= width:
            return text
        while text and self.width(text + ELLIPSIS, size) > width:
            text = text[:-1]
        return text + ELLIPSIS

    def subset(self, chars: set[str]) -> tuple[bytes, dict[str, int]]:
        """The font program holding only ``chars``, and the code of each char in it."""
        from fontTools import subset
        from fontTools.ttLib import TTFont

        options = subset.Options(
            passthrough_tables=False, ignore_missing_glyphs=True, ignore_missing_unicodes=True,
            hinting=False, desubroutinize=True, notdef_outline=True, name_IDs=["*"],
        )  # fmt: skip
        options.drop_tables += ["GSUB", "GPOS", "GDEF", "SVG ", "VORG", "vhea", "vmtx", "BASE"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(unicodes={ord(c) for c in chars if self.has(c)})
        font = TTFont(str(self.path), fontNumber=self.number)
        subsetter.subset(font)
        if self.is_cff and hasattr(font["CFF "].cff.topDictIndex[0], "ROS"):
            _number_cids_as_glyphs(font)
        out = io.BytesIO()
        font.save(out)
        cmap = font.getBestCmap()
        return out.getvalue(), {c: font.getGlyphID(cmap[ord(c)]) for c in chars if ord(c) in cmap}


def _number_cids_as_glyphs(font) -> None:
    """Renumber a CID-keyed subset's CIDs 0, 1, 2… in glyph order. Viewers differ in how they find a glyph of an
    embedded OpenType CID font (by CID through the charset, or straight by glyph index); with CID = glyph index
    every viewer finds the same glyph."""
    order = font.getGlyphOrder()
    renamed = {old: (old if index == 0 else f"cid{index:05d}") for index, old in enumerate(order)}
    top = font["CFF "].cff.topDictIndex[0]
    strings = top.CharStrings
    strings.charStrings = {renamed[name]: value for name, value in strings.charStrings.items()}
    top.charset = [renamed[name] for name in top.charset]
    metrics = font["hmtx"].metrics
    font["hmtx"].metrics = {renamed[name]: value for name, value in metrics.items()}
    for table in font["cmap"].tables:
        table.cmap = {code: renamed[name] for code, name in table.cmap.items()}
    font.setGlyphOrder([renamed[name] for name in order])


def _face_number(path: Path, preferred: Sequence[str]) -> int:
    """In a collection (.ttc), the first of ``preferred`` faces it holds; otherwise the first face."""
    if path.suffix.lower() not in (".ttc", ".otc"):
        return 0
    from fontTools.ttLib import TTCollection

    names = [face["name"].getDebugName(4) for face in TTCollection(str(path), lazy=True).fonts]
    for wanted in preferred:
        if wanted in names:
            return names.index(wanted)
    return 0


@dataclass
class _Text:
    x: float
    y: float
    size: float
    text: str


@dataclass
class _Page:
    texts: list[_Text] = field(default_factory=list)
    drawing: list[str] = field(default_factory=list)


def font_path() -> Path:
    """The CJK font every printout embeds (``PAYOUTS_PDF_FONT``: the payout PDFs', the disclosure notice's and the
    evaluation's)."""
    from django.conf import settings

    return Path(settings.PAYOUTS_PDF_FONT)


def table_pdf(table: Table, font_file: Path | None = None) -> bytes:
    font = Font(font_file or font_path())
    pages = _lay_out(table, font)
    chars = {c for page in pages for t in page.texts for c in t.text}
    program, codes = font.subset(chars)
    return _write(pages, font, program, codes)


def _lay_out(table: Table, font: Font) -> list[_Page]:
    cells = [[font.fit(str(v), col.width - 2 * CELL_PADDING, TEXT_SIZE) for v, col in zip(row, table.columns, strict=True)]
             for row in table.rows]  # fmt: skip
    chunks = [cells[: table.first_page_rows]]
    for start in range(table.first_page_rows, len(cells), table.rows_per_page):
        chunks.append(cells[start : start + table.rows_per_page])
    last_top = FIRST_TABLE_TOP if len(chunks) == 1 else TABLE_TOP
    if last_top - ROW_HEIGHT * (len(chunks[-1]) + 1) - CLOSING_HEIGHT < MARGIN_BOTTOM:
        chunks.append([])  # the totals and signatures go on a page of their own
    pages = []
    for number, rows in enumerate(chunks, start=1):
        page = _Page()
        top = TABLE_TOP
        if number == 1:
            _heading(page, font, table)
            top = FIRST_TABLE_TOP
        bottom = _table(page, font, table.columns, rows, top) if rows or number == 1 else top
        if table.total_row and rows and not any(chunks[number:]):
            width = sum(col.width for col in table.columns)
            page.drawing.insert(
                0, f"0.92 g {MARGIN_X:.2f} {bottom:.2f} {width:.2f} {ROW_HEIGHT:.2f} re f 0 g"
            )
        if number == len(chunks):
            _closing(page, font, table, bottom)
        label = f"第 {number} 页 / 共 {len(chunks)} 页"
        x = (PAGE_WIDTH - font.width(label, FOOTER_SIZE)) / 2
        page.texts.append(_Text(x, MARGIN_BOTTOM / 2, FOOTER_SIZE, label))
        pages.append(page)
    return pages


def _heading(page: _Page, font: Font, table: Table) -> None:
    top = TABLE_TOP
    title = font.fit(table.title, PAGE_WIDTH - 2 * MARGIN_X, TITLE_SIZE)
    page.texts.append(
        _Text((PAGE_WIDTH - font.width(title, TITLE_SIZE)) / 2, top - TITLE_SIZE, TITLE_SIZE, title)
    )
    top -= TITLE_SIZE + 10
    meta = font.fit(table.meta, PAGE_WIDTH - 2 * MARGIN_X, TEXT_SIZE)
    page.texts.append(_Text(MARGIN_X, top - TEXT_SIZE, TEXT_SIZE, meta))


def _table(page: _Page, font: Font, columns: Sequence[Column], rows: list[list[str]], top: float) -> float:
    """The header row and ``rows`` ruled as a grid from ``top`` down; returns the table's bottom edge."""
    width = sum(col.width for col in columns)
    bottom = top - ROW_HEIGHT * (len(rows) + 1)
    page.drawing.append(f"0.92 g {MARGIN_X:.2f} {top - ROW_HEIGHT:.2f} {width:.2f} {ROW_HEIGHT:.2f} re f 0 g")
    for index, values in enumerate([[col.title for col in columns], *rows]):
        baseline = top - ROW_HEIGHT * (index + 1) + (ROW_HEIGHT - TEXT_SIZE) / 2 + 1.2
        x = MARGIN_X
        for value, col in zip(values, columns, strict=True):
            if value:
                right = col.right and index > 0
                offset = col.width - CELL_PADDING - font.width(value, TEXT_SIZE) if right else CELL_PADDING
                page.texts.append(_Text(x + offset, baseline, TEXT_SIZE, value))
            x += col.width
    lines = [f"{MARGIN_X:.2f} {top - ROW_HEIGHT * i:.2f} m {MARGIN_X + width:.2f} {top - ROW_HEIGHT * i:.2f} l"
             for i in range(len(rows) + 2)]  # fmt: skip
    edges = [MARGIN_X]
    for col in columns:
        edges.append(edges[-1] + col.width)
    lines.extend(f"{x:.2f} {top:.2f} m {x:.2f} {bottom:.2f} l" for x in edges)
    page.drawing.append("0.5 w " + " ".join(lines) + " S")
    return bottom


def _closing(page: _Page, font: Font, table: Table, top: float) -> None:
    """The totals line, then a box per signature (role, room to sign, date)."""
    if table.closing:
        page.texts.append(_Text(MARGIN_X, top - 16, TEXT_SIZE + 1, table.closing))
    if not table.sign_off:
        return
    box_width = (PAGE_WIDTH - 2 * MARGIN_X) / len(table.sign_off)
    box_top, box_height = top - 26, 56.0
    for index, role in enumerate(table.sign_off):
        x = MARGIN_X + index * box_width
        page.drawing.append(
            f"0.5 w {x + 2:.2f} {box_top - box_height:.2f} {box_width - 4:.2f} {box_height:.2f} re S"
        )
        page.texts.append(
            _Text(x + 6, box_top - 14, TEXT_SIZE, font.fit(f"{role}：", box_width - 12, TEXT_SIZE))
        )
        page.texts.append(_Text(x + 6, box_top - box_height + 8, TEXT_SIZE, "日期："))


def _write(pages: list[_Page], font: Font, program: bytes, codes: dict[str, int]) -> bytes:
    """The PDF file: catalog, page tree, pages with their compressed content, and the Type 0 font."""
    writer = _Writer()
    catalog, tree, font_ref = writer.reserve(), writer.reserve(), writer.reserve()
    scale = 1000 / font.units
    kids = []
    for page in pages:
        content = zlib.compress(_content(page, codes).encode("ascii"), 6)
        stream = writer.add(_stream(b"", content, compressed=True))
        kids.append(
            writer.add(
                f"<< /Type /Page /Parent {tree} 0 R /MediaBox [0 0 {PAGE_WIDTH:g} {PAGE_HEIGHT:g}] "
                f"/Resources << /Font << /F1 {font_ref} 0 R >> >> /Contents {stream} 0 R >>".encode()
            )
        )
    program_ref = writer.add(
        _stream(
            b"/Subtype /OpenType" if font.is_cff else f"/Length1 {len(program)}".encode(),
            zlib.compress(program, 6),
            compressed=True,
        )
    )
    base = "/" + "".join(c for c in font.name if c.isalnum() or c in "-_") + "-Subset"
    descriptor = writer.add(
        f"<< /Type /FontDescriptor /FontName {base} /Flags 4 /FontBBox [0 {font.descent * scale:.0f} 1000 "
        f"{font.ascent * scale:.0f}] /ItalicAngle 0 /Ascent {font.ascent * scale:.0f} /Descent "
        f"{font.descent * scale:.0f} /CapHeight {font.ascent * scale:.0f} /StemV 80 "
        f"/{'FontFile3' if font.is_cff else 'FontFile2'} {program_ref} 0 R >>".encode()
    )
    widths = " ".join(
        f"{code} [{font.advance[ord(c)] * scale:.0f}]"
        for c, code in sorted(codes.items(), key=lambda i: i[1])
    )
    descendant = writer.add(
        f"<< /Type /Font /Subtype /CIDFontType{0 if font.is_cff else 2} /BaseFont {base} "
        f"/CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> "
        f"{'' if font.is_cff else '/CIDToGIDMap /Identity '}/FontDescriptor {descriptor} 0 R /W [{widths}] >>".encode()
    )
    to_unicode = writer.add(_stream(b"", zlib.compress(_to_unicode(codes), 6), compressed=True))
    writer.set(
        font_ref,
        f"<< /Type /Font /Subtype /Type0 /BaseFont {base} /Encoding /Identity-H "
        f"/DescendantFonts [{descendant} 0 R] /ToUnicode {to_unicode} 0 R >>".encode(),
    )
    writer.set(
        tree, f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode()
    )
    writer.set(catalog, f"<< /Type /Catalog /Pages {tree} 0 R >>".encode())
    return writer.output(catalog)


def _content(page: _Page, codes: dict[str, int]) -> str:
    parts = list(page.drawing)
    parts.append("BT")
    size = None
    for t in page.texts:
        if t.size != size:
            parts.append(f"/F1 {t.size:g} Tf")
            size = t.size
        hexed = "".join(f"{codes[c]:04x}" for c in t.text if c in codes)
        parts.append(f"1 0 0 1 {t.x:.2f} {t.y:.2f} Tm <{hexed}> Tj")
    parts.append("ET")
    return "\n".join(parts)


def _to_unicode(codes: dict[str, int]) -> bytes:
    entries = sorted((code, c) for c, code in codes.items())
    lines = [
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap",
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def",
        "1 begincodespacerange <0000> <ffff> endcodespacerange",
    ]
    for start in range(0, len(entries), 100):
        chunk = entries[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar")
        lines.extend(f"<{code:04x}> <{c.encode('utf-16-be').hex()}>" for code, c in chunk)
        lines.append("endbfchar")
    lines.append("endcmap CMapName currentdict /CMap defineresource pop end end")
    return "\n".join(lines).encode("ascii")


def _stream(extra: bytes, data: bytes, *, compressed: bool) -> bytes:
    filter_ = b" /Filter /FlateDecode" if compressed else b""
    head = (
        b"<< /Length "
        + str(len(data)).encode()
        + filter_
        + (b" " + extra if extra else b"")
        + b" >>\nstream\n"
    )
    return head + data + b"\nendstream"


class _Writer:
    """Numbered objects, the cross-reference table and the trailer."""

    def __init__(self) -> None:
        self.objects: list[bytes | None] = []

    def reserve(self) -> int:
        self.objects.append(None)
        return len(self.objects)

    def set(self, number: int, body: bytes) -> None:
        self.objects[number - 1] = body

    def add(self, body: bytes) -> int:
        number = self.reserve()
        self.set(number, body)
        return number

    def output(self, root: int) -> bytes:
        out = io.BytesIO()
        out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        offsets = []
        for number, body in enumerate(self.objects, start=1):
            assert body is not None, number
            offsets.append(out.tell())
            out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
        xref = out.tell()
        out.write(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode())
        out.write("".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode())
        out.write(
            f"trailer\n<< /Size {len(offsets) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
        )
        return out.getvalue()
