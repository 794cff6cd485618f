"""One-click scheme design (一键设计) and the solvency simulation in the town schema: types, inputs and queries.

``schemeDesign`` reads the town's fund and paid participants, designs a table and (``simulate: true``) simulates
it; ``solvencySimulation`` simulates a policy version's own table. Both answer a payload with typed ``errors``
(zero participants, no funds, a reserve of 100% or more, bad rates, an uploaded rate table with unknown codes).
Saving a design as a draft is the mutation ``schemeDesignSave`` (``mutations/design.py``).
"""

from __future__ import annotations

import base64
import binascii
from datetime import date

import graphene
from django.core.exceptions import ValidationError

from mutualaid.drg.catalogue import unknown_drg_codes
from mutualaid.graphql.core.errors import error_type, errors_from_validation
from mutualaid.graphql.core.mutations import NotFound
from mutualaid.graphql.core.permissions import permission_required
from mutualaid.graphql.core.values import enum_value, yuan
from mutualaid.graphql.policies.inputs import DrgRateInput
from mutualaid.graphql.policies.queries import policy_by_id
from mutualaid.policies import design_inputs as inputs
from mutualaid.policies import design_rates
from mutualaid.policies.design import DesignErrorCode, design_error
from mutualaid.policies.permissions import READ_POLICY
from mutualaid.policies.solvency import DEFAULT_RUNS, DEFAULT_SEED, MONTHS, SolvencyResult

SchemeDesignError = error_type("SchemeDesignError", DesignErrorCode)
API_MAX_RUNS = 20_000  # a request simulates at most this many years (the command line allows more)
ERROR_RENAMES = {
    "fund_available_fen": "fundAvailable",
    "per_stay_min_fen": "perStayMinimum",
    "per_stay_max_fen": "perStayMaximum",
    "reserve_bp": "reserveBp",
    "fund_fen": "fund",
}


class SchemeDesignWeightSource(graphene.Enum):
    """相对权重来源：CURRENT 当前补助定额表的比例；CITY 已导入的城市 DRG 相对权重。"""

    CURRENT = inputs.WeightSource.CURRENT
    CITY = inputs.WeightSource.CITY


class RateFileInput(graphene.InputObjectType):
    filename = graphene.String(required=True, description="住院率表文件名（.csv 或 .xlsx）")
    content_base64 = graphene.String(
        required=True, description="文件内容（base64），表头：DRG编码、每千人住院次数"
    )


class SchemeDesignInput(graphene.InputObjectType):
    scheme_year = graphene.Int(required=True)
    reserve_bp = graphene.Int(default_value=1000, description="预留比例（基点，1000 = 10%），须小于 10000")
    weight_source = graphene.Field(SchemeDesignWeightSource, default_value=inputs.WeightSource.CURRENT)
    city = graphene.String(description="城市（权重来源为 CITY 时），如“盐城”")
    city_year = graphene.Int(description="城市权重表年度；默认最新")
    rates = graphene.List(
        graphene.NonNull(DrgRateInput), description="每千人年补助住院次数（本镇往年数据等）"
    )
    rates_file = graphene.Field(RateFileInput, description="县或服务机构的住院率表（.csv/.xlsx）")


class ParticipantBand(graphene.ObjectType):
    age_band = graphene.String(required=True)
    sex = graphene.String(required=True, description="M 男 / F 女")
    count = graphene.Int(required=True)


class SchemeDesignFund(graphene.ObjectType):
    carried_forward = graphene.String(required=True, description="上年结转（元）")
    income = graphene.String(required=True, description="本年度筹资（含本年度应收，元）")
    receivables = graphene.String(required=True, description="其中尚未到账的应收（元）")
    subsidies_booked = graphene.String(required=True, description="本年度已记补助支出（元）")
    service_fee = graphene.String(
        required=True, description="从互助资金扣除的第三方服务费（按政策，元；由镇财政预算支付时为 0）"
    )
    reserve_bp = graphene.Int(required=True)
    reserve = graphene.String(required=True, description="预留（元）")
    pool = graphene.String(required=True, description="可用于补助的资金池（预留前，元）")
    available = graphene.String(required=True, description="测算目标：预留后可用于补助的资金（元）")


