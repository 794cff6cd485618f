"""Who is covered and how often they are expected in hospital, for the one-click design (一键设计).

Paid participants by age band and sex: members enrolled in the scheme year whose household's enrolment is paid in
full (contributions not reversed cover what is due, as ``enrolment.participation`` counts them), with their age at
the start of coverage, read with one SQL query (``read_paid_participants``; policies sits below enrolment, and a
test holds the count equal to the enrolment tables).

Expected subsidised stays per DRG group per 1,000 participants a year: from
the town's own claims of past years (``observed_rates``; policies sits below claims and never imports it, so the
claims are read by SQL in ``read_observed_claims``), else a county's or firm's uploaded table
(``parse_rate_file``, csv or xlsx), else the reference tables in ``reference/`` (see its README: a published
national admission rate, an age profile and two planning assumptions).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection

from mutualaid.policies.design import DesignErrorCode, design_error

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
OTHER_GROUPS = "*"
SEXES = ("M", "F")


class RateSource:
    OBSERVED = "observed"  # the town's own claims of past years
    UPLOAD = "upload"  # a county's or firm's table
    REFERENCE = "reference"  # reference/ (national admission rate, age profile, assumptions)


# --- participants ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBand:
    age_from: int
    age_to: int

    @property
    def label(self) -> str:
        return f"{self.age_from}岁以上" if self.age_to >= 150 else f"{self.age_from}-{self.age_to}岁"

    def __contains__(self, age: int) -> bool:
        return self.age_from <= age <= self.age_to


@dataclass(frozen=True)
class Participants:
    """Paid participants by (age band, sex)."""

    scheme_year: int
    counts: dict[tuple[AgeBand, str], int]
    as_of: date | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def rows(self) -> list[tuple[str, str, int]]:
        return [(band.label, sex, n) for (band, sex), n in sorted(self.counts.items(), key=_band_order)]


def _band_order(item):
    (band, sex), _ = item
    return (band.age_from, SEXES.index(sex) if sex in SEXES else 9)


def participants_from_ages(
    scheme_year: int, ages: Iterable[tuple[str, int, int]], as_of=None
) -> Participants:
    """(sex, age, count) rows → counts by the reference table's age bands."""
    bands = [band for band, _ in reference_admissions()]
    counts: dict[tuple[AgeBand, str], int] = {}
    for sex, age, count in ages:
        band = next((b for b in bands if max(int(age), 0) in b), bands[-1])
        key = (band, sex if sex in SEXES else "F")
        counts[key] = counts.get(key, 0) + int(count)
    return Participants(scheme_year, counts, as_of)


def read_paid_participants(scheme_year: int, as_of: date) -> Participants:
    """Members enrolled in the scheme year whose enrolment is paid in full (contributions not reversed cover what
    is due), by sex and age on ``as_of`` (the start of coverage), in one query over the enrolment app's tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH paid AS (
                SELECT e.id AS enrolment_id
                  FROM enrolment_enrolment e
                  JOIN enrolment_contribution c ON c.enrolment_id = e.id
                  LEFT JOIN enrolment_contributionreversal r ON r.contribution_id = c.id
                 WHERE e.scheme_year = %s AND r.id IS NULL
                 GROUP BY e.id, e.due_fen
                HAVING SUM(c.amount_fen) >= e.due_fen
            )
            SELECT m.sex, date_part('year', age(%s::date, m.birth_date))::int, COUNT(*)
              FROM enrolment_enrolledmember em
              JOIN paid p ON p.enrolment_id = em.enrolment_id
              JOIN enrolment_member m ON m.id = em.member_id
             WHERE em.scheme_year = %s
             GROUP BY 1, 2
            """,
            [scheme_year, as_of, scheme_year],
        )
        rows = cursor.fetchall()
    return participants_from_ages(scheme_year, rows, as_of)


# --- rates ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateTable:
    """Expected subsidised stays per 1,000 participants a year, by DRG code; ``other`` for every group without a
    rate of its own (spread evenly over a city table's other groups, see reference/README.md)."""

    source: str
    rates: dict[str, float]
    other: float = 0.0
    note: str = ""

    @property
    def total(self) -> float:
        return float(sum(self.rates.values())) + self.other


