"""Publishing checks as a pure function: plain values in, every error out (no database).

``validate_for_publishing(values, unknown_drg_codes)`` returns a list of ``PolicyError`` (field path, code,
Chinese message) — all of them at once, so a town admin fixes a draft in one pass. The DRG existence check is
injected: ``unknown_drg_codes(version_code, codes) -> set[str]`` (in production
``mutualaid.drg.catalogue.unknown_drg_codes``).

Field paths are the API's input names: ``feePerPerson``, ``fundingShares[1].amount``, ``thresholds[0].amount``,
``subsidyTable[ES31].amount``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from mutualaid.platform.money import fen_to_yuan
from mutualaid.policies.error_codes import PolicyErrorCode as Code
from mutualaid.policies.terms import FundingSource, HardshipCategory, SpecialGroupTreatment
from mutualaid.policies.values import (
    ExclusionCause,
    InsuranceType,
    PolicyValues,
    ServiceFeeKind,
    ThresholdBasis,
    UnlistedDrgRule,
)

UnknownDrgCodes = Callable[[str, Iterable[str]], set[str]]

# Domain field → API field path.
FIELD_PATHS: dict[str, str] = {
    "fee_per_person_fen": "feePerPerson",
    "funding_shares": "fundingShares",
    "special_groups": "specialGroups",
    "register_snapshot_date": "registerSnapshotDate",
    "enrolment_opens": "enrolmentOpens",
    "enrolment_closes": "enrolmentCloses",
    "coverage_start": "coverageStart",
    "coverage_end": "coverageEnd",
    "claim_deadline": "claimDeadline",
    "enrol_by_household": "enrolByHousehold",
    "fees_refundable": "feesRefundable",
    "thresholds": "thresholds",
    "per_stay_min_fen": "perStayMinimum",
    "per_stay_max_fen": "perStayMaximum",
    "yearly_cap_fen": "yearlyCap",
    "excluded_causes": "excludedCauses",
    "designated_hospitals_only": "designatedHospitalsOnly",
    "mainland_only": "mainlandOnly",
    "drg_catalogue_version": "drgCatalogueVersion",
    "unlisted_drg_rule": "unlistedDrgRule",
    "subsidy_table": "subsidyTable",
    "service_fee_kind": "serviceFeeKind",
    "service_fee_bp": "serviceFeeBp",
    "service_fee_per_person_fen": "serviceFeePerPerson",
    "review_working_days": "reviewWorkingDays",
    "target_village_share_bp": "targetVillageShareBp",
    "target_household_share_bp": "targetHouseholdShareBp",
    "target_person_share_bp": "targetPersonShareBp",
    "surplus_carry_over": "surplusCarryOver",
    "effective_from": "effectiveFrom",
    "amendment_reason": "amendmentReason",
}

LABELS: dict[str, str] = {
    "fee_per_person_fen": "互助费标准",
    "register_snapshot_date": "户籍在册截止日",
    "enrolment_opens": "交费期开始日",
    "enrolment_closes": "交费期截止日",
    "coverage_start": "保障期开始日",
    "coverage_end": "保障期结束日",
    "claim_deadline": "补助申请截止日",
    "per_stay_min_fen": "单次住院最低补助",
    "per_stay_max_fen": "单次住院最高补助",
    "yearly_cap_fen": "个人年度累计最高补助",
    "drg_catalogue_version": "DRG 分组版本",
    "review_working_days": "审核时限（工作日）",
    "service_fee_bp": "服务费比例",
    "service_fee_per_person_fen": "每人服务费",
    "target_village_share_bp": "行政村参与率目标",
    "target_household_share_bp": "试点村农户参与率目标",
    "target_person_share_bp": "群众参与率目标",
}


@dataclass(frozen=True)
class PolicyError:
    field: str | None
    code: str
    message: str


def path(field: str) -> str:
    return FIELD_PATHS.get(field, field)


def as_validation_error(errors: list[PolicyError]) -> ValidationError:
    """All errors as one ValidationError keyed by field path (the GraphQL layer turns it into typed errors)."""
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
    _money(values, out)
    _funding(values, out)
    _special_groups(values, out)
    _dates(values, out)
    _thresholds(values, out)
    _limits(values, out)
    _choices(values, out)
    _subsidy_table(values, out, unknown_drg_codes)
    _operations(values, out)
    _amendment(values, out)
    return out.errors


REQUIRED = (
    "fee_per_person_fen",
    "register_snapshot_date",
    "enrolment_opens",
    "enrolment_closes",
    "coverage_start",
    "coverage_end",
    "claim_deadline",
    "per_stay_min_fen",
    "per_stay_max_fen",
    "yearly_cap_fen",
    "drg_catalogue_version",
    "review_working_days",
)


def _required(v: PolicyValues, out: _Collector) -> None:
    for name in REQUIRED:
        if getattr(v, name) in (None, ""):
            out.add(path(name), Code.REQUIRED, f"请填写{LABELS[name]}")
    if not v.funding_shares:
        out.add(path("funding_shares"), Code.REQUIRED, "请填写筹资结构（各来源每人出资额）")


def _money(v: PolicyValues, out: _Collector) -> None:
    for name in ("fee_per_person_fen", "per_stay_min_fen", "per_stay_max_fen", "yearly_cap_fen"):
        value = getattr(v, name)
        if value is not None and value <= 0:
            out.add(path(name), Code.NOT_POSITIVE, f"{LABELS[name]}必须大于零")
    if v.review_working_days is not None and v.review_working_days <= 0:
        out.add(path("review_working_days"), Code.NOT_POSITIVE, "审核时限必须至少 1 个工作日")


def _funding(v: PolicyValues, out: _Collector) -> None:
    seen: set[str] = set()
    for i, share in enumerate(v.funding_shares):
        prefix = f"fundingShares[{i}]"
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
                path("funding_shares"),
                Code.SHARES_NOT_EQUAL_FEE,
                f"各来源出资合计 {_yuan(total)}，与互助费标准 {_yuan(v.fee_per_person_fen)} 不一致",
            )


def _special_groups(v: PolicyValues, out: _Collector) -> None:
    seen: set[str] = set()
    for i, rule in enumerate(v.special_groups):
        prefix = f"specialGroups[{i}]"
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
                out.add(f"{prefix}.paidBy", Code.PAID_BY_REQUIRED, "个人出资部分由谁全额补助？请指定出资来源")
            elif rule.paid_by not in FundingSource.values or rule.paid_by == FundingSource.PERSON:
                out.add(f"{prefix}.paidBy", Code.INVALID_CHOICE, "代缴来源必须是个人以外的筹资来源")
        elif rule.paid_by:
            out.add(f"{prefix}.paidBy", Code.INVALID, "不参加互助的群体不应指定代缴来源")


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
                path(later),
                Code.DATES_OUT_OF_ORDER,
                f"{LABELS[later]}（{b}）必须在{LABELS[earlier]}（{a}）{relation}",
            )


def _thresholds(v: PolicyValues, out: _Collector) -> None:
    seen: set[str] = set()
    for i, threshold in enumerate(v.thresholds):
        prefix = f"thresholds[{i}]"
        if threshold.insurance_type not in InsuranceType.values:
            out.add(
                f"{prefix}.insuranceType", Code.INVALID_CHOICE, f"未知的参保类型：{threshold.insurance_type}"
            )
        elif threshold.insurance_type in seen:
            out.add(f"{prefix}.insuranceType", Code.DUPLICATE, "同一参保类型只能有一个起付条件")
        seen.add(threshold.insurance_type)
        if threshold.basis not in ThresholdBasis.values:
            out.add(f"{prefix}.basis", Code.INVALID_CHOICE, f"未知的起付口径：{threshold.basis}")
        if threshold.amount_fen <= 0:
            out.add(f"{prefix}.amount", Code.NOT_POSITIVE, "起付金额必须大于零")
    for insurance_type in InsuranceType:
        if insurance_type.value not in seen:
            out.add(path("thresholds"), Code.MISSING_THRESHOLD, f"缺少“{insurance_type.label}”人员的起付条件")


def _limits(v: PolicyValues, out: _Collector) -> None:
    low, high, cap = v.per_stay_min_fen, v.per_stay_max_fen, v.yearly_cap_fen
    if low is not None and high is not None and low > high:
        out.add(
            path("per_stay_min_fen"),
            Code.MINIMUM_ABOVE_MAXIMUM,
            f"单次最低补助 {_yuan(low)} 高于单次最高补助 {_yuan(high)}",
        )
    if high is not None and cap is not None and high > cap:
        out.add(
            path("per_stay_max_fen"),
            Code.MAXIMUM_ABOVE_YEARLY_CAP,
            f"单次最高补助 {_yuan(high)} 高于个人年度累计最高补助 {_yuan(cap)}",
        )


def _choices(v: PolicyValues, out: _Collector) -> None:
    seen: set[str] = set()
    for i, cause in enumerate(v.excluded_causes):
        if cause not in ExclusionCause.values:
            out.add(f"excludedCauses[{i}]", Code.INVALID_CHOICE, f"未知的不补助情形：{cause}")
        elif cause in seen:
            out.add(f"excludedCauses[{i}]", Code.DUPLICATE, "不补助情形重复")
        seen.add(cause)
    if v.unlisted_drg_rule not in UnlistedDrgRule.values:
        out.add(path("unlisted_drg_rule"), Code.INVALID_CHOICE, f"未知的表外病组规则：{v.unlisted_drg_rule}")
    if v.service_fee_kind not in ServiceFeeKind.values:
        out.add(path("service_fee_kind"), Code.INVALID_CHOICE, f"未知的服务费方式：{v.service_fee_kind}")


def _subsidy_table(v: PolicyValues, out: _Collector, unknown_drg_codes: UnknownDrgCodes | None) -> None:
    if not v.subsidy_table:
        out.add(path("subsidy_table"), Code.SUBSIDY_TABLE_EMPTY, "病种补助定额表为空")
        return
    low, high = v.per_stay_min_fen, v.per_stay_max_fen
    seen: set[str] = set()
    for row in v.subsidy_table:
        prefix = f"subsidyTable[{row.drg_code}]"
        if row.drg_code in seen:
            out.add(f"{prefix}.drgCode", Code.DUPLICATE, f"病组 {row.drg_code} 重复")
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
                path("drg_catalogue_version"),
                Code.UNKNOWN_DRG_CATALOGUE,
                f"DRG 分组版本 {v.drg_catalogue_version} 未导入或不存在",
            )
            return
        for code in sorted(unknown):
            out.add(
                f"subsidyTable[{code}].drgCode",
                Code.UNKNOWN_DRG_CODE,
                f"病组 {code} 不在 DRG 分组版本 {v.drg_catalogue_version} 中",
            )


def _operations(v: PolicyValues, out: _Collector) -> None:
    if v.service_fee_kind == ServiceFeeKind.PERCENT:
        if v.service_fee_bp is None:
            out.add(path("service_fee_bp"), Code.REQUIRED, "按比例收取服务费时请填写比例")
        elif not 0 < v.service_fee_bp <= 10000:
            out.add(path("service_fee_bp"), Code.OUT_OF_RANGE, "服务费比例必须在 0 到 100% 之间")
    if v.service_fee_kind == ServiceFeeKind.PER_PERSON:
        if v.service_fee_per_person_fen is None:
            out.add(path("service_fee_per_person_fen"), Code.REQUIRED, "按人收取服务费时请填写每人金额")
        elif v.service_fee_per_person_fen <= 0:
            out.add(path("service_fee_per_person_fen"), Code.NOT_POSITIVE, "每人服务费必须大于零")
        elif v.fee_per_person_fen and v.service_fee_per_person_fen >= v.fee_per_person_fen:
            out.add(path("service_fee_per_person_fen"), Code.OUT_OF_RANGE, "每人服务费不能达到互助费标准")
    for name in ("target_village_share_bp", "target_household_share_bp", "target_person_share_bp"):
        value = getattr(v, name)
        if value is not None and not 0 < value <= 10000:
            out.add(path(name), Code.OUT_OF_RANGE, f"{LABELS[name]}必须在 0 到 100% 之间")


def _amendment(v: PolicyValues, out: _Collector) -> None:
    if v.version <= 1:
        return
    if v.effective_from is None:
        out.add(path("effective_from"), Code.REQUIRED, "修订版本必须写明生效日期")
    else:
        first = v.enrolment_opens or v.coverage_start
        if first and v.coverage_end and not first <= v.effective_from <= v.coverage_end:
            out.add(
                path("effective_from"),
                Code.EFFECTIVE_DATE_OUTSIDE_COVERAGE,
                f"修订生效日期 {v.effective_from} 不在本互助年度（{first} 至 {v.coverage_end}）内",
            )
    if not v.amendment_reason.strip():
        out.add(path("amendment_reason"), Code.REASON_REQUIRED, "修订版本必须写明修订原因")
