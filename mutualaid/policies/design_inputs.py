"""The inputs of the one-click design, read from the town's own data, and the design as a draft policy version.

Inputs (each kept in the design's note with where it came from):

- **the fund available for the year**: carry-over + income of the scheme year (received, and receivables due in
  it) − subsidies already booked − the service fee by the policy (a share of the year's income, or an amount per
  participant) where the policy pays it from the fund (``service_fee_from_fund``; where the town's budget pays
  the firm nothing is taken off, and the note says so) − a reserve the admin chooses (basis points of what is
  left, e.g. 1000 = 10%);
- **paid participants by age band and sex**: members enrolled in the scheme year whose household's enrolment is
  paid in full (contributions not reversed cover what is due, as ``enrolment.participation`` counts them), with
  their age at the start of coverage;
- **expected subsidised stays per DRG group per 1,000 participants a year**: from the town's own claims of past
  years when the caller passes them (``observed_rates``; policies sits below claims and never imports it), else a
  county's or firm's uploaded table (``parse_rate_file``), else the reference tables in ``reference/`` (see its
  README: a published national admission rate, an age profile and two planning assumptions);
- **the relative weights**: a city's DRG weights (``RW``) from an imported payment table, or the current table.

The policies app sits below funds and enrolment in the layer order, so the fund figures and participants are read
with two SQL queries over their tables (``read_fund_figures``, ``read_paid_participants``); tests hold them
equal to ``funds.ledger.year_summary`` and to the enrolment tables, so a change there fails a test, not the design.

``save_design_as_draft`` writes the result through the policy actions: into the scheme year's draft, or a new
amendment (a draft version) of the published policy; a published table is never changed.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path

import numpy as np
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from mutualaid.drg.models import CityDrgWeight, CityWeightTable
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.money import fen_to_yuan
from mutualaid.policies import actions
from mutualaid.policies.choices import PolicyStatus, ServiceFeeKind, UnlistedDrgRule
from mutualaid.policies.design import Design, DesignErrorCode, DesignLine, Limits, design_error, design_table
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.solvency import (
    DEFAULT_RUNS,
    DEFAULT_SEED,
    SolvencyResult,
    paid_amounts,
    policy_simulated,
    simulate,
)
from mutualaid.policies.values import SubsidyRow

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"
OTHER_GROUPS = "*"
MAX_RESERVE_BP = 10_000
SEXES = ("M", "F")


class RateSource:
    OBSERVED = "observed"  # the town's own claims of past years
    UPLOAD = "upload"  # a county's or firm's table
    REFERENCE = "reference"  # reference/ (national admission rate, age profile, assumptions)


class WeightSource:
    CITY = "city"  # a city's DRG weights from an imported payment table
    CURRENT = "current"  # the amounts of the scheme year's current table


# --- the fund --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FundFigures:
    scheme_year: int
    carried_forward_fen: int
    income_fen: int  # the year's income by the ledger, receivables due in the year included
    receivables_fen: int  # of which not received yet
    subsidies_booked_fen: int  # subsidies already booked as expenses of the year

    @property
    def received_fen(self) -> int:
        return self.income_fen - self.receivables_fen


@dataclass(frozen=True)
class FundAvailable:
    figures: FundFigures
    service_fee_fen: int  # taken off the fund: the policy's fee where the fund pays it, else 0
    reserve_bp: int
    reserve_fen: int
    fee_from_fund: bool = True  # the policy's ``service_fee_from_fund``
    policy_fee_fen: int | None = None  # the fee by the policy, whoever pays it (None: as ``service_fee_fen``)

    @property
    def pool_fen(self) -> int:
        """The money of the year for subsidies before the reserve (the pool the simulation draws on)."""
        f = self.figures
        return f.carried_forward_fen + f.income_fen - f.subsidies_booked_fen - self.service_fee_fen

    @property
    def available_fen(self) -> int:
        """The target spend of the design: the pool less the reserve."""
        return self.pool_fen - self.reserve_fen


def check_reserve(reserve_bp) -> int:
    if isinstance(reserve_bp, bool) or not isinstance(reserve_bp, int):
        raise design_error("reserve_bp", DesignErrorCode.RESERVE_OUT_OF_RANGE, "预留比例必须是整数基点")
    if not 0 <= reserve_bp < MAX_RESERVE_BP:
        raise design_error(
            "reserve_bp", DesignErrorCode.RESERVE_OUT_OF_RANGE, "预留比例必须在 0 至 100%（不含 100%）之间"
        )
    return reserve_bp


def service_fee_fen(
    kind: str, bp: int | None, per_person_fen: int | None, income_fen: int, participants: int
) -> int:
    if kind == ServiceFeeKind.PERCENT and bp:
        return income_fen * bp // 10_000
    if kind == ServiceFeeKind.PER_PERSON and per_person_fen:
        return participants * per_person_fen
    return 0


def fund_available(
    figures: FundFigures, *, service_fee_fen: int, reserve_bp: int, fee_from_fund: bool = True
) -> FundAvailable:
    """What the year can spend on subsidies: ``service_fee_fen`` (the policy's fee) is taken off only where the
    fund pays it (``fee_from_fund``); where the town's budget pays the firm the fund keeps it."""
    check_reserve(reserve_bp)
    policy_fee_fen = service_fee_fen
    service_fee_fen = service_fee_fen if fee_from_fund else 0
    before_reserve = (
        figures.carried_forward_fen + figures.income_fen - figures.subsidies_booked_fen - service_fee_fen
    )
    if before_reserve <= 0:
        raise design_error(
            "fund_available_fen",
            DesignErrorCode.NO_FUNDS,
            f"{figures.scheme_year}互助年度没有可用于补助的资金（上年结转、本年筹资"
            f"{'扣除服务费' if fee_from_fund else ''}后为 {fen_to_yuan(before_reserve)} 元）",
        )
    reserve = before_reserve * reserve_bp // 10_000
    return FundAvailable(figures, service_fee_fen, reserve_bp, reserve, fee_from_fund, policy_fee_fen)


def read_fund_figures(scheme_year: int) -> FundFigures:
    """The scheme year's ledger as ``funds.ledger.year_summary`` sums it (closing and carry-forward entries left
    out), in one query over the funds app's tables."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.kind, a.key,
                   COALESCE(SUM(CASE WHEN l.side = 'debit' THEN l.amount_fen ELSE -l.amount_fen END), 0)
              FROM funds_journalline l
              JOIN funds_account a ON a.id = l.account_id
              JOIN funds_journalentry e ON e.id = l.entry_id
             WHERE l.scheme_year = %s AND e.kind NOT IN ('closing', 'carry_forward')
             GROUP BY a.kind, a.key
            """,
            [scheme_year],
        )
        rows = cursor.fetchall()
    income = receivables = carried = subsidies = 0
    for kind, key, debit_minus_credit in rows:
        amount = int(debit_minus_credit)
        if kind == "income":
            income -= amount
        elif kind == "asset" and key.startswith("receivable:"):
            receivables += amount
        elif key == "net_assets:carried_forward":
            carried -= amount
        elif key == "expense:subsidies":
            subsidies += amount
    return FundFigures(scheme_year, carried, income, receivables, subsidies)


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


