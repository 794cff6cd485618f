"""The vocabulary of a scheme-year policy and its parameters as plain values (no database).

``PolicyValues`` is what publishing validates (``mutualaid.policies.validation``) and what presets describe
(``mutualaid.policies.presets``); the model ``PolicyVersion`` converts to and from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import models

from mutualaid.policies.terms import FundingShare, SpecialGroupRule

# Shown wherever a value was not given by the town's document but filled in by a preset or a default.
NOT_IN_DOCUMENT = "文件未规定"


class PolicyStatus(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"


class InsuranceType(models.TextChoices):
    """The member's basic medical insurance at admission (基本医保参保类型)."""

    RESIDENT = "resident", "城乡居民医保"
    EMPLOYEE = "employee", "城镇职工医保"
    NONE = "none", "未参加基本医保或中断职工医保"


class ThresholdBasis(models.TextChoices):
    OUT_OF_POCKET = "out_of_pocket", "医保报销后个人支付金额"
    TOTAL_COST = "total_cost", "单次住院总费用"


class ExclusionCause(models.TextChoices):
    """不补助的情况 (新胜镇方案 四（四）)."""

    OUTPATIENT = "outpatient", "非住院治疗（门诊等）"
    CHECK_UP = "check_up", "健康体检住院"
    COSMETIC = "cosmetic", "美容住院"
    PLASTIC = "plastic", "整形等非疾病住院"
    WORK_INJURY = "work_injury", "工伤住院"
    CRIME = "crime", "违法犯罪导致的住院"
    THIRD_PARTY_LIABLE = "third_party_liable", "第三方全责导致的意外伤害住院"


class UnlistedDrgRule(models.TextChoices):
    """What a stay gets when its DRG is not in the town's subsidy table."""

    NO_SUBSIDY = "no_subsidy", "不予补助"
    MINIMUM = "minimum", "按单次最低补助额补助"


class ServiceFeeKind(models.TextChoices):
    NONE = "none", "不收取"
    PERCENT = "percent", "按互助资金比例"
    PER_PERSON = "per_person", "按参加人数每人定额"


@dataclass(frozen=True)
class Threshold:
    insurance_type: str  # InsuranceType
    basis: str  # ThresholdBasis
    amount_fen: int


@dataclass(frozen=True)
class SubsidyRow:
    drg_code: str
    amount_fen: int
    drg_name: str = ""


@dataclass(frozen=True)
class PolicyValues:
    """Every parameter of one policy version; ``None`` means not filled in yet (allowed in a draft only)."""

    scheme_year: int
    version: int = 1
    fee_per_person_fen: int | None = None
    funding_shares: tuple[FundingShare, ...] = ()
    special_groups: tuple[SpecialGroupRule, ...] = ()
    register_snapshot_date: date | None = None
    enrolment_opens: date | None = None
    enrolment_closes: date | None = None
    coverage_start: date | None = None
    coverage_end: date | None = None
    claim_deadline: date | None = None
    enrol_by_household: bool = True
    fees_refundable: bool = False
    thresholds: tuple[Threshold, ...] = ()
    per_stay_min_fen: int | None = None
    per_stay_max_fen: int | None = None
    yearly_cap_fen: int | None = None
    excluded_causes: tuple[str, ...] = ()
    designated_hospitals_only: bool = True
    mainland_only: bool = True
    drg_catalogue_version: str = ""
    unlisted_drg_rule: str = UnlistedDrgRule.NO_SUBSIDY
    subsidy_table: tuple[SubsidyRow, ...] = ()
    service_fee_kind: str = ServiceFeeKind.NONE
    service_fee_bp: int | None = None
    service_fee_per_person_fen: int | None = None
    review_working_days: int | None = None
    target_village_share_bp: int | None = None
    target_household_share_bp: int | None = None
    target_person_share_bp: int | None = None
    surplus_carry_over: bool = True
    effective_from: date | None = None  # amendments only; version 1 applies to the whole scheme year
    amendment_reason: str = ""
    defaulted_fields: tuple[str, ...] = field(default=())


# The scalar parameters an update may set, with their kind (used by actions to check input types).
SCALAR_FIELDS: dict[str, str] = {
    "fee_per_person_fen": "fen",
    "register_snapshot_date": "date",
    "enrolment_opens": "date",
    "enrolment_closes": "date",
    "coverage_start": "date",
    "coverage_end": "date",
    "claim_deadline": "date",
    "enrol_by_household": "bool",
    "fees_refundable": "bool",
    "per_stay_min_fen": "fen",
    "per_stay_max_fen": "fen",
    "yearly_cap_fen": "fen",
    "excluded_causes": "causes",
    "designated_hospitals_only": "bool",
    "mainland_only": "bool",
    "drg_catalogue_version": "str",
    "unlisted_drg_rule": "unlisted_rule",
    "service_fee_kind": "service_fee_kind",
    "service_fee_bp": "bp",
    "service_fee_per_person_fen": "fen",
    "review_working_days": "int",
    "target_village_share_bp": "bp",
    "target_household_share_bp": "bp",
    "target_person_share_bp": "bp",
    "surplus_carry_over": "bool",
    "effective_from": "date",
    "amendment_reason": "str",
}

# Structured lists, set by their own actions.
LIST_FIELDS = ("funding_shares", "special_groups", "thresholds", "subsidy_table")
