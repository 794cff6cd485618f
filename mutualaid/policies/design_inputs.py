"""The one-click design (一键设计) from the town's own data, its solvency simulation, and the design saved as a draft
policy version.

Inputs, each kept in the design's note with where it came from: the fund available for the year
(``design_fund``), the paid participants by age band and sex and their expected subsidised stays per DRG group
(``design_rates``), and the relative weights — a city's DRG weights (``RW``) from an imported payment table, or
the current table (here).

``save_design_as_draft`` writes the result through the policy actions: into the scheme year's draft, or a new
amendment (a draft version) of the published policy; a published table is never changed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction

from mutualaid.drg.models import CityDrgWeight, CityWeightTable
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.money import fen_to_yuan
from mutualaid.policies import actions
from mutualaid.policies.choices import PolicyStatus, UnlistedDrgRule
from mutualaid.policies.design import Design, DesignErrorCode, DesignLine, Limits, design_error, design_table
from mutualaid.policies.design_fund import (
    FundAvailable,
    FundFigures,
    check_reserve,
    fund_available,
    read_fund_figures,
    service_fee_fen,
)
from mutualaid.policies.design_rates import (
    Participants,
    RateTable,
    read_observed_claims,
    read_paid_participants,
    reference_rates,
)
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


class WeightSource:
    CITY = "city"  # a city's DRG weights from an imported payment table
    CURRENT = "current"  # the amounts of the scheme year's current table


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
