"""Parsers for the CHS-DRG rule-table folders (pure: files in, dataclasses out, no database).

Two layouts exist:

* ``chs-drg-1.1``: ``1_MDC.txt``, ``2_ADRG.txt``, ``3_DRG.txt`` (``CODE NAME`` per line), the MDC and ADRG lists in
  ``MDC/*.dat`` and ``ADRG/*.dat``, and the MCC / CC / CC-exclusion tables ``5_MCC.txt``, ``6_CC.txt``,
  ``7_CCE.txt``. The last three are text extracted from the PDF edition: page numbers (``1103``) and repeated page
  headers (``疾病编码 疾病名称 排除内容``) are mixed in, some whole pages are run together on one line, and long
  names wrap onto the next line. They are parsed as a stream of ``CODE NAME 表 7-N`` records, not by line.
* ``chs-drg-2.0``: ``MDC.dat``, ``ADRG.dat``, ``DRG.dat``, ``MDC/``, ``ADRG/`` (some ADRGs have alternative rule
  files ``AH2_1_…``, ``AH2_2_…``), ``MCC.dat`` / ``CC.dat`` (``CODE TABLE``), ``CCE.dat`` (``CODE TABLE``), and
  the codes not accepted for grouping, ``ZD_INVALID.dat`` (diagnoses) and ``SS_INVALID.dat`` (procedures).

All files are UTF-8 (some with a byte-order mark). Everything is validated before anything is written: a wrong
folder or a damaged table raises ``RuleFileError`` with a message in Chinese.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

# An ICD-10 医保版 diagnosis (A01.100, A02.000x005, A02.201+J17.0*, K35.x00) or an ICD-9-CM-3 procedure
# (37.5100, 00.0900x001, 17.912A0).
ICD_CODE = (
    r"(?:[A-Z]\d{2}(?:\.[0-9x]+)?(?:\+[A-Z]\d{2}(?:\.[0-9x]+)?\*?)?"  # diagnosis
    r"|\d{2}\.[0-9x]+(?:[A-Z]\d)?(?:x\d+)?)"  # procedure
)
_ENTRY = re.compile(rf"^(#\s*)?({ICD_CODE})(?:\s+(.*?))?\s*$")
_MDC_CODE = re.compile(r"^MDC[A-Z]$")
_ADRG_CODE = re.compile(r"^[A-Z]{2}\d$")
_DRG_CODE = re.compile(r"^[A-Z]{2}\d[1359]$")
_PAGE_NUMBER = re.compile(r"^\d{1,4}$")
_PAGE_HEADER = re.compile(r"(?:\d{1,4}\s+)?疾病编码\s*疾病名称\s*排除内容")
_TABLE_1_1 = re.compile(r"^表\s*7-(\d+)\s*$")
# A record ends with its exclusion table (表 7-12) or 无 (none).
_CC_RECORD = re.compile(rf"({ICD_CODE})\s+(.+?)\s+(?:表\s*7-(\d+)|无)(?=\s|$)", re.S)
_CODE_TABLE = re.compile(rf"^[^\x00-\x7f]?({ICD_CODE})(?:\s*\D.*?)?\s+(\d+)$")
_CJK_GAP = re.compile(r"(?<=[\u3000-\u9fff\uff00-\uffef])\s+(?=[\u3000-\u9fff\uff00-\uffef])")
_RULE_FILE = re.compile(r"^([A-Z]{2}\d|MDC[A-Z])(?:_(\d+))?_(.+)\.dat$")


class RuleFileError(ValueError):
    pass


@dataclass(frozen=True)
class Layout:
    code: str
    name: str
    mdc: str
    adrg: str
    drg: str
    mcc: str
    cc: str
    cce: str
    pdf_tables: bool  # MCC/CC/CCE as extracted PDF text (1.1) or as ``CODE TABLE`` lines (2.0)
    invalid_diagnoses: str | None = None
    invalid_procedures: str | None = None

    def required_files(self) -> list[str]:
        names = [self.mdc, self.adrg, self.drg, self.mcc, self.cc, self.cce]
        return names + [n for n in (self.invalid_diagnoses, self.invalid_procedures) if n]


LAYOUTS = {
    "chs-drg-1.1": Layout(
        "chs-drg-1.1", "CHS-DRG 1.1", "1_MDC.txt", "2_ADRG.txt", "3_DRG.txt", "5_MCC.txt", "6_CC.txt", "7_CCE.txt",
        pdf_tables=True,
    ),
    "chs-drg-2.0": Layout(
        "chs-drg-2.0", "CHS-DRG 2.0", "MDC.dat", "ADRG.dat", "DRG.dat", "MCC.dat", "CC.dat", "CCE.dat",
        pdf_tables=False, invalid_diagnoses="ZD_INVALID.dat", invalid_procedures="SS_INVALID.dat",
    ),
}  # fmt: skip


@dataclass
class ParsedList:
    owner_code: str  # MDCB or BB1
    variant: str
    position: int
    heading: str
    kind: str  # diagnosis | procedure
    note: str
    entries: list[tuple[str, str, str]] = field(default_factory=list)  # (code, name, marker)


@dataclass
class ParsedCatalogue:
    layout: Layout
    mdcs: dict[str, str]
    adrgs: dict[str, tuple[str, str]]  # code → (mdc code, name)
    drgs: dict[str, tuple[str, str, str]]  # code → (adrg code, name, split digit)
    rule_lists: list[ParsedList]
    complications: list[tuple[str, str, str, str]]  # (level MCC|CC, code, name, exclusion table)
    exclusions: list[tuple[str, str, str]]  # (table, code, name)
    invalid: list[tuple[str, str, str]]  # (kind, code, name)
    content_hash: str

    def counts(self) -> dict[str, int]:
        return {
            "mdc": len(self.mdcs),
            "adrg": len(self.adrgs),
            "drg": len(self.drgs),
            "rule_lists": len(self.rule_lists),
            "rule_entries": sum(len(r.entries) for r in self.rule_lists),
            "mcc": sum(1 for c in self.complications if c[0] == "MCC"),
            "cc": sum(1 for c in self.complications if c[0] == "CC"),
            "cc_exclusions": len(self.exclusions),
            "invalid": len(self.invalid),
        }


def read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise RuleFileError(f"文件 {path.name} 不是 UTF-8 编码的规则表：{exc}") from exc


def _code_name_lines(path: Path, pattern: re.Pattern, what: str) -> dict[str, str]:
    result: dict[str, str] = {}
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        parts = line.strip().split(None, 1)
        if len(parts) != 2 or not pattern.match(parts[0]):
            raise RuleFileError(f"{path.name} 第 {number} 行不是“{what}编码 名称”：{line.strip()[:60]}")
        if parts[0] in result:
            raise RuleFileError(f"{path.name} 第 {number} 行：{what}编码 {parts[0]} 重复")
        result[parts[0]] = parts[1].strip()
    if not result:
        raise RuleFileError(f"{path.name} 中没有任何{what}")
    return result


def _kind_of(heading: str) -> str:
    return "procedure" if ("手术" in heading or "操作" in heading) and "诊断" not in heading else "diagnosis"


def parse_rule_list_file(path: Path, owner_code: str, variant: str) -> list[ParsedList]:
    """An MDC or ADRG rule file: headings ending in ``：`` open a list, code lines fill it, other text is kept as
    the note of the next list (or becomes an empty list of its own when it names all procedures)."""
    lists: list[ParsedList] = []
    notes: list[str] = []
    current: ParsedList | None = None
    seen: set[str] = set()

    def open_list(heading: str, kind: str) -> ParsedList:
        nonlocal seen
        item = ParsedList(owner_code, variant, len(lists) + 1, heading[:255], kind, "\n".join(notes))
        notes.clear()
        seen = set()
        lists.append(item)
        return item

    for number, raw in enumerate(read_text(path).splitlines(), 1):
        line = raw.strip()
        if not line:
            continue
        match = _ENTRY.match(line)
        if match and (match.group(3) or match.group(1) or current is not None):
            if current is None:
                if not notes:
                    raise RuleFileError(f"{path.name} 第 {number} 行：编码出现在任何列表标题之前")
                # A list continued after a connective line (同时包含以下手术： … 和 … codes): the note heads it.
                current = open_list(notes.pop(), "")
            if not current.entries:
                current.kind = "diagnosis" if match.group(2)[0].isalpha() else "procedure"
            marker, code, name = (
                (match.group(1) or "").strip(),
                match.group(2),
                (match.group(3) or "").strip(),
            )
            if code not in seen:
                seen.add(code)
                current.entries.append((code, name[:255], marker))
            continue
        if line.endswith(("：", ":")):
            current = open_list(line, _kind_of(line))
        elif "全部手术" in line:
            open_list(line, "procedure")
            current = None
        else:
            notes.append(line)
            current = None
    if notes:  # trailing conditions (符合 MDCZ 主诊表，且无手术)
        heading = notes.pop()
        open_list(heading, _kind_of(heading))
    return lists


def _rule_files(folder: Path, codes: set[str], what: str) -> list[tuple[str, str, Path]]:
    if not folder.is_dir():
        raise RuleFileError(f"缺少文件夹 {folder.name}/（{what}列表）")
    found = []
    for path in sorted(folder.iterdir()):
        match = _RULE_FILE.match(path.name)
        if not match:
            continue
        code, variant = match.group(1), match.group(2) or ""
        if code not in codes:
            raise RuleFileError(f"{folder.name}/{path.name}：{what} {code} 不在目录表中")
        found.append((code, variant, path))
    missing = codes - {code for code, _, _ in found}
    if missing:
        raise RuleFileError(
            f"{folder.name}/ 缺少 {len(missing)} 个{what}的规则文件，如 {', '.join(sorted(missing)[:5])}"
        )
    return found


def _pdf_name(name: str) -> str:
    """Join a name wrapped over lines and close the gaps the PDF put between Chinese characters (急 性 髓 系)."""
    return _CJK_GAP.sub("", re.sub(r"\s*\n\s*", "", name)).strip()[:255]


def _pdf_complications(path: Path, level: str) -> list[tuple[str, str, str, str]]:
    """5_MCC.txt / 6_CC.txt: records ``CODE NAME 表 7-N`` (or ``CODE NAME 无``) in extracted PDF text."""
    kept = []
    for line in read_text(path).splitlines():
        line = _PAGE_HEADER.sub(" ", line).strip()
        if line and not _PAGE_NUMBER.match(line):
            kept.append(line)
    text = "\n".join(kept)
    result: dict[str, tuple[str, str, str, str]] = {}
    for code, name, table in _CC_RECORD.findall(text):
        name = _pdf_name(name)
        result.setdefault(code, (level, code, name[:255], table))
    if not result:
        raise RuleFileError(f"{path.name} 中没有“编码 名称 表 7-N”记录")
    return list(result.values())


def _pdf_exclusions(path: Path) -> list[tuple[str, str, str]]:
    """7_CCE.txt: ``表 7-N`` opens a table, code lines follow; a line without a code continues the last name."""
    rows: list[list[str]] = []
    table = None
    seen: set[tuple[str, str]] = set()
    for number, raw in enumerate(read_text(path).splitlines(), 1):
        line = raw.strip()
        if not line or _PAGE_NUMBER.match(line) or line.endswith(("：", ":")):
            continue
        header = _TABLE_1_1.match(line)
        if header:
            table = header.group(1)
            continue
        match = _ENTRY.match(line)
        if match and match.group(3) is not None:
            if table is None:
                raise RuleFileError(f"{path.name} 第 {number} 行：编码出现在“表 7-N”之前")
            key = (table, match.group(2))
            if key in seen:
                rows.append(["", "", ""])  # a duplicate: swallow its continuation lines too
                continue
            seen.add(key)
            rows.append([table, match.group(2), match.group(3).strip()])
        elif rows:
            rows[-1][2] += line
    result = [(t, c, _pdf_name(n)) for t, c, n in rows if t]
    if not result:
        raise RuleFileError(f"{path.name} 中没有 CC 排除表")
    return result


def _code_table_lines(path: Path) -> list[tuple[str, str]]:
    """2.0 MCC.dat / CC.dat / CCE.dat: ``CODE TABLE`` per line."""
    result: dict[tuple[str, str], None] = {}
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        # ``CODE TABLE``; a few lines carry a name glued to the code (C91.100B细胞型慢性淋巴细胞白血病 33) or a stray
        # character left of it (变H59.001 80).
        match = _CODE_TABLE.match(line.strip())
        if not match:
            raise RuleFileError(f"{path.name} 第 {number} 行不是“诊断编码 排除表号”：{line.strip()[:60]}")
        result[(match.group(1), match.group(2))] = None
    return list(result)


def _invalid_codes(path: Path, kind: str) -> list[tuple[str, str, str]]:
    result: dict[str, tuple[str, str, str]] = {}
    for number, line in enumerate(read_text(path).splitlines(), 1):
        if not line.strip():
            continue
        match = _ENTRY.match(line.strip())
        if not match:
            raise RuleFileError(f"{path.name} 第 {number} 行不是“编码 名称”：{line.strip()[:60]}")
        result.setdefault(match.group(2), (kind, match.group(2), (match.group(3) or "")[:255]))
    return list(result.values())


def content_hash(directory: Path, layout: Layout) -> str:
    digest = hashlib.sha256(layout.code.encode())
    paths = [directory / name for name in layout.required_files()]
    paths += sorted((directory / "MDC").glob("*.dat")) + sorted((directory / "ADRG").glob("*.dat"))
    for path in paths:
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def parse_catalogue(version_code: str, directory: Path) -> ParsedCatalogue:
    layout = LAYOUTS.get(version_code)
    if layout is None:
        raise RuleFileError(f"未知的 DRG 分组方案版本：{version_code}（可用：{'、'.join(LAYOUTS)}）")
    directory = Path(directory)
    if not directory.is_dir():
        raise RuleFileError(f"文件夹 {directory} 不存在")
    missing = [name for name in layout.required_files() if not (directory / name).is_file()]
    if missing:
        raise RuleFileError(f"文件夹 {directory} 不是 {layout.name} 规则表：缺少 {'、'.join(missing)}")

    mdcs = _code_name_lines(directory / layout.mdc, _MDC_CODE, "MDC")
    adrg_names = _code_name_lines(directory / layout.adrg, _ADRG_CODE, "ADRG")
    adrgs = {}
    for code, name in adrg_names.items():
        if f"MDC{code[0]}" not in mdcs:
            raise RuleFileError(f"{layout.adrg}：ADRG {code} 所属的 MDC{code[0]} 不在 {layout.mdc} 中")
        adrgs[code] = (f"MDC{code[0]}", name)
    drgs = {}
    for code, name in _code_name_lines(directory / layout.drg, _DRG_CODE, "DRG").items():
        if code[:3] not in adrgs:
            raise RuleFileError(f"{layout.drg}：DRG {code} 所属的 ADRG {code[:3]} 不在 {layout.adrg} 中")
        drgs[code] = (code[:3], name, code[3])

    rule_lists: list[ParsedList] = []
    for code, variant, path in _rule_files(directory / "MDC", set(mdcs), "MDC"):
        rule_lists += parse_rule_list_file(path, code, variant)
    for code, variant, path in _rule_files(directory / "ADRG", set(adrgs), "ADRG"):
        rule_lists += parse_rule_list_file(path, code, variant)

    if layout.pdf_tables:
        complications = _pdf_complications(directory / layout.mcc, "MCC")
        complications += _pdf_complications(directory / layout.cc, "CC")
        exclusions = _pdf_exclusions(directory / layout.cce)
    else:
        complications = [("MCC", c, "", t) for c, t in _code_table_lines(directory / layout.mcc)]
        complications += [("CC", c, "", t) for c, t in _code_table_lines(directory / layout.cc)]
        exclusions = [(t, c, "") for c, t in _code_table_lines(directory / layout.cce)]
    # One row per (level, code): a code listed twice keeps its first table.
    unique: dict[tuple[str, str], tuple[str, str, str, str]] = {}
    for row in complications:
        unique.setdefault((row[0], row[1]), row)
    complications = list(unique.values())

    invalid: list[tuple[str, str, str]] = []
    if layout.invalid_diagnoses:
        invalid += _invalid_codes(directory / layout.invalid_diagnoses, "diagnosis")
    if layout.invalid_procedures:
        invalid += _invalid_codes(directory / layout.invalid_procedures, "procedure")

    return ParsedCatalogue(
        layout,
        mdcs,
        adrgs,
        drgs,
        rule_lists,
        complications,
        exclusions,
        invalid,
        content_hash(directory, layout),
    )