class SchemeDesignLine(graphene.ObjectType):
    drg_code = graphene.String(required=True)
    drg_name = graphene.String(required=True)
    weight = graphene.String(required=True, description="相对权重")
    expected_stays = graphene.String(required=True, description="预计年补助住院次数（全镇）")
    amount = graphene.String(required=True, description="补助定额（元）")
    expected_cost = graphene.String(required=True, description="预计年补助支出（元）")


class SolvencyMonth(graphene.ObjectType):
    month = graphene.Int(required=True, description="保障期第几个月（1–12）")
    starts = graphene.Date(description="该月开始日期")
    probability = graphene.Float(required=True, description="资金在该月用完的概率")


class SolvencySimulation(graphene.ObjectType):
    runs = graphene.Int(required=True)
    seed = graphene.Int(required=True)
    participants = graphene.Int(required=True)
    fund = graphene.String(required=True, description="模拟所用资金（元）")
    analytic_expected = graphene.String(required=True, description="解析期望支出（未计年度上限，元）")
    mean = graphene.String(required=True, description="平均年支出（元）")
    p5 = graphene.String(required=True)
    p50 = graphene.String(required=True)
    p95 = graphene.String(required=True)
    p99 = graphene.String(required=True)
    run_dry_probability = graphene.Float(required=True, description="保障期结束前资金用完的概率")
    expected_carry_over = graphene.String(required=True, description="预计结转下年（元）")
    expected_shortfall = graphene.String(required=True, description="预计缺口（元）")
    likeliest_run_dry_month = graphene.Field(SolvencyMonth, description="资金最可能用完的月份")
    run_dry_by_month = graphene.List(graphene.NonNull(SolvencyMonth), required=True)
    capped_stays_share = graphene.Float(required=True, description="受年度累计上限限制的住院比例")


class SchemeDesign(graphene.ObjectType):
    scheme_year = graphene.Int(required=True)
    policy_version = graphene.Int(required=True, description="限额取自的政策版本")
    participants = graphene.Int(required=True, description="已缴费参加人数")
    participants_by_band = graphene.List(graphene.NonNull(ParticipantBand), required=True)
    fund = graphene.Field(SchemeDesignFund, required=True)
    rate_source = graphene.String(
        required=True, description="observed 本镇往年 / upload 上传 / reference 参考表"
    )
    rate_note = graphene.String(required=True)
    subsidised_stays_per_thousand = graphene.String(required=True)
    weight_source = graphene.String(required=True)
    weight_note = graphene.String(required=True)
    target = graphene.String(required=True, description="目标支出（元）")
    expected = graphene.String(required=True, description="预计年补助支出（元）")
    gap = graphene.String(required=True, description="目标 − 预计支出（元）")
    target_reached = graphene.Boolean(required=True, description="否：全部病组已达最高补助仍低于目标")
    groups_at_minimum = graphene.Int(required=True)
    groups_at_maximum = graphene.Int(required=True)
    unlisted_expected = graphene.String(required=True, description="表外病组预计支出（元）")
    lines = graphene.List(graphene.NonNull(SchemeDesignLine), required=True)
    solvency = graphene.Field(SolvencySimulation)


class SchemeDesignPayload(graphene.ObjectType):
    design = graphene.Field(SchemeDesign)
    errors = graphene.List(graphene.NonNull(SchemeDesignError), required=True)


class SolvencySimulationPayload(graphene.ObjectType):
    simulation = graphene.Field(SolvencySimulation)
    design = graphene.Field(SchemeDesign, description="该版本补助表的输入与预计支出")
    errors = graphene.List(graphene.NonNull(SchemeDesignError), required=True)


# --- conversions -------------------------------------------------------------------------------------------------------