# --- weights --------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Weights:
    source: str
    codes: tuple[str, ...]
    names: tuple[str, ...]
    weights: tuple[float, ...]
    note: str


def city_weights(city: str, year: int | None, version_code: str) -> Weights:
    tables = CityWeightTable.objects.filter(city=city, version__code=version_code)
    if year is not None:
        tables = tables.filter(year=year)
    table = tables.order_by("-year").first()
    if table is None:
        raise design_error(
            "city", DesignErrorCode.NOT_FOUND, f"没有导入 {city}{year or ''} 的 DRG 权重表（{version_code}）"
        )
    rows = list(
        CityDrgWeight.objects.filter(table=table, drg__isnull=False, relative_weight__gt=0)
        .order_by("drg_code")
        .values_list("drg_code", "name", "relative_weight")
    )
    if not rows:
        raise design_error("city", DesignErrorCode.NO_WEIGHTS, f"{table} 没有可用的相对权重")
    return Weights(
        WeightSource.CITY,
        tuple(r[0] for r in rows),
        tuple(r[1][:128] for r in rows),
        tuple(float(r[2] or 0) for r in rows),
        f"{table.city}{table.year} DRG 相对权重（{len(rows)} 个病组）",
    )


def current_table_weights(policy: PolicyVersion) -> Weights:
    rows = policy.subsidy_rows()
    if not rows:
        raise design_error(
            "weights", DesignErrorCode.NO_SUBSIDY_TABLE, "当前政策没有补助定额表，请选择城市权重表"
        )
    return Weights(
        WeightSource.CURRENT,
        tuple(r.drg_code for r in rows),
        tuple(r.drg_name for r in rows),
        tuple(float(r.amount_fen) for r in rows),
        f"当前补助定额表（第 {policy.version} 版，{len(rows)} 个病组）的相对比例",
    )


