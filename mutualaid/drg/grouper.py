"""The CHS-DRG grouper (病种认定): a stay's diagnoses and procedures → MDC → ADRG → DRG, with the reasons.

A ``Grouper`` is built once per catalogue version from the imported rule tables (``build_grouper`` reads them in
a handful of queries; ``Grouper(...)`` itself is pure) into plain dicts and frozensets keyed by ICD code, and is
cached per version by ``get_grouper``, which rebuilds it when the version (or the ICD list) was re-imported.
Grouping a stay touches no database and creates no objects beyond its result.

The logic follows the tables as printed:

1. Every code must be an ICD-10 / ICD-9-CM-3 医保版 code or appear in the version's tables (``unknown_code``);
   a grey code (灰码) cannot be the principal diagnosis (``grey_principal_diagnosis``), nor (2.0) a code of
   ``ZD_INVALID`` (``invalid_principal_diagnosis``).
2. MDCs are tried in the CHS-DRG order: the pre-MDC MDCA (transplants, ventilation ≥ 96 h, ECMO: by procedure),
   then the special MDCs MDCP (newborns: principal diagnosis in its list and under one year old), MDCY (HIV) and
   MDCZ (multiple major trauma: principal diagnosis in its list and diagnoses in at least two of its body
   regions), then MDCM (men) and MDCN (women), then the others, each entered when the principal diagnosis is in
   its list. An MDC whose ADRGs all fail is left for the next one.
3. Within an MDC the ADRGs are tried in code order: surgical ones (second letter A–J) by procedure, then
   non-surgical procedures (K–Q), then medical ones (R–Z) by principal diagnosis. An ADRG's lists are combined as
   their headings say (主要诊断 = the principal diagnosis, 其他诊断 = a secondary one, 主要手术或操作 = the first
   procedure, 手术或操作 / 手术表 / 和 = any procedure, 全部手术 = a procedure of any surgical ADRG, 无手术 =
   none), AND-ed, unless a note spells out alternatives (入组条件 1：… 或入组条件 2：…). MDCP ADRGs other than
   PV1 require a newborn (under 29 days); PS1–PS4 are split by birth weight as their names say.
4. The last digit: MCC and CC secondary diagnoses count unless the principal diagnosis is in their CC-exclusion
   table; 1 with an MCC, 3 with an MCC or CC (when the ADRG has a 3), 5 otherwise, 9 when not split.
"""

from __future__ import annotations

import re
import threading
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import connection

from mutualaid.drg.catalogue import UnknownCatalogueVersion
from mutualaid.drg.error_codes import DrgGroupErrorCode as Code
from mutualaid.drg.models import (
    Adrg,
    CatalogueVersion,
    CcExclusion,
    Complication,
    Drg,
    IcdCode,
    IcdImport,
    InvalidCode,
    Mdc,
    RuleList,
    RuleListEntry,
)

UNGROUPED = "0000"
OK = "ok"

# Atom kinds: which codes of the stay a list is matched against.
PDX, ANYDX, SDX, PPROC, ANYPROC, NOPROC = range(6)
_KIND_TEXT = {
    PDX: "主要诊断",
    ANYDX: "诊断",
    SDX: "其他诊断",
    PPROC: "主要手术或操作",
    ANYPROC: "手术或操作",
}
_SPLIT_TEXT = {
    "1": "伴严重并发症或合并症（MCC）",
    "3": "伴一般并发症或合并症（CC）",
    "5": "不伴并发症或合并症",
    "9": "未细分",
}
_SEX_TEXT = {1: "男", 2: "女"}
# The CHS-DRG order: pre-MDC, the special MDCs, the sex-specific ones, then the rest by code.
_FIRST_MDCS = ("MDCA", "MDCP", "MDCY", "MDCZ", "MDCM", "MDCN")
_SURGICAL = frozenset("ABCDEFGHIJ")
_OPERATIVE = frozenset("ABCDEFGHIJKLMNOPQ")
_ADRG_REF = re.compile(r"[A-Z]{2}\d")
_SPACE = re.compile(r"\s+")
_CONDITION = re.compile(r"^入组条件\d*[：:]")
_WEIGHT_BELOW = re.compile(r"出生体重[＜<](\d+)g")
_WEIGHT_RANGE = re.compile(r"出生体重(\d+)[-－~～](\d+)g")
_WEIGHT_ABOVE = re.compile(r"出生体重[＞>](\d+)g")
NEWBORN_DAYS = 28  # 新生儿：出生年龄 < 29 天


