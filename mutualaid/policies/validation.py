"""Publishing checks as a pure function: plain values in, every error out (no database).

``validate_for_publishing(values, unknown_drg_codes)`` returns a list of ``PolicyError`` (field path, code,
Chinese message) — all of them at once, so a town admin fixes a draft in one pass. The DRG existence check is
injected: ``unknown_drg_codes(version_code, codes) -> set[str]`` (in production
``mutualaid.drg.catalogue.unknown_drg_codes``).

Field paths are the domain's names (``fee_per_person_fen``, ``funding_shares[1].amount``,
``thresholds[0].amount``, ``subsidy_table[ES31].amount``); the API layer maps them to its own. What every
parameter of a kind must satisfy (required, positive, within 100%) comes from the registry
(``mutualaid.policies.parameters``); the rules between parameters are written here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from mutualaid.platform.money import fen_to_yuan
from mutualaid.policies.choices import ExclusionCause, InsuranceType, ServiceFeeKind, ThresholdBasis
from mutualaid.policies.error_codes import PolicyErrorCode as Code
from mutualaid.policies.parameters import PARAMETERS, Kind, label
from mutualaid.policies.terms import FundingSource, HardshipCategory, SpecialGroupTreatment
from mutualaid.policies.values import PolicyValues

UnknownDrgCodes = Callable[[str, Iterable[str]], set[str]]


@dataclass(frozen=True)
class PolicyError:
    field: str | None
    code: str
    message: str


def as_validation_error(errors: list[PolicyError]) -> ValidationError:
    """All errors as one ValidationError keyed by field path (the API layer maps the paths to its own names)."""
    by_field: dict[str, list[ValidationError]] = {}
    for error in errors:
        by_field.setdefault(error.field or "__all__", []).append(
            ValidationError(error.message, code=error.code)
        )
    return ValidationError(by_field)


class _Collector:
    def __init__(self) -> None:
        self.errors: list[PolicyError] = []

    def add(self, field: str | None, code: Code, message: str) -> None:
        self.errors.append(PolicyError(field, code.value, message))


def _yuan(fen: int) -> str:
    return fen_to_yuan(fen) + "元"


def validate_for_publishing(
    values: PolicyValues, unknown_drg_codes: UnknownDrgCodes | None = None
) -> list[PolicyError]:
    """Every reason ``values`` cannot be published (empty list: it can)."""
    out = _Collector()
    _required(values, out)
    _by_kind(values, out)
    _funding(values, out)
    _special_groups(values, out)
    _dates(values, out)
    _thresholds(values, out)
    _limits(values, out)
    _choices(values, out)
    _subsidy_table(values, out, unknown_drg_codes)
    _operations(values, out)
    _objection_period(values, out)
    _amendment(values, out)
    return out.errors


def _required(v: PolicyValues, out: _Collector) -> None:
    for parameter in PARAMETERS:
        if parameter.required and getattr(v, parameter.name) in (None, ""):
            out.add(parameter.name, Code.REQUIRED, f"请填写{parameter.label}")
    if not v.funding_shares:
        out.add("funding_shares", Code.REQUIRED, "请填写筹资结构（各来源每人出资额）")


def _by_kind(v: PolicyValues, out: _Collector) -> None:
    """What every parameter of a kind must satisfy: amounts and days positive, shares within 100%."""
    for parameter in PARAMETERS:
        value = getattr(v, parameter.name)
        if value is None:
            continue
        if parameter.kind is Kind.FEN and value <= 0:
            out.add(parameter.name, Code.NOT_POSITIVE, f"{parameter.label}必须大于零")
        elif parameter.kind is Kind.DAYS and value <= 0:
            out.add(parameter.name, Code.NOT_POSITIVE, f"{parameter.label}必须至少为 1")
        elif parameter.kind is Kind.BP and not 0 < value <= 10000:
            out.add(parameter.name, Code.OUT_OF_RANGE, f"{parameter.label}必须在 0 到 100% 之间")
        elif parameter.kind is Kind.CHOICE and parameter.choices and value not in parameter.choices.values:
            out.add(parameter.name, Code.INVALID_CHOICE, f"未知的选项（{parameter.label}）：{value}")


def _funding(v: PolicyValues, out: _Collector) -> None:
    seen: set[str] = set()
    for i, share in enumerate(v.funding_shares):
        prefix = f"funding_shares[{i}]"
        if share.source not in FundingSource.values:
            out.add(f"{prefix}.source", Code.INVALID_CHOICE, f"未知的筹资来源：{share.source}")
        elif share.source in seen:
            out.add(f"{prefix}.source", Code.DUPLICATE, f"筹资来源重复：{FundingSource(share.source).label}")
        seen.add(share.source)
        if share.amount_fen <= 0:
            out.add(f"{prefix}.amount", Code.NOT_POSITIVE, "每人出资额必须大于零")
    if v.funding_shares and v.fee_per_person_fen is not None:
        total = sum(share.amount_fen for share in v.funding_shares)
        if total != v.fee_per_person_fen:
            out.add(
                "funding_shares",
                Code.SHARES_NOT_EQUAL_FEE,
                f"各来源出资合计 {_yuan(total)}，与互助费标准 {_yuan(v.fee_per_person_fen)} 不一致",
            )


def _special_groups(v: PolicyValues, out: _Collector) -> None:
    seen: set[str] = set()
    for i, rule in enumerate(v.special_groups):
        prefix = f"special_groups[{i}]"
        if rule.category not in HardshipCategory.values:
            out.add(f"{prefix}.category", Code.INVALID_CHOICE, f"未知的困难群体类别：{rule.category}")
        elif rule.category in seen:
            out.add(
                f"{prefix}.category",
                Code.DUPLICATE,
                f"困难群体类别重复：{HardshipCategory(rule.category).label}",
            )
        seen.add(rule.category)
        if rule.treatment not in SpecialGroupTreatment.values:
            out.add(f"{prefix}.treatment", Code.INVALID_CHOICE, f"未知的处理方式：{rule.treatment}")
        elif rule.treatment == SpecialGroupTreatment.EXEMPT_PERSON_SHARE:
            if not rule.paid_by:
                out.add(
                    f"{prefix}.paid_by", Code.PAID_BY_REQUIRED, "个人出资部分由谁全额补助？请指定出资来源"
                )
            elif rule.paid_by not in FundingSource.values or rule.paid_by == FundingSource.PERSON:
                out.add(f"{prefix}.paid_by", Code.INVALID_CHOICE, "代缴来源必须是个人以外的筹资来源")
        elif rule.paid_by:
            out.add(f"{prefix}.paid_by", Code.INVALID, "不参加互助的群体不应指定代缴来源")


def _dates(v: PolicyValues, out: _Collector) -> None:
    # (earlier, later, strictly before?) — the error is reported on the later field.
    order = (
        ("register_snapshot_date", "enrolment_closes", False),
        ("enrolment_opens", "enrolment_closes", False),
        ("enrolment_closes", "coverage_start", False),
        ("coverage_start", "coverage_end", True),
        ("coverage_end", "claim_deadline", True),
    )
    for earlier, later, strict in order:
        a, b = getattr(v, earlier), getattr(v, later)
        if a is None or b is None:
            continue
        if (a >= b) if strict else (a > b):
            relation = "之后" if strict else "当日或之后"
            out.add(
                later,
                Code.DATES_OUT_OF_ORDER,
                f"{label(later)}（{b}）必须在{label(earlier)}（{a}）{relation}",
            )


def _thresholds(v: PolicyValues, out: _Collector) -> None:
    seen: set[str] = set()
    for i, threshold in enumerate(v.thresholds):
        prefix = f"thresholds[{i}]"
        if threshold.insurance_type not in InsuranceType.values:
            out.add(
                f"{prefix}.insurance_type", Code.INVALID_CHOICE, f"未知的参保类型：{threshold.insurance_type}"
            )
        elif threshold.insurance_type in seen:
            out.add(f"{prefix}.insurance_type", Code.DUPLICATE, "同一参保类型只能有一个起付条件")
        seen.add(threshold.insurance_type)
        if threshold.basis not in ThresholdBasis.values:
            out.add(f"{prefix}.basis", Code.INVALID_CHOICE, f"未知的起付口径：{threshold.basis}")
        if threshold.amount_fen <= 0:
            out.add(f"{prefix}.amount", Code.NOT_POSITIVE, "起付金额必须大于零")
    for insurance_type in InsuranceType:
        if insurance_type.value not in seen:
            out.add("thresholds", Code.MISSING_THRESHOLD, f"缺少“{insurance_type.label}”人员的起付条件")


def _limits(v: PolicyValues, out: _Collector) -> None:
    low, high, cap = v.per_stay_min_fen, v.per_stay_max_fen, v.yearly_cap_fen
    if low is not None and high is not None and low > high:
        out.add(
            "per_stay_min_fen",
            Code.MINIMUM_ABOVE_MAXIMUM,
            f"单次最低补助 {_yuan(low)} 高于单次最高补助 {_yuan(high)}",
        )
    if high is not None and cap is not None and high > cap:
        out.add(
            "per_stay_max_fen",
            Code.MAXIMUM_ABOVE_YEARLY_CAP,
            f"单次最高补助 {_yuan(high)} 高于个人年度累计最高补助 {_yuan(cap)}",
        )


OBJECTION_DAYS_MAX = 30


def _objection_period(v: PolicyValues, out: _Collector) -> None:
    """The disclosure's objection period: at most a month, so subsidies are not held for long."""
    days = v.objection_days
    if days is not None and days > OBJECTION_DAYS_MAX:
        out.add("objection_days", Code.OUT_OF_RANGE, f"公示异议期不超过 {OBJECTION_DAYS_MAX} 天")