# --- the design ------------------------------------------------------------------------------------------------------------


def design_policy(scheme_year: int) -> PolicyVersion:
    """The policy whose limits the design follows: the scheme year's draft, else its latest published version."""
    policy = (
        PolicyVersion.objects.select_related("scheme_year")
        .filter(scheme_year__year=scheme_year)
        .order_by("-version")
        .first()
    )
    if policy is None:
        raise design_error("scheme_year", DesignErrorCode.NO_POLICY, f"{scheme_year}互助年度还没有政策")
    return policy


def policy_limits(policy: PolicyVersion) -> Limits:
    if not policy.per_stay_min_fen:
        raise design_error("per_stay_min_fen", DesignErrorCode.INVALID_LIMITS, "政策未设置单次住院最低补助")
    return Limits(policy.per_stay_min_fen, policy.per_stay_max_fen, policy.yearly_cap_fen)


def unlisted_amount_fen(policy: PolicyVersion) -> int:
    return (policy.per_stay_min_fen or 0) if policy.unlisted_drg_rule == UnlistedDrgRule.MINIMUM else 0


@dataclass(frozen=True)
class SpreadRates:
    """A rate table laid over the design's groups: per-1,000 rates of the groups, and of the stays outside them."""

    per_1000: np.ndarray
    unlisted_per_1000: float


def spread_rates(weights: Weights, rates: RateTable) -> SpreadRates:
    index = {code: i for i, code in enumerate(weights.codes)}
    per_1000 = np.zeros(len(weights.codes))
    unlisted = 0.0
    for code, rate in rates.rates.items():
        if code in index:
            per_1000[index[code]] += rate
        else:
            unlisted += rate
    if rates.other:
        without = [i for code, i in index.items() if code not in rates.rates]
        if weights.source == WeightSource.CITY and without:
            per_1000[without] += rates.other / len(without)
        else:
            unlisted += rates.other
    return SpreadRates(per_1000, unlisted)


@dataclass(frozen=True)
class DesignOutcome:
    scheme_year: int
    policy: PolicyVersion
    fund: FundAvailable
    participants: Participants
    rates: RateTable
    weights: Weights
    limits: Limits
    unlisted_amount_fen: int
    spread: SpreadRates
    design: Design
    notes: dict = field(default_factory=dict)

    def rows(self) -> list[SubsidyRow]:
        return [SubsidyRow(line.drg_code, line.amount_fen, line.drg_name) for line in self.design.lines]

    def simulation_arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """Amounts and stays per person for the simulation, the unlisted groups as one more group."""
        amounts = np.array([line.amount_fen for line in self.design.lines] + [self.unlisted_amount_fen])
        rates = np.concatenate([self.spread.per_1000, [self.spread.unlisted_per_1000]]) / 1000
        return amounts, rates


@dataclass(frozen=True)
class TownInputs:
    limits: Limits
    participants: Participants
    available: FundAvailable
    rates: RateTable


def _town_inputs(
    policy: PolicyVersion,
    reserve_bp: int,
    participants: Participants | None,
    fund: FundFigures | None,
    rates: RateTable | None,
) -> TownInputs:
    """The policy's limits, the paid participants, the fund available and the rates (the caller's, else the town's
    own past claims, else the reference tables), each read from the town's data unless given."""
    scheme_year = policy.scheme_year.year
    limits = policy_limits(policy)
    as_of = policy.coverage_start or date(scheme_year, 11, 1)
    participants = participants or read_paid_participants(scheme_year, as_of)
    if participants.total <= 0:
        raise design_error(
            "participants", DesignErrorCode.NO_PARTICIPANTS, f"{scheme_year}互助年度没有已缴费的参加人员"
        )
    figures = fund or read_fund_figures(scheme_year)
    fee = service_fee_fen(
        policy.service_fee_kind,
        policy.service_fee_bp,
        policy.service_fee_per_person_fen,
        figures.income_fen,
        participants.total,
    )
    available = fund_available(
        figures, service_fee_fen=fee, reserve_bp=reserve_bp, fee_from_fund=bool(policy.service_fee_from_fund)
    )
    rates = (
        rates
        or read_observed_claims(scheme_year)
        or reference_rates(participants, policy.drg_catalogue_version or "chs-drg-1.1")
    )
    return TownInputs(limits, participants, available, rates)