class GroupResult(NamedTuple):
    """A grouped stay (``status`` ``ok``) or a refused one (``status`` a ``DrgGroupErrorCode`` value, ``drg``
    ``0000``). ``reasons`` are sentences for a reviewer; ``field`` names the input at fault
    (``diagnoses.2``) and ``message`` says why, for refusals."""

    status: str
    mdc: str
    mdc_name: str
    adrg: str
    adrg_name: str
    drg: str
    drg_name: str
    reasons: tuple[str, ...]
    field: str | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status == OK

    @property
    def split(self) -> str:
        return self.drg[3:] if self.ok else ""


Atom = tuple[int, frozenset, str]  # (kind, codes, the list's label as printed)
Clause = tuple[Atom, ...]  # alternatives (usually one)
Term = tuple[Clause, ...]  # all must hold


@dataclass(frozen=True)
class RuleListRow:
    owner_code: str
    variant: str
    position: int
    heading: str
    kind: str
    note: str
    codes: tuple[str, ...]


@dataclass
class CatalogueRows:
    """Everything a grouper is built from, as plain data (what ``load_rows`` reads from the database)."""

    version_code: str
    version_name: str
    mdcs: dict[str, str]  # code → name
    adrgs: dict[str, tuple[str, str]]  # code → (mdc code, name)
    drgs: dict[str, tuple[str, str]]  # code → (adrg code, name)
    rule_lists: list[RuleListRow]
    complications: list[tuple[str, str, str]]  # (MCC|CC, code, exclusion table)
    exclusions: list[tuple[str, str]]  # (table, principal diagnosis)
    invalid: list[tuple[str, str]]  # (diagnosis|procedure, code)
    icd: list[tuple[str, str, str, bool]] = field(default_factory=list)  # (kind, code, name, grey)
    names: dict[str, str] = field(default_factory=dict)  # code → name from the rule lists


class RuleError(ValueError):
    """The tables say something the grouper cannot read (raised while building, never while grouping)."""


@dataclass(frozen=True)
class AdrgRule:
    code: str
    name: str
    mdc: str
    order: int
    terms: tuple[Term, ...]
    newborn: bool
    weight: tuple[int, int] | None
    splits: str  # the last digits of its DRGs, e.g. "135" or "9"
    drgs: dict[str, tuple[str, str]]  # split digit → (code, name)


@dataclass(frozen=True)
class MdcRule:
    code: str
    name: str
    sex: int | None
    infant: bool  # MDCP: under one year old
    regions: dict[str, frozenset[str]]  # MDCZ: code → body regions
    any_diagnosis: frozenset[str]  # entered when any diagnosis is in this list (2.0 MDCY)
    by_pdx: dict[str, tuple[int, ...]]  # principal diagnosis → candidate ADRG orders
    by_pproc: dict[str, tuple[int, ...]]  # principal procedure → candidate ADRG orders
    by_proc: dict[str, tuple[int, ...]]  # any procedure → candidate ADRG orders
    by_dx: dict[str, tuple[int, ...]]  # any diagnosis → candidate ADRG orders
    free: tuple[int, ...]  # ADRGs tried for every stay of the MDC


def _label(heading: str) -> str:
    text = _SPACE.sub("", heading).rstrip("：:")
    for prefix in ("或包含以下", "同时包含以下", "包含以下"):
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _split_labels(text: str, labels: Sequence[str]) -> list[str] | None:
    """``其他诊断或手术或操作1`` → [其他诊断, 手术或操作1]: known labels joined by 或 (labels may contain 或)."""
    if not text:
        return []
    for label in labels:
        if text.startswith(label):
            rest = text[len(label) :]
            if not rest:
                return [label]
            if rest.startswith("或"):
                tail = _split_labels(rest[1:], labels)
                if tail is not None:
                    return [label, *tail]
    return None