@cache
def reference_admissions() -> tuple[tuple[AgeBand, dict[str, float]], ...]:
    by_band: dict[AgeBand, dict[str, float]] = {}
    with open(REFERENCE_DIR / "admission_rates_by_age_sex.csv", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            band = AgeBand(int(row["age_from"]), int(row["age_to"]))
            by_band.setdefault(band, {})[row["sex"]] = float(row["admissions_per_1000"])
    return tuple(sorted(by_band.items(), key=lambda item: item[0].age_from))


@cache
def reference_threshold_share() -> float:
    with open(REFERENCE_DIR / "subsidised_share.csv", encoding="utf-8") as handle:
        return next(float(r["value"]) for r in csv.DictReader(handle) if r["parameter"] == "threshold_share")


@cache
def reference_mix(version_code: str = "chs-drg-1.1") -> tuple[dict[str, float], dict[str, str]]:
    path = REFERENCE_DIR / f"drg_mix_{version_code}.csv"
    if not path.is_file():
        path = REFERENCE_DIR / "drg_mix_chs-drg-1.1.csv"
    shares: dict[str, float] = {}
    names: dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            shares[row["drg_code"]] = float(row["share"])
            names[row["drg_code"]] = row["drg_name"]
    return shares, names


def reference_rates(participants: Participants, version_code: str = "chs-drg-1.1") -> RateTable:
    """The reference tables applied to the town's own age and sex structure."""
    if participants.total <= 0:
        raise design_error("participants", DesignErrorCode.NO_PARTICIPANTS, "本年度没有已缴费的参加人员")
    table = dict(reference_admissions())
    admissions = (
        sum(table[band][sex] * n for (band, sex), n in participants.counts.items()) / participants.total
    )
    subsidised = admissions * reference_threshold_share()
    shares, _ = reference_mix(version_code)
    return RateTable(
        RateSource.REFERENCE,
        {code: subsidised * share for code, share in shares.items() if code != OTHER_GROUPS},
        other=subsidised * shares.get(OTHER_GROUPS, 0.0),
        note=(
            f"参考表：按本镇参加人员年龄性别结构，年住院 {admissions:.1f} 次/千人，"
            f"达到起付条件的比例 {reference_threshold_share():.0%}（假设），病组构成为参考假设"
        ),
    )


def observed_rates(counts: Mapping[str, int | float], person_years: float, *, years: str = "") -> RateTable:
    """The town's own subsidised stays of past years per DRG (passed in by the caller) over the participant-years
    they came from."""
    if person_years <= 0:
        raise design_error(
            "participants", DesignErrorCode.NO_PARTICIPANTS, "往年参加人数为零，无法计算住院率"
        )
    rates = {}
    for code, count in counts.items():
        if count is None or not np.isfinite(float(count)):
            raise design_error(f"rates.{code}", DesignErrorCode.MISSING_RATE, f"病组 {code} 缺少住院次数")
        if float(count) < 0:
            raise design_error(f"rates.{code}", DesignErrorCode.INVALID_RATE, f"病组 {code} 的住院次数为负数")
        rates[code.strip().upper()] = float(count) * 1000 / person_years
    return RateTable(RateSource.OBSERVED, rates, note=f"本镇往年理赔{years}：{person_years:,.0f} 人年")


SUBSIDISED_CLAIM_STATES = ("approved", "in_batch", "paid")


def read_observed_claims(scheme_year: int) -> RateTable | None:
    """The town's own subsidised stays of the scheme years before ``scheme_year`` per DRG, over the paid
    participants of those years; None when there are none. Read by SQL from the claims app's table when it exists
    (claims sits above policies and is not imported here)."""
    if "claims_claim" not in connection.introspection.table_names():
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT scheme_year, drg_code, COUNT(*)
              FROM claims_claim
             WHERE scheme_year < %s AND drg_code <> '' AND state = ANY(%s)
             GROUP BY 1, 2
            """,
            [scheme_year, list(SUBSIDISED_CLAIM_STATES)],
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    years = sorted({year for year, _, _ in rows})
    person_years = sum(read_paid_participants(year, date(year, 11, 1)).total for year in years)
    if person_years <= 0:
        return None
    counts: dict[str, int] = {}
    for _, code, count in rows:
        counts[code] = counts.get(code, 0) + int(count)
    label = "、".join(str(year) for year in years)
    return observed_rates(counts, person_years, years=f"（{label}互助年度）")


RATE_CODE_HEADERS = {"drg编码", "drg代码", "病组编码", "drg", "drg_code", "code"}
RATE_HEADERS = {
    "每千人住院次数",
    "每千人年住院次数",
    "住院率（每千人）",
    "住院率(每千人)",
    "rate",
    "rate_per_1000",
}


def _rate_error(
    errors: dict[str, list[ValidationError]], key: str, code: DesignErrorCode, message: str
) -> None:
    errors.setdefault(key, []).append(ValidationError(message, code=code.value))


def _table_rows(filename: str, content: bytes) -> list[list[str]]:
    name = (filename or "").lower()
    if name.endswith(".xlsx"):
        from openpyxl import load_workbook

        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
            raise design_error("file", DesignErrorCode.INVALID_FILE_TYPE, "无法读取 Excel 文件") from exc
        try:
            return [
                ["" if v is None else str(v).strip() for v in row]
                for row in workbook.worksheets[0].iter_rows(values_only=True)
            ]
        finally:
            workbook.close()
    if name.endswith(".csv") or name.endswith(".txt"):
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return list(csv.reader(io.StringIO(content.decode(encoding))))
            except UnicodeDecodeError:
                continue
    raise design_error(
        "file", DesignErrorCode.INVALID_FILE_TYPE, "只支持 UTF-8/GBK 编码的 .csv 或 .xlsx 文件"
    )


def parse_rate_file(
    filename: str, content: bytes, unknown_codes: Callable[[Iterable[str]], set[str]] | None = None
) -> RateTable:
    """A county's or firm's table: header ``DRG编码, 每千人住院次数`` (other columns ignored). Every bad row is
    reported at once (row numbers from 1 = header): missing or negative values, duplicates, and DRG codes the
    catalogue does not know (``unknown_codes``)."""
    raw = _table_rows(filename, content)
    if not raw:
        raise design_error("file", DesignErrorCode.INVALID_ROW, "文件为空")
    header = [cell.replace(" ", "").lower() for cell in raw[0]]
    code_at = next((i for i, h in enumerate(header) if h in RATE_CODE_HEADERS), None)
    rate_at = next((i for i, h in enumerate(header) if h in RATE_HEADERS), None)
    if code_at is None or rate_at is None:
        raise design_error("file", DesignErrorCode.INVALID_ROW, "表头必须包含“DRG编码”和“每千人住院次数”两列")
    errors: dict[str, list[ValidationError]] = {}
    rates: dict[str, float] = {}
    rows: dict[str, int] = {}
    for number, cells in enumerate(raw[1:], start=2):
        if not any(str(c).strip() for c in cells):
            continue
        code = (cells[code_at] if code_at < len(cells) else "").strip().upper()
        text = (cells[rate_at] if rate_at < len(cells) else "").strip()
        if not code:
            _rate_error(
                errors,
                f"file.row[{number}].drg_code",
                DesignErrorCode.INVALID_ROW,
                f"第 {number} 行：缺少 DRG 编码",
            )
            continue
        if code in rates:
            _rate_error(
                errors,
                f"file.row[{number}].drg_code",
                DesignErrorCode.INVALID_ROW,
                f"第 {number} 行：DRG 编码 {code} 重复",
            )
            continue
        try:
            value = Decimal(text)
        except InvalidOperation:
            value = None
        if not text or value is None or not value.is_finite():
            _rate_error(
                errors,
                f"file.row[{number}].rate",
                DesignErrorCode.MISSING_RATE,
                f"第 {number} 行：缺少住院率或格式不正确",
            )
            continue
        if value < 0:
            _rate_error(
                errors,
                f"file.row[{number}].rate",
                DesignErrorCode.INVALID_RATE,
                f"第 {number} 行：住院率不能为负数",
            )
            continue
        rates[code] = float(value)
        rows[code] = number
    if unknown_codes is not None and rates:
        for code in sorted(unknown_codes(rates), key=lambda c: rows.get(c, 0)):
            number = rows.get(code, 0)
            _rate_error(
                errors,
                f"file.row[{number}].drg_code",
                DesignErrorCode.UNKNOWN_DRG_CODE,
                f"第 {number} 行：DRG 编码 {code} 不在分组目录中",
            )
    if errors:
        raise ValidationError(errors)
    if not rates:
        raise design_error("file", DesignErrorCode.INVALID_ROW, "文件中没有数据行")
    return RateTable(RateSource.UPLOAD, rates, note=f"上传的住院率表：{filename}（{len(rates)} 个病组）")