def prepare_design(
    scheme_year: int,
    *,
    reserve_bp: int = 1000,
    weight_source: str = WeightSource.CURRENT,
    city: str = "",
    city_year: int | None = None,
    rates: RateTable | None = None,
    participants: Participants | None = None,
    fund: FundFigures | None = None,
) -> DesignOutcome:
    """Read the inputs from the town's data (unless given) and design the table; nothing is written."""
    check_reserve(reserve_bp)
    policy = design_policy(scheme_year)
    town = _town_inputs(policy, reserve_bp, participants, fund, rates)
    limits, participants, available, rates = town.limits, town.participants, town.available, town.rates
    figures, fee = available.figures, available.service_fee_fen
    version_code = policy.drg_catalogue_version or "chs-drg-1.1"
    if weight_source == WeightSource.CITY:
        weights = city_weights(city, city_year, version_code)
    elif weight_source == WeightSource.CURRENT:
        # The table in force (the latest published one) keeps its proportions; a draft's table (perhaps an
        # earlier design, its small groups lifted to the minimum) only when nothing is published.
        published = (
            PolicyVersion.objects.filter(scheme_year__year=scheme_year, status=PolicyStatus.PUBLISHED)
            .order_by("-version")
            .first()
        )
        weights = current_table_weights(published or policy)
    else:
        raise design_error("weight_source", DesignErrorCode.INVALID, f"未知的权重来源：{weight_source}")
    spread = spread_rates(weights, rates)
    n = participants.total
    unlisted_amount = unlisted_amount_fen(policy)
    design = design_table(
        weights.codes,
        weights.weights,
        spread.per_1000 * n / 1000,
        available.available_fen,
        limits,
        names=weights.names,
        unlisted_stays=spread.unlisted_per_1000 * n / 1000,
        unlisted_amount_fen=unlisted_amount,
    )
    notes = {
        "scheme_year": scheme_year,
        "policy_version": policy.version,
        "participants": n,
        "participants_by_band": [list(row) for row in participants.rows()],
        "carried_forward": fen_to_yuan(figures.carried_forward_fen),
        "income": fen_to_yuan(figures.income_fen),
        "receivables": fen_to_yuan(figures.receivables_fen),
        "subsidies_booked": fen_to_yuan(figures.subsidies_booked_fen),
        "service_fee": fen_to_yuan(fee),  # taken off the fund (0.00 where the town's budget pays the firm)
        "service_fee_by_policy": fen_to_yuan(
            fee if available.policy_fee_fen is None else available.policy_fee_fen
        ),
        "service_fee_paid_by": "fund" if available.fee_from_fund else "town_budget",
        "service_fee_note": (
            "第三方服务费从互助资金支付，已从可用于补助的资金中扣除"
            if available.fee_from_fund
            else "第三方服务费由镇财政预算支付，不从互助资金中扣除"
        ),
        "reserve_bp": reserve_bp,
        "reserve": fen_to_yuan(available.reserve_fen),
        "target": fen_to_yuan(available.available_fen),
        "expected": fen_to_yuan(design.expected_fen),
        "rate_source": rates.source,
        "rate_note": rates.note,
        "subsidised_stays_per_1000": round(rates.total, 3),
        "weight_source": weights.source,
        "weight_note": weights.note,
        "per_stay_minimum": fen_to_yuan(limits.per_stay_min_fen),
        "per_stay_maximum": fen_to_yuan(limits.per_stay_max_fen) if limits.per_stay_max_fen else None,
        "yearly_cap": fen_to_yuan(limits.yearly_cap_fen) if limits.yearly_cap_fen else None,
        "unlisted_amount": fen_to_yuan(unlisted_amount),
    }
    return DesignOutcome(
        scheme_year,
        policy,
        available,
        participants,
        rates,
        weights,
        limits,
        unlisted_amount,
        spread,
        design,
        notes,
    )