class Grouper:
    """A catalogue version's grouping rules in memory. ``group()`` is pure and thread-safe."""

    def __init__(self, rows: CatalogueRows):
        self.version_code = rows.version_code
        self.version_name = rows.version_name
        self.mdc_names = dict(rows.mdcs)
        self.problems: list[str] = []

        names: dict[str, str] = dict(rows.names)
        known_dx: set[str] = set()
        known_proc: set[str] = set()
        grey: set[str] = set()
        for kind, code, name, is_grey in rows.icd:
            (known_dx if kind == "diagnosis" else known_proc).add(code)
            if name:
                names[code] = name
            if is_grey and kind == "diagnosis":
                grey.add(code)
        self.names = names
        self.grey_diagnoses = frozenset(grey)
        self.invalid_principal = frozenset(c for k, c in rows.invalid if k == "diagnosis")

        by_owner: dict[str, list[RuleListRow]] = defaultdict(list)
        for row in rows.rule_lists:
            if row.kind == "diagnosis":
                known_dx.update(row.codes)
            else:
                known_proc.update(row.codes)
            if not row.variant:  # alternative files (2.0 AH2_1 …) repeat the main file's conditions
                by_owner[row.owner_code].append(row)
        for rows_of in by_owner.values():
            rows_of.sort(key=lambda r: r.position)

        surgery: set[str] = set()
        operations: set[str] = set()
        self._procedures_of: dict[str, set[str]] = defaultdict(set)
        for adrg, lists in by_owner.items():
            if adrg in rows.adrgs:
                for row in lists:
                    if row.kind == "procedure":
                        operations.update(row.codes)
                        self._procedures_of[adrg].update(row.codes)
                        if adrg[1] in _SURGICAL:
                            surgery.update(row.codes)
        self.surgery = frozenset(surgery)
        self.operations = frozenset(operations)

        self.mcc: dict[str, str] = {}
        self.cc: dict[str, str] = {}
        for level, code, table in rows.complications:
            (self.mcc if level == "MCC" else self.cc).setdefault(code, table)
            known_dx.add(code)
        # One look-up per secondary diagnosis: its level (MCC over CC) and exclusion table.
        self.complications = {code: ("CC", table) for code, table in self.cc.items()}
        self.complications.update((code, ("MCC", table)) for code, table in self.mcc.items())
        exclusions: dict[str, set[str]] = defaultdict(set)
        for table, code in rows.exclusions:
            exclusions[code].add(table)
        self.exclusions = {code: frozenset(tables) for code, tables in exclusions.items()}
        known_dx.update(code for kind, code in rows.invalid if kind == "diagnosis")
        known_proc.update(code for kind, code in rows.invalid if kind == "procedure")
        self.known_dx = frozenset(known_dx)
        self.known_proc = frozenset(known_proc)

        # ADRGs in code order, their DRGs by last digit.
        drgs_of: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
        for code, (adrg, name) in rows.drgs.items():
            drgs_of[adrg][code[3:]] = (code, name)
        self.adrgs: list[AdrgRule] = []
        for order, code in enumerate(sorted(rows.adrgs)):
            mdc, name = rows.adrgs[code]
            self.adrgs.append(
                self._compile_adrg(order, code, mdc, name, by_owner.get(code, []), drgs_of[code])
            )

        mdc_order = [c for c in _FIRST_MDCS if c in rows.mdcs] + sorted(
            c for c in rows.mdcs if c not in _FIRST_MDCS
        )
        self.mdcs: list[MdcRule] = []
        by_pdx: dict[str, list[int]] = defaultdict(list)
        for position, code in enumerate(mdc_order):
            rule = self._compile_mdc(code, rows.mdcs[code], by_owner.get(code, []))
            self.mdcs.append(rule)
            for row in by_owner.get(code, []):
                if row.kind == "diagnosis" and not (rule.any_diagnosis and not rule.regions):
                    for dx in row.codes:
                        if not by_pdx[dx] or by_pdx[dx][-1] != position:
                            by_pdx[dx].append(position)
        self.pre_mdcs = tuple(i for i, m in enumerate(self.mdcs) if not by_owner.get(m.code))
        self.any_dx_mdcs = tuple(i for i, m in enumerate(self.mdcs) if m.any_diagnosis and not m.regions)
        self.mdcs_by_pdx = {dx: tuple(positions) for dx, positions in by_pdx.items()}

    # --- building ------------------------------------------------------------------------------------------

    def _atoms(self, lists: list[RuleListRow]) -> tuple[list[list[Atom]], dict[str, Atom]]:
        clauses: list[list[Atom]] = []
        labels: dict[str, Atom] = {}
        for row in lists:
            heading = _SPACE.sub("", row.heading)
            codes = frozenset(row.codes)
            if "无手术" in heading:
                kind, codes = NOPROC, (self.operations if "或操作" in heading else self.surgery)
            elif "全部手术" in heading:
                kind, codes = PPROC, (self.operations if "或操作" in heading else self.surgery)
            elif "所有" in heading and _ADRG_REF.search(heading):
                refs = set(_ADRG_REF.findall(heading))
                union = {c for ref in refs for c in self._procedures_of.get(ref, ())}
                kind, codes = PPROC, frozenset(union)
            elif row.kind == "procedure":
                kind = PPROC if "主要手术" in heading else ANYPROC
            elif "主要诊断或其他诊断" in heading or ("主要诊断" not in heading and "其他诊断" not in heading):
                kind = ANYDX
            elif "主要诊断" in heading:
                kind = PDX
            else:
                kind = SDX
            atom = (kind, codes, _label(row.heading))
            labels[atom[2]] = atom
            if heading.startswith("或") and clauses:
                clauses[-1].append(atom)
            else:
                clauses.append([atom])
        return clauses, labels

    def _compile_adrg(self, order, code, mdc, name, lists, drgs) -> AdrgRule:
        clauses, labels = self._atoms(lists)
        expressions = [row.note for row in lists if "+" in row.note]
        if expressions:
            terms = self._parse_expression(code, expressions[0], labels)
        else:
            terms = (tuple(tuple(c) for c in clauses),) if clauses else ()
        if not terms:
            self.problems.append(f"ADRG {code} 没有入组条件")
        compact = _SPACE.sub("", name)
        newborn = code[0] == "P" and "29天≤" not in compact
        weight = None
        if match := _WEIGHT_BELOW.search(compact):
            weight = (0, int(match.group(1)) - 1)
        elif match := _WEIGHT_RANGE.search(compact):
            weight = (int(match.group(1)), int(match.group(2)))
        elif match := _WEIGHT_ABOVE.search(compact):
            weight = (int(match.group(1)) + 1, 10**9)
        splits = "".join(sorted(drgs))
        return AdrgRule(code, name, mdc, order, terms, newborn, weight, splits, drgs)

    def _parse_expression(self, code: str, note: str, labels: dict[str, Atom]) -> tuple[Term, ...]:
        known = sorted(labels, key=len, reverse=True)
        terms = []
        for part in re.split(r"\n\s*或|或(?=\s*入组条件)", note):
            text = _CONDITION.sub("", _SPACE.sub("", part))
            clauses = []
            for token in text.split("+"):
                token = token.strip("（）()")
                token = _label(token)
                names = [token] if token in labels else _split_labels(token, known)
                if not names:
                    self.problems.append(f"ADRG {code} 的入组条件“{part.strip()}”中“{token}”不是其列表")
                    break
                clauses.append(tuple(labels[n] for n in names))
            else:
                terms.append(tuple(clauses))
        return tuple(terms)

    def _compile_mdc(self, code: str, name: str, lists: list[RuleListRow]) -> MdcRule:
        sex = 1 if "男性" in name else 2 if "女性" in name else None
        regions: dict[str, set[str]] = defaultdict(set)
        any_diagnosis: set[str] = set()
        multiple_regions = len([r for r in lists if r.note and "+" not in r.note]) >= 2
        for row in lists:
            heading = _SPACE.sub("", row.heading)
            if multiple_regions:
                for dx in row.codes:
                    regions[dx].add(row.note.strip())
            elif "主要诊断" not in heading and row.kind == "diagnosis":
                any_diagnosis.update(row.codes)
        # Each entry condition is indexed by one list it cannot do without, so that a stay only tries the
        # ADRGs one of its codes points to (and the few whose conditions have no such list).
        indexes: dict[int, dict[str, list[int]]] = {
            k: defaultdict(list) for k in (PDX, PPROC, ANYPROC, ANYDX)
        }
        free: list[int] = []
        for adrg in self.adrgs:
            if adrg.mdc != code:
                continue
            for term in adrg.terms:
                single = [clause[0] for clause in term if len(clause) == 1]
                key = None
                for wanted in (PDX, PPROC, ANYPROC, ANYDX, SDX):
                    key = next((a for a in single if a[0] == wanted), None)
                    if key is not None:
                        break
                if key is None:
                    if not free or free[-1] != adrg.order:
                        free.append(adrg.order)
                    continue
                index = indexes[ANYDX if key[0] == SDX else key[0]]
                for c in key[1]:
                    if not index[c] or index[c][-1] != adrg.order:
                        index[c].append(adrg.order)
        frozen = {k: {c: tuple(v) for c, v in index.items()} for k, index in indexes.items()}
        return MdcRule(
            code,
            name,
            sex,
            "新生儿" in name,
            {dx: frozenset(r) for dx, r in regions.items()},
            frozenset(any_diagnosis),
            frozen[PDX],
            frozen[PPROC],
            frozen[ANYPROC],
            frozen[ANYDX],
            tuple(free),
        )

    # --- grouping ------------------------------------------------------------------------------------------

    def _name(self, code: str) -> str:
        name = self.names.get(code)
        return f"{code} {name}" if name else code

    def _refuse(self, status: Code, reasons: list[str], field_name: str | None, message: str) -> GroupResult:
        reasons.append(message)
        return GroupResult(status.value, "", "", "", "", UNGROUPED, "", tuple(reasons), field_name, message)

    def _code(self, code: str, known: frozenset) -> str:
        code = code.strip()
        if code in known or not code:
            return code
        fixed = code[:1].upper() + code[1:].replace("X", "x")
        return fixed if fixed in known else code

    def group(
        self,
        *,
        sex: int | None = None,
        age: int | None = None,
        age_days: int | None = None,
        weight: int | None = None,
        diagnoses: Sequence[str] = (),
        procedures: Sequence[str] = (),
        los: int | None = None,
        leaving_type: str | None = None,
    ) -> GroupResult:
        """Group one stay. ``sex`` 1 male / 2 female; ``age`` in years, ``age_days`` for infants, ``weight``
        (birth weight) in grams; the first diagnosis is the principal one, the first procedure the principal
        one. ``los`` and ``leaving_type`` are accepted for the record; no rule of the tables uses them."""
        reasons: list[str] = []
        known_dx = self.known_dx
        known_proc = self.known_proc
        dxs = [c if c in known_dx else self._code(c, known_dx) for c in diagnoses]
        if "" in dxs:
            dxs = [c for c in dxs if c]
        procs = [c if c in known_proc else self._code(c, known_proc) for c in procedures]
        if "" in procs:
            procs = [c for c in procs if c]
        if not dxs:
            return self._refuse(Code.REQUIRED, reasons, "diagnoses", "没有主要诊断，无法分组")
        for i, dx in enumerate(dxs if not known_dx.issuperset(dxs) else ()):
            if dx not in known_dx:
                what = "主要诊断" if i == 0 else "其他诊断"
                return self._refuse(
                    Code.UNKNOWN_CODE,
                    reasons,
                    f"diagnoses.{i}",
                    f"{what}编码 {dx} 不是 ICD-10 医保版 2.0 编码，也不在 {self.version_name} 的分组表中",
                )
        for i, proc in enumerate(procs if not known_proc.issuperset(procs) else ()):
            if proc not in known_proc:
                return self._refuse(
                    Code.UNKNOWN_CODE,
                    reasons,
                    f"procedures.{i}",
                    f"手术操作编码 {proc} 不是 ICD-9-CM-3 医保版 2.0 编码，也不在 {self.version_name} 的分组表中",
                )
        pdx = dxs[0]
        if pdx in self.grey_diagnoses:
            return self._refuse(
                Code.GREY_PRINCIPAL_DIAGNOSIS,
                reasons,
                "diagnoses.0",
                f"主要诊断 {self._name(pdx)} 是灰码（医保版不可用于分组的编码），请改用更具体的编码",
            )
        if pdx in self.invalid_principal:
            return self._refuse(
                Code.INVALID_PRINCIPAL_DIAGNOSIS,
                reasons,
                "diagnoses.0",
                f"主要诊断 {self._name(pdx)} 在 {self.version_name} 中不能作为主要诊断入组",
            )
        secondaries = dxs[1:]
        pproc = procs[0] if procs else None
        infant = age == 0 if age is not None else (age_days is not None and age_days < 365)

        pdx_mdcs = self.mdcs_by_pdx.get(pdx, ())
        candidates = list(self.pre_mdcs)
        candidates += pdx_mdcs
        for position in self.any_dx_mdcs:
            codes = self.mdcs[position].any_diagnosis
            if pdx in codes or any(d in codes for d in secondaries):
                candidates.append(position)
        if len(candidates) > 1:
            candidates.sort()
        sex_conflict = age_conflict = False
        entered: list[str] = []
        for position in candidates:
            mdc = self.mdcs[position]
            entry = self._enter(mdc, position in pdx_mdcs, pdx, dxs, sex, infant, reasons)
            if entry is None:
                if mdc.sex is not None:
                    sex_conflict = True
                elif mdc.infant:
                    age_conflict = True
                continue
            result = self._group_in_mdc(
                mdc, entry, pdx, secondaries, dxs, pproc, procs, age_days, weight, reasons
            )
            if result is not None:
                return result
            if entry:
                entered.append(mdc.code)
        if entered:
            detail = f"进入 {'、'.join(entered)} 后没有符合入组条件的 ADRG"
        elif pdx_mdcs:
            detail = "不满足主要诊断所在 MDC 的入组条件"
        else:
            detail = f"主要诊断 {self._name(pdx)} 不在任何 MDC 的主诊表中"
        if sex_conflict and not entered:
            return self._refuse(
                Code.SEX_CONFLICT,
                reasons,
                "sex",
                f"主要诊断 {self._name(pdx)} 只用于{'、'.join(self._sexes(pdx))}性患者，"
                f"与性别（{_SEX_TEXT.get(sex or 0, '未填')}）不符",
            )
        if age_conflict and not entered:
            shown = f"{age} 岁" if age is not None else f"{age_days} 天" if age_days is not None else "未填"
            return self._refuse(
                Code.AGE_CONFLICT,
                reasons,
                "age",
                f"主要诊断 {self._name(pdx)} 只用于新生儿及 1 岁以下婴儿，与年龄（{shown}）不符",
            )
        return self._refuse(Code.UNGROUPABLE, reasons, None, f"无法入组（{UNGROUPED}）：{detail}")

    def _sexes(self, pdx: str) -> list[str]:
        return sorted(
            {_SEX_TEXT[self.mdcs[p].sex or 0] for p in self.mdcs_by_pdx.get(pdx, ()) if self.mdcs[p].sex},
            reverse=True,
        )

    def _enter(self, mdc: MdcRule, by_principal: bool, pdx, dxs, sex, infant, reasons) -> str | None:
        """Whether the stay enters ``mdc``: None if not, else the reason ("" for the pre-MDC, which every stay
        tries by its ADRGs' procedures)."""
        label = f"{mdc.code} {mdc.name}"
        if mdc.regions:
            hit: set[str] = set()
            codes = 0
            for dx in dxs:
                regions = mdc.regions.get(dx)
                if regions:
                    hit |= regions
                    codes += 1
            if codes < 2 or len(hit) < 2:
                reasons.append(
                    f"主要诊断 {self._name(pdx)} 在 {label} 的创伤表中，但创伤诊断未涉及两个以上部位，"
                    f"不进入 {mdc.code}"
                )
                return None
            return (
                f"进入 {label}：主要诊断 {self._name(pdx)} 为严重创伤，"
                f"诊断涉及 {len(hit)} 个部位（{'、'.join(sorted(hit))}）"
            )
        if mdc.any_diagnosis:
            found = pdx if pdx in mdc.any_diagnosis else next(d for d in dxs if d in mdc.any_diagnosis)
            return f"进入 {label}：诊断 {self._name(found)} 在其诊断表中"
        if not by_principal:
            return ""
        if mdc.sex is not None and sex != mdc.sex:
            reasons.append(
                f"主要诊断 {self._name(pdx)} 在 {label} 的主诊表中，"
                f"但性别{_SEX_TEXT.get(sex or 0, '未填')}，不进入 {mdc.code}"
            )
            return None
        if mdc.infant and not infant:
            reasons.append(
                f"主要诊断 {self._name(pdx)} 在 {label} 的主诊表中，但不是 1 岁以下婴儿，不进入 {mdc.code}"
            )
            return None
        extra = f"，性别{_SEX_TEXT[mdc.sex]}" if mdc.sex else "，1 岁以下" if mdc.infant else ""
        return f"进入 {label}：主要诊断 {self._name(pdx)} 在其主诊表中{extra}"

    def _group_in_mdc(
        self,
        mdc: MdcRule,
        entry: str,
        pdx: str,
        secondaries: list[str],
        dxs: list[str],
        pproc: str | None,
        procs: list[str],
        age_days: int | None,
        weight: int | None,
        reasons: list[str],
    ) -> GroupResult | None:
        found: list[int] = []
        hit = mdc.by_pdx.get(pdx)
        if hit:
            found += hit
        if pproc is not None:
            hit = mdc.by_pproc.get(pproc)
            if hit:
                found += hit
        if mdc.by_proc:
            for proc in procs:
                hit = mdc.by_proc.get(proc)
                if hit:
                    found += hit
        if mdc.by_dx:
            for dx in dxs:
                hit = mdc.by_dx.get(dx)
                if hit:
                    found += hit
        if mdc.free:
            found += mdc.free
        if not found:
            if entry:
                reasons.append(f"{entry}；但没有符合入组条件的 ADRG")
            return None
        if len(found) > 1:
            found = sorted(set(found))
        newborn = age_days is not None and age_days <= NEWBORN_DAYS
        for order in found:
            adrg = self.adrgs[order]
            if adrg.newborn and not newborn:
                continue
            if adrg.weight is not None and (weight is None or not adrg.weight[0] <= weight <= adrg.weight[1]):
                continue
            hits = self._match(adrg, pdx, secondaries, dxs, pproc, procs)
            if hits is None:
                continue
            reasons.append(entry or f"进入 {mdc.code} {mdc.name}（先期分组，不看主要诊断）")
            reasons.append(self._adrg_reason(adrg, hits, age_days, weight))
            return self._split(mdc, adrg, pdx, secondaries, reasons)
        if entry:
            reasons.append(f"{entry}；但没有符合入组条件的 ADRG")
        return None

    @staticmethod
    def _hit(atom: Atom, pdx, secondaries, dxs, pproc, procs) -> str | None:
        kind, codes, _ = atom
        if kind == PDX:
            return pdx if pdx in codes else None
        if kind == PPROC:
            return pproc if pproc is not None and pproc in codes else None
        if kind == ANYPROC:
            for p in procs:
                if p in codes:
                    return p
            return None
        if kind == SDX:
            for d in secondaries:
                if d in codes:
                    return d
            return None
        if kind == ANYDX:
            for d in dxs:
                if d in codes:
                    return d
            return None
        for p in procs:  # NOPROC
            if p in codes:
                return None
        return ""

    def _match(self, adrg: AdrgRule, pdx, secondaries, dxs, pproc, procs) -> list | None:
        hit = self._hit
        for term in adrg.terms:
            hits = []
            for clause in term:
                for atom in clause:
                    code = hit(atom, pdx, secondaries, dxs, pproc, procs)
                    if code is not None:
                        hits.append((atom, code))
                        break
                else:
                    break
            else:
                return hits
        return None

    def _adrg_reason(self, adrg: AdrgRule, hits, age_days, weight) -> str:
        parts = []
        for (kind, _, label), code in hits:
            if kind == NOPROC:
                parts.append(f"无{'手术' if label.endswith('无手术') else '手术或操作'}（{label}）")
            elif label in ("全部手术", "包含全部手术") or "全部手术" in label:
                parts.append(f"主要手术或操作 {self._name(code)} 属于手术（{label}）")
            else:
                parts.append(f"{_KIND_TEXT[kind]} {self._name(code)} 在其“{label}”表中")
        if adrg.newborn:
            parts.append(f"出生 {age_days} 天（新生儿）")
        if adrg.weight is not None:
            parts.append(f"出生体重 {weight} 克")
        return f"入组 ADRG {adrg.code} {adrg.name}：{'，'.join(parts)}"

    def _split(self, mdc: MdcRule, adrg: AdrgRule, pdx, secondaries, reasons) -> GroupResult:
        splits = adrg.splits
        digit = "9"
        if splits != "9" and splits:
            tables = self.exclusions.get(pdx, frozenset())
            has_mcc = has_cc = False
            complications = self.complications
            for dx in secondaries:
                found = complications.get(dx)
                if found is None:
                    continue
                level, table = found
                if table and table in tables:
                    reasons.append(
                        f"其他诊断 {self._name(dx)} 为 {level}，但主要诊断 {pdx} 在其排除表（表 {table}）中，不计入"
                    )
                    continue
                reasons.append(f"其他诊断 {self._name(dx)} 为 {level}，计入")
                if level == "MCC":
                    has_mcc = True
                else:
                    has_cc = True
            if "1" in splits and has_mcc:
                digit = "1"
            elif "3" in splits and (has_mcc or has_cc):
                digit = "3"
            elif "5" in splits:
                digit = "5"
            else:
                digit = splits[-1]
        code, name = adrg.drgs.get(digit) or (adrg.code + digit, adrg.name)
        reasons.append(f"DRG {code} {name}（末位 {digit}：{_SPLIT_TEXT.get(digit, '')}）")
        return GroupResult(OK, mdc.code, mdc.name, adrg.code, adrg.name, code, name, tuple(reasons))