def _choices(v: PolicyValues, out: _Collector) -> None:
    seen: set[str] = set()
    for i, cause in enumerate(v.excluded_causes):
        if cause not in ExclusionCause.values:
            out.add(f"excluded_causes[{i}]", Code.INVALID_CHOICE, f"未知的不补助情形：{cause}")
        elif cause in seen:
            out.add(f"excluded_causes[{i}]", Code.DUPLICATE, "不补助情形重复")
        seen.add(cause)


def _subsidy_table(v: PolicyValues, out: _Collector, unknown_drg_codes: UnknownDrgCodes | None) -> None:
    if not v.subsidy_table:
        out.add("subsidy_table", Code.SUBSIDY_TABLE_EMPTY, "病种补助定额表为空")
        return
    low, high = v.per_stay_min_fen, v.per_stay_max_fen
    seen: set[str] = set()
    for row in v.subsidy_table:
        prefix = f"subsidy_table[{row.drg_code}]"
        if row.drg_code in seen:
            out.add(f"{prefix}.drg_code", Code.DUPLICATE, f"病组 {row.drg_code} 重复")
        seen.add(row.drg_code)
        if row.amount_fen <= 0:
            out.add(f"{prefix}.amount", Code.NOT_POSITIVE, f"病组 {row.drg_code} 的补助定额必须大于零")
        elif (low is not None and row.amount_fen < low) or (high is not None and row.amount_fen > high):
            out.add(
                f"{prefix}.amount",
                Code.SUBSIDY_OUT_OF_RANGE,
                f"病组 {row.drg_code} 的补助定额 {_yuan(row.amount_fen)} 不在单次补助范围"
                f" [{_yuan(low or 0)}, {_yuan(high or 0)}] 内",
            )
    if unknown_drg_codes is not None and v.drg_catalogue_version:
        try:
            unknown = unknown_drg_codes(v.drg_catalogue_version, sorted(seen))
        except LookupError:  # the catalogue version itself is unknown
            out.add(
                "drg_catalogue_version",
                Code.UNKNOWN_DRG_CATALOGUE,
                f"DRG 分组版本 {v.drg_catalogue_version} 未导入或不存在",
            )
            return
        for code in sorted(unknown):
            out.add(
                f"subsidy_table[{code}].drg_code",
                Code.UNKNOWN_DRG_CODE,
                f"病组 {code} 不在 DRG 分组版本 {v.drg_catalogue_version} 中",
            )