def simulate_outcome(
    outcome: DesignOutcome,
    *,
    runs: int = DEFAULT_RUNS,
    seed: int = DEFAULT_SEED,
    fund_fen: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> SolvencyResult:
    """The designed table's year simulated against the pool (before the reserve, unless ``fund_fen`` is given)."""
    amounts, rates = outcome.simulation_arrays()
    return simulate(
        amounts,
        rates,
        outcome.participants.total,
        outcome.fund.pool_fen if fund_fen is None else fund_fen,
        outcome.limits,
        runs=runs,
        seed=seed,
        progress=progress,
    )


def simulate_policy(
    policy: PolicyVersion,
    rates: RateTable | None = None,
    *,
    reserve_bp: int = 0,
    runs: int = DEFAULT_RUNS,
    seed: int = DEFAULT_SEED,
    participants: Participants | None = None,
    fund: FundFigures | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[DesignOutcome, SolvencyResult]:
    """A policy's own table (designed or hand-made) simulated against the town's fund and participants."""
    scheme_year = policy.scheme_year.year
    check_reserve(reserve_bp)
    town = _town_inputs(policy, reserve_bp, participants, fund, rates)
    limits, participants, available, rates = town.limits, town.participants, town.available, town.rates
    weights = current_table_weights(policy)
    spread = spread_rates(weights, rates)
    n = participants.total
    unlisted = unlisted_amount_fen(policy)
    paid = paid_amounts(np.array(weights.weights, dtype=np.int64), limits)  # what adjudication pays a stay
    lines = tuple(
        DesignLine(code, name, float(amount), float(stays), int(amount))
        for code, name, amount, stays in zip(
            weights.codes, weights.names, paid, spread.per_1000 * n / 1000, strict=True
        )
    )
    expected = (
        sum(line.expected_stays * line.amount_fen for line in lines)
        + spread.unlisted_per_1000 * n / 1000 * unlisted
    )
    design = Design(
        lines=lines,
        target_fen=available.available_fen,
        expected_fen=round(expected),
        unlisted_expected_fen=round(spread.unlisted_per_1000 * n / 1000 * unlisted),
        unlisted_stays=spread.unlisted_per_1000 * n / 1000,
        scale_yuan_per_weight=0.0,
        target_reached=expected >= available.available_fen,
        at_minimum=0,
        at_maximum=0,
    )
    outcome = DesignOutcome(
        scheme_year, policy, available, participants, rates, weights, limits, unlisted, spread, design
    )
    result = simulate_outcome(outcome, runs=runs, seed=seed, progress=progress)
    policy_simulated.send(PolicyVersion, policy=policy, result=result, rate_source=rates.source)
    return outcome, result


# --- saving ------------------------------------------------------------------------------------------------------------------


@transaction.atomic
def save_design_as_draft(
    outcome: DesignOutcome, actor, *, effective_from: date | None = None
) -> PolicyVersion:
    """The designed table as a draft: the scheme year's draft gets it; a published year gets a new amendment
    (effective from ``effective_from``, default the start of coverage) whose reason names the design. The note
    of every input is kept in the audit event ``policy.scheme_design``."""
    year = outcome.scheme_year
    draft = (
        PolicyVersion.objects.select_related("scheme_year")
        .filter(scheme_year__year=year, status=PolicyStatus.DRAFT)
        .first()
    )
    summary = (
        f"一键设计：可用资金 {outcome.notes['target']} 元（预留 {outcome.fund.reserve_bp / 100:g}%），"
        f"已缴费参加人员 {outcome.participants.total:,} 人，预计补助支出 {outcome.notes['expected']} 元"
    )
    if draft is None:
        published = (
            PolicyVersion.objects.select_related("scheme_year")
            .filter(scheme_year__year=year, status=PolicyStatus.PUBLISHED)
            .order_by("-version")
            .first()
        )
        if published is None:
            raise design_error("scheme_year", DesignErrorCode.NO_POLICY, f"{year}互助年度还没有政策")
        start = effective_from or published.coverage_start or date(year, 11, 1)
        draft = actions.amend(published, start, summary, actor)
    draft = actions.set_subsidy_table(draft, outcome.rows(), actor, source="design")
    record_event(actor, "policy.scheme_design", draft, {**outcome.notes, "summary": summary})
    return draft


# --- text for the command line and the demo ---------------------------------------------------------------------------


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def summary_lines(outcome: DesignOutcome, result: SolvencyResult | None = None, *, top: int = 8) -> list[str]:
    """A plain Chinese summary of a design (and its simulation) for the command line and the demo log."""
    design, fund, figures = outcome.design, outcome.fund, outcome.fund.figures
    lines = [
        f"{outcome.scheme_year}互助年度（依据第 {outcome.policy.version} 版政策的限额）",
        f"  已缴费参加人员 {outcome.participants.total:,} 人；住院率来源：{outcome.rates.note}",
        f"  资金：上年结转 {fen_to_yuan(figures.carried_forward_fen)} + 本年筹资 {fen_to_yuan(figures.income_fen)}"
        f"（其中应收 {fen_to_yuan(figures.receivables_fen)}）− 已记补助 {fen_to_yuan(figures.subsidies_booked_fen)}"
        + (
            f" − 服务费 {fen_to_yuan(fund.service_fee_fen)}"
            if fund.fee_from_fund
            else f"（服务费 {fen_to_yuan(fund.policy_fee_fen or 0)} 由镇财政预算支付，不从互助资金扣除）"
        )
        + f" − 预留 {fund.reserve_bp / 100:g}% {fen_to_yuan(fund.reserve_fen)}"
        f" = 可用于补助 {fen_to_yuan(fund.available_fen)} 元",
        f"  权重来源：{outcome.weights.note}",
        f"  预计补助住院 {design.expected_stays:,.1f} 次，预计支出 {fen_to_yuan(design.expected_fen)} 元"
        f"（目标 {fen_to_yuan(design.target_fen)} 元；{design.at_minimum} 个病组为最低补助，"
        f"{design.at_maximum} 个为最高补助）"
        + ("" if design.target_reached else "；全部达到最高补助仍低于目标"),
    ]
    heaviest = sorted(design.lines, key=lambda line: -line.expected_stays * line.amount_fen)[:top]
    for line in heaviest:
        lines.append(
            f"    {line.drg_code} {line.drg_name[:20]:<20} 定额 {fen_to_yuan(line.amount_fen):>10} 元"
            f"  预计 {line.expected_stays:7.1f} 次  {fen_to_yuan(line.expected_cost_fen):>12} 元"
        )
    if result is not None:
        month = result.likeliest_run_dry_month
        start = outcome.policy.coverage_start
        when = ""
        if month is not None:
            label = f"第 {month} 个月"
            if start is not None:
                total = start.month - 1 + month - 1
                label += f"（{start.year + total // 12}年{total % 12 + 1}月）"
            when = f"；最可能在保障期{label}用完"
        lines += [
            f"  偿付能力模拟（{result.runs:,} 次，种子 {result.seed}，资金池 {fen_to_yuan(result.fund_fen)} 元）：",
            f"    年支出 平均 {fen_to_yuan(result.mean_fen)}，5% 分位 {fen_to_yuan(result.p5_fen)}，"
            f"95% 分位 {fen_to_yuan(result.p95_fen)}，99% 分位 {fen_to_yuan(result.p99_fen)} 元",
            f"    保障期结束前资金用完的概率 {_percent(result.run_dry_probability)}{when}",
            f"    预计结转下年 {fen_to_yuan(result.expected_carry_over_fen)} 元，"
            f"预计缺口 {fen_to_yuan(result.expected_shortfall_fen)} 元",
        ]
    return lines


DEMO_TOWNS = {"500152116": "design", "320685107": "simulate", "320685109": "simulate"}


def demo_scheme_design(town) -> None:
    """Demo step (inside the town's schema, after enrolment and funds): 新胜镇 designs its 2022 table from its real
    2022 enrolment and funds and keeps it as a draft amendment; the 海安 towns simulate their published table.
    Idempotent: a design draft is replaced by the same design; another draft is left alone."""
    import logging

    logger = logging.getLogger(__name__)
    action = DEMO_TOWNS.get(town.code)
    policy = PolicyVersion.objects.filter(scheme_year__year=2022).order_by("-version").first()
    if action is None or policy is None:
        return
    try:
        if action == "design":
            outcome = prepare_design(2022, reserve_bp=1000)
            result = simulate_outcome(outcome, runs=2000)
            draft = policy if policy.status == PolicyStatus.DRAFT else None
            if draft is None or draft.amendment_reason.startswith("一键设计"):
                saved = save_design_as_draft(outcome, None)
                logger.info("%s：一键设计结果已保存为第 %s 版草稿（待审核发布）", town.name, saved.version)
        else:
            published = (
                PolicyVersion.objects.filter(scheme_year__year=2022, status=PolicyStatus.PUBLISHED)
                .order_by("-version")
                .first()
            )
            if published is None:
                return
            outcome, result = simulate_policy(published, reserve_bp=0, runs=2000)
    except ValidationError as exc:
        logger.warning("%s：一键设计/偿付能力模拟未完成：%s", town.name, "；".join(exc.messages))
        return
    for line in summary_lines(outcome, result, top=5):
        logger.info("%s %s", town.name, line)