_LIMITS = {
    "age": ("年龄", 150),
    "age_days": ("年龄（天）", 150 * 366),
    "weight": ("出生体重", 10000),
    "los": ("住院天数", 36500),
}


def check_stay(stay: dict) -> None:
    """Refuse impossible values before grouping: ``ValidationError`` keyed by the stay's field names."""
    errors = {}
    sex = stay.get("sex")
    if sex not in (None, 1, 2):
        errors["sex"] = ValidationError(f"性别 {sex} 应为 1（男）或 2（女）", code=Code.INVALID_VALUE.value)
    for name, (label, top) in _LIMITS.items():
        value = stay.get(name)
        if value is not None and not 0 <= value <= top:
            errors[name] = ValidationError(
                f"{label} {value} 不在 0–{top} 之间", code=Code.INVALID_VALUE.value
            )
    if errors:
        raise ValidationError(errors)


# --- loading from the database and caching per version ------------------------------------------------------


def _rows(sql: str, params: Sequence = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def load_rows(version_code: str) -> CatalogueRows:
    """Read one catalogue version's tables (and the ICD lists) in a few set-based queries."""
    version = CatalogueVersion.objects.filter(code=version_code).values_list("id", "name").first()
    if version is None:
        raise UnknownCatalogueVersion(version_code)
    vid, name = version
    t = {m: m._meta.db_table for m in (Adrg, CcExclusion, Complication, Drg, IcdCode, InvalidCode, Mdc)}
    mdcs = dict(_rows(f'SELECT code, name FROM "{t[Mdc]}" WHERE version_id = %s', [vid]))
    adrgs = {
        code: (mdc, adrg_name)
        for code, mdc, adrg_name in _rows(
            f'SELECT a.code, m.code, a.name FROM "{t[Adrg]}" a JOIN "{t[Mdc]}" m ON m.id = a.mdc_id '
            "WHERE a.version_id = %s",
            [vid],
        )
    }
    drgs = {
        code: (adrg, drg_name)
        for code, adrg, drg_name in _rows(
            f'SELECT d.code, a.code, d.name FROM "{t[Drg]}" d JOIN "{t[Adrg]}" a ON a.id = d.adrg_id '
            "WHERE d.version_id = %s",
            [vid],
        )
    }
    entries: dict[int, list[str]] = defaultdict(list)
    names: dict[str, str] = {}
    for list_id, code, entry_name in _rows(
        f'SELECT rule_list_id, icd_code, icd_name FROM "{RuleListEntry._meta.db_table}" WHERE version_id = %s '
        "ORDER BY id",
        [vid],
    ):
        entries[list_id].append(code)
        if entry_name:
            names.setdefault(code, entry_name)
    rule_lists = [
        RuleListRow(owner, variant, position, heading, kind, note, tuple(entries.get(list_id, ())))
        for list_id, owner, variant, position, heading, kind, note in _rows(
            f'SELECT id, owner_code, variant, position, heading, kind, note FROM "{RuleList._meta.db_table}" '
            "WHERE version_id = %s ORDER BY owner_code, variant, position",
            [vid],
        )
    ]
    complications = _rows(
        f'SELECT level, icd_code, exclusion_table FROM "{t[Complication]}" WHERE version_id = %s', [vid]
    )
    exclusions = _rows(f'SELECT "table", icd_code FROM "{t[CcExclusion]}" WHERE version_id = %s', [vid])
    invalid = _rows(f'SELECT kind, icd_code FROM "{t[InvalidCode]}" WHERE version_id = %s', [vid])
    icd = _rows(f'SELECT kind, code, name, grey FROM "{t[IcdCode]}"')
    return CatalogueRows(
        version_code, name, mdcs, adrgs, drgs, rule_lists, complications, exclusions, invalid, icd, names
    )


def build_grouper(version_code: str) -> Grouper:
    return Grouper(load_rows(version_code))


_cache: dict[str, tuple[tuple, Grouper]] = {}
_lock = threading.Lock()


def _stamp(version_code: str) -> tuple:
    """What a cached grouper was built from: the version's and the ICD lists' import stamps (two queries)."""
    row = (
        CatalogueVersion.objects.filter(code=version_code).values_list("content_hash", "imported_at").first()
    )
    if row is None:
        raise UnknownCatalogueVersion(version_code)
    return (*row, *IcdImport.objects.order_by("edition").values_list("content_hash", "imported_at"))


def get_grouper(version_code: str) -> Grouper:
    """The cached grouper of ``version_code``, rebuilt when the version or the ICD lists were re-imported
    (also by another process: the stamps are compared on every call, one small query). Raises
    ``UnknownCatalogueVersion``."""
    stamp = _stamp(version_code)
    cached = _cache.get(version_code)
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        cached = _cache.get(version_code)
        if cached is not None and cached[0] == stamp:
            return cached[1]
        grouper = build_grouper(version_code)
        _cache[version_code] = (stamp, grouper)
        return grouper


def invalidate(version_code: str | None = None) -> None:
    """Drop the cached grouper of a version (all versions: None), e.g. right after a re-import."""
    with _lock:
        if version_code is None:
            _cache.clear()
        else:
            _cache.pop(version_code, None)


def group_stay(version_code: str, **stay) -> GroupResult:
    """Group one stay with the cached grouper of ``version_code`` (see ``Grouper.group`` for the fields)."""
    return get_grouper(version_code).group(**stay)


def groupers(version_codes: Iterable[str]) -> dict[str, Grouper]:
    return {code: get_grouper(code) for code in version_codes}