def _months_after(start: date | None, months: int) -> date | None:
    if start is None:
        return None
    total = start.month - 1 + months
    return date(start.year + total // 12, total % 12 + 1, min(start.day, 28))


def simulation_type(result: SolvencyResult, coverage_start: date | None) -> SolvencySimulation:
    months = [
        SolvencyMonth(month=i + 1, starts=_months_after(coverage_start, i), probability=p)
        for i, p in enumerate(result.run_dry_by_month[:MONTHS])
    ]
    likeliest = result.likeliest_run_dry_month
    return SolvencySimulation(
        runs=result.runs,
        seed=result.seed,
        participants=result.participants,
        fund=yuan(result.fund_fen),
        analytic_expected=yuan(result.analytic_expected_fen),
        mean=yuan(result.mean_fen),
        p5=yuan(result.p5_fen),
        p50=yuan(result.p50_fen),
        p95=yuan(result.p95_fen),
        p99=yuan(result.p99_fen),
        run_dry_probability=result.run_dry_probability,
        expected_carry_over=yuan(result.expected_carry_over_fen),
        expected_shortfall=yuan(result.expected_shortfall_fen),
        likeliest_run_dry_month=months[likeliest - 1] if likeliest else None,
        run_dry_by_month=months,
        capped_stays_share=result.capped_stays_share,
    )


def design_type(outcome: inputs.DesignOutcome, solvency: SolvencyResult | None = None) -> SchemeDesign:
    design, fund, figures = outcome.design, outcome.fund, outcome.fund.figures
    return SchemeDesign(
        scheme_year=outcome.scheme_year,
        policy_version=outcome.policy.version,
        participants=outcome.participants.total,
        participants_by_band=[
            ParticipantBand(age_band=band, sex=sex, count=n) for band, sex, n in outcome.participants.rows()
        ],
        fund=SchemeDesignFund(
            carried_forward=yuan(figures.carried_forward_fen),
            income=yuan(figures.income_fen),
            receivables=yuan(figures.receivables_fen),
            subsidies_booked=yuan(figures.subsidies_booked_fen),
            service_fee=yuan(fund.service_fee_fen),
            reserve_bp=fund.reserve_bp,
            reserve=yuan(fund.reserve_fen),
            pool=yuan(fund.pool_fen),
            available=yuan(fund.available_fen),
        ),
        rate_source=outcome.rates.source,
        rate_note=outcome.rates.note,
        subsidised_stays_per_thousand=f"{outcome.rates.total:.3f}",
        weight_source=outcome.weights.source,
        weight_note=outcome.weights.note,
        target=yuan(design.target_fen),
        expected=yuan(design.expected_fen),
        gap=yuan(design.gap_fen),
        target_reached=design.target_reached,
        groups_at_minimum=design.at_minimum,
        groups_at_maximum=design.at_maximum,
        unlisted_expected=yuan(design.unlisted_expected_fen),
        lines=[
            SchemeDesignLine(
                drg_code=line.drg_code,
                drg_name=line.drg_name,
                weight=f"{line.weight:g}",
                expected_stays=f"{line.expected_stays:.3f}",
                amount=yuan(line.amount_fen),
                expected_cost=yuan(line.expected_cost_fen),
            )
            for line in design.lines
        ],
        solvency=simulation_type(solvency, outcome.policy.coverage_start) if solvency else None,
    )


def rate_table(rates, rates_file, catalogue_version: str) -> design_rates.RateTable | None:
    """The caller's rates (a list, or an uploaded file), or None for the town's reference rates."""
    if rates_file:
        try:
            content = base64.b64decode(rates_file.content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise design_error(
                "rates_file", DesignErrorCode.INVALID_FILE_TYPE, "文件内容不是有效的 base64"
            ) from exc
        return design_rates.parse_rate_file(
            rates_file.filename, content, lambda codes: unknown_drg_codes(catalogue_version, codes)
        )
    if rates:
        table: dict[str, float] = {}
        for index, item in enumerate(rates):
            try:
                value = float(item.admissions_per_thousand)
            except ValueError as exc:
                raise design_error(
                    f"rates.{index}",
                    DesignErrorCode.MISSING_RATE,
                    f"住院率格式不正确：{item.admissions_per_thousand}",
                ) from exc
            if value != value or value < 0:
                raise design_error(f"rates.{index}", DesignErrorCode.INVALID_RATE, "住院率不能为负数或缺失")
            table[item.drg_code.strip().upper()] = value
        unknown = unknown_drg_codes(catalogue_version, table)
        if unknown:
            raise design_error(
                "rates",
                DesignErrorCode.UNKNOWN_DRG_CODE,
                f"不在分组目录中的 DRG 编码：{'、'.join(sorted(unknown))}",
            )
        return design_rates.RateTable(
            design_rates.RateSource.UPLOAD, table, note=f"调用方提供的住院率（{len(table)} 个病组）"
        )
    return None


def check_runs(runs: int) -> None:
    if not 1 <= runs <= API_MAX_RUNS:
        raise design_error("runs", DesignErrorCode.INVALID_RUNS, f"模拟次数必须在 1 至 {API_MAX_RUNS:,} 之间")


def prepare(data) -> inputs.DesignOutcome:
    """The design of a ``SchemeDesignInput`` (shared by the query and the save mutation)."""
    scheme_year = data.scheme_year
    policy = inputs.design_policy(scheme_year)
    version = policy.drg_catalogue_version or "chs-drg-1.1"
    return inputs.prepare_design(
        scheme_year,
        reserve_bp=data.reserve_bp if data.reserve_bp is not None else 1000,
        weight_source=enum_value(data.weight_source) or inputs.WeightSource.CURRENT,
        city=(data.city or "").strip(),
        city_year=data.city_year,
        rates=rate_table(data.rates, data.rates_file, version),
    )


class SchemeDesignQueries(graphene.ObjectType):
    scheme_design = graphene.Field(
        SchemeDesignPayload,
        input=SchemeDesignInput(required=True),
        simulate=graphene.Boolean(default_value=False, description="同时做偿付能力模拟"),
        runs=graphene.Int(default_value=DEFAULT_RUNS, description=f"模拟次数（1–{API_MAX_RUNS}）"),
        seed=graphene.Int(default_value=DEFAULT_SEED),
        required=True,
        description="一键设计：按本镇实际筹资与已缴费参加人员测算病种补助定额（不保存）",
    )
    solvency_simulation = graphene.Field(
        SolvencySimulationPayload,
        policy_id=graphene.ID(required=True),
        reserve_bp=graphene.Int(default_value=0, description="预留比例（基点）；模拟用预留前的资金池"),
        rates=graphene.List(graphene.NonNull(DrgRateInput)),
        rates_file=graphene.Argument(RateFileInput),
        runs=graphene.Int(default_value=DEFAULT_RUNS, description=f"模拟次数（1–{API_MAX_RUNS}）"),
        seed=graphene.Int(default_value=DEFAULT_SEED),
        required=True,
        description="偿付能力模拟：该版本补助表在本镇资金与参加人员下，年内资金用完的概率等",
    )

    @permission_required(READ_POLICY)
    def resolve_scheme_design(root, info, input, simulate=False, runs=DEFAULT_RUNS, seed=DEFAULT_SEED):
        try:
            check_runs(runs)
            outcome = prepare(input)
            result = inputs.simulate_outcome(outcome, runs=runs, seed=seed) if simulate else None
        except ValidationError as exc:
            return SchemeDesignPayload(
                design=None, errors=errors_from_validation(exc, SchemeDesignError, ERROR_RENAMES)
            )
        return SchemeDesignPayload(design=design_type(outcome, result), errors=[])

    @permission_required(READ_POLICY)
    def resolve_solvency_simulation(
        root, info, policy_id, reserve_bp=0, rates=None, rates_file=None, runs=DEFAULT_RUNS, seed=DEFAULT_SEED
    ):
        try:
            policy = policy_by_id(info, policy_id)
        except NotFound:
            error = SchemeDesignError(field="policyId", code="not_found", message="政策版本不存在或无权访问")
            return SolvencySimulationPayload(simulation=None, design=None, errors=[error])
        try:
            check_runs(runs)
            table = rate_table(rates, rates_file, policy.drg_catalogue_version or "chs-drg-1.1")
            outcome, result = inputs.simulate_policy(
                policy, table, reserve_bp=reserve_bp, runs=runs, seed=seed
            )
        except ValidationError as exc:
            errors = errors_from_validation(exc, SchemeDesignError, ERROR_RENAMES)
            return SolvencySimulationPayload(simulation=None, design=None, errors=errors)
        return SolvencySimulationPayload(
            simulation=simulation_type(result, policy.coverage_start), design=design_type(outcome), errors=[]
        )