def _operations(v: PolicyValues, out: _Collector) -> None:
    # Ranges of the shares and amounts are checked by kind (``_by_kind``); here what the fee's method needs.
    if v.service_fee_kind == ServiceFeeKind.PERCENT and v.service_fee_bp is None:
        out.add("service_fee_bp", Code.REQUIRED, "按比例收取服务费时请填写比例")
    if v.service_fee_kind == ServiceFeeKind.PER_PERSON:
        if v.service_fee_per_person_fen is None:
            out.add("service_fee_per_person_fen", Code.REQUIRED, "按人收取服务费时请填写每人金额")
        elif v.fee_per_person_fen and v.service_fee_per_person_fen >= v.fee_per_person_fen:
            out.add("service_fee_per_person_fen", Code.OUT_OF_RANGE, "每人服务费不能达到互助费标准")


def _amendment(v: PolicyValues, out: _Collector) -> None:
    if v.version <= 1:
        return
    if v.effective_from is None:
        out.add("effective_from", Code.REQUIRED, "修订版本必须写明生效日期")
    else:
        first = v.enrolment_opens or v.coverage_start
        if first and v.coverage_end and not first <= v.effective_from <= v.coverage_end:
            out.add(
                "effective_from",
                Code.EFFECTIVE_DATE_OUTSIDE_COVERAGE,
                f"修订生效日期 {v.effective_from} 不在本互助年度（{first} 至 {v.coverage_end}）内",
            )
    if not v.amendment_reason.strip():
        out.add("amendment_reason", Code.REASON_REQUIRED, "修订版本必须写明修订原因")
