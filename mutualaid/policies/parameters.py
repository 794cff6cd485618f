"""The one registry of a policy's scalar parameters (no database): everything else reads it.

Each ``Parameter`` says what a parameter is (its domain name, kind and unit, Chinese label), whether publishing
requires it, whether a draft may empty it, and what a new draft starts with. From this table:

- ``PolicyVersion`` gets one model field per parameter (``Parameter.model_field``);
- ``PolicyValues`` (the plain values that publishing validates and presets describe) gets one attribute each;
- ``actions.update_draft`` checks an input by its kind and refuses an empty value for a parameter that cannot be
  empty; ``create_draft`` starts from the defaults; amendments, presets and copies carry every parameter;
- ``validation`` reports missing required parameters, non-positive amounts and out-of-range percentages;
- the GraphQL layer builds ``PolicyDraftInput``, the output fields, ``clearFields`` and the error paths;
- the public rules page lists the parameters of its sections with their labels and default marks.

Adding a parameter: one ``Parameter`` here, a migration (``makemigrations policies``) and, when it has a rule of
its own beyond its kind, that rule in ``validation``.

``AMENDMENT`` holds the two fields of an amendment (effective date and reason): set through the same draft
update, but not parameters of the scheme (presets and copies to another year leave them empty).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

from django.db import models

from mutualaid.policies.choices import ExclusionCause, ServiceFeeKind, UnlistedDrgRule


class Kind(Enum):
    FEN = "fen"  # money: integer fen inside, yuan at the API; positive
    DATE = "date"
    BOOL = "bool"
    DAYS = "days"  # a whole number of (working) days, 1 … 365
    BP = "bp"  # a share in basis points, 1 … 10000
    TEXT = "text"  # a short text (up to 32 characters)
    CHOICE = "choice"  # one value of ``choices``
    CHOICES = "choices"  # a list of values of ``choices``


@dataclass(frozen=True)
class Parameter:
    name: str  # the domain name: model field, PolicyValues attribute, error key
    kind: Kind
    label: str  # Chinese, in messages and on the rules page
    unit: str = ""  # of the stored value (“分”, “基点”); the model's verbose name is “label（unit）”
    required: bool = False  # must be filled in to publish
    clearable: bool = False  # a draft may empty it again (clearFields); others are only replaced
    default: Any = None  # what a new draft starts with (None: empty)
    nullable: bool = True  # may be empty in a draft; False: always has a value (default when not given)
    choices: type[models.TextChoices] | None = None
    api_name: str = (
        ""  # the API's (snake_case) name when it differs from ``name`` (fen amounts are yuan there)
    )
    input_help: str = ""  # the API input's description
    output_help: str = ""  # the API output's description
    rules_section: str = (
        ""  # the public rules page's section that lists it ("limits": 元; "targets": 不低于 %)
    )

    @property
    def api(self) -> str:
        return self.api_name or self.name

    @property
    def defaulted(self) -> bool:
        """Whether a new draft starts with a value (the parameter's default) rather than empty."""
        return self.default is not None

    @property
    def verbose_name(self) -> str:
        return f"{self.label}（{self.unit}）" if self.unit else self.label

    def empty(self) -> Any:
        """The value of an unset parameter (``PolicyValues`` and the model's column default)."""
        if self.nullable:
            return None
        if self.kind is Kind.CHOICES:
            return ()
        if self.kind is Kind.TEXT:
            return ""
        return self.default

    def model_field(self) -> models.Field:
        """The ``PolicyVersion`` column of this parameter."""
        name, kind = self.verbose_name, self.kind
        if kind is Kind.FEN:
            return models.BigIntegerField(name, null=True, blank=True)
        if kind is Kind.DATE:
            return models.DateField(name, null=True, blank=True)
        if kind is Kind.BOOL:
            return models.BooleanField(name, default=self.default)
        if kind is Kind.DAYS:
            if not self.nullable:  # always set: the default for rows that had none
                return models.PositiveSmallIntegerField(name, default=self.default)
            return models.PositiveSmallIntegerField(name, null=True, blank=True)
        if kind is Kind.BP:
            return models.PositiveIntegerField(name, null=True, blank=True)
        if kind is Kind.TEXT:
            return models.CharField(name, max_length=32, blank=True)
        if kind is Kind.CHOICE:
            assert self.choices is not None
            return models.CharField(name, max_length=16, choices=self.choices.choices, default=self.default)
        if kind is Kind.CHOICES:
            return models.JSONField(name, default=list, blank=True)
        raise ValueError(kind)


PARAMETERS: tuple[Parameter, ...] = (
    Parameter(
        "fee_per_person_fen",
        Kind.FEN,
        "互助费标准",
        unit="分/人·年",
        required=True,
        api_name="fee_per_person",
        input_help="互助费标准（元/人·年）",
        output_help="互助费标准（元/人·年）",
    ),
    Parameter("register_snapshot_date", Kind.DATE, "户籍在册截止日", required=True),
    Parameter("enrolment_opens", Kind.DATE, "交费期开始日", required=True),
    Parameter("enrolment_closes", Kind.DATE, "交费期截止日", required=True, input_help="当日24时截止"),
    Parameter("coverage_start", Kind.DATE, "保障期开始日", required=True),
    Parameter("coverage_end", Kind.DATE, "保障期结束日", required=True),
    Parameter("claim_deadline", Kind.DATE, "补助申请截止日", required=True),
    Parameter("enrol_by_household", Kind.BOOL, "以家庭为单位参加", default=True, nullable=False),
    Parameter("fees_refundable", Kind.BOOL, "互助费可退", default=False, nullable=False),
    Parameter(
        "per_stay_min_fen",
        Kind.FEN,
        "单次住院最低补助",
        unit="分",
        required=True,
        api_name="per_stay_minimum",
        input_help="单次住院最低补助（元）",
        rules_section="limits",
    ),
    Parameter(
        "per_stay_max_fen",
        Kind.FEN,
        "单次住院最高补助",
        unit="分",
        required=True,
        api_name="per_stay_maximum",
        input_help="单次住院最高补助（元）",
        rules_section="limits",
    ),
    Parameter(
        "yearly_cap_fen",
        Kind.FEN,
        "个人年度累计最高补助",
        unit="分",
        required=True,
        api_name="yearly_cap",
        input_help="个人年度累计最高补助（元）",
        rules_section="limits",
    ),
    Parameter(
        "excluded_causes",
        Kind.CHOICES,
        "不补助的情况",
        choices=ExclusionCause,
        default=tuple(ExclusionCause.values),
        nullable=False,
    ),
    Parameter("designated_hospitals_only", Kind.BOOL, "仅限医保定点医院", default=True, nullable=False),
    Parameter("mainland_only", Kind.BOOL, "不含国外及港澳台医院", default=True, nullable=False),
    Parameter(
        "drg_catalogue_version",
        Kind.TEXT,
        "DRG 分组版本",
        required=True,
        nullable=False,
        input_help="如 chs-drg-1.1",
    ),
    Parameter(
        "unlisted_drg_rule",
        Kind.CHOICE,
        "补助表外病组",
        choices=UnlistedDrgRule,
        default=UnlistedDrgRule.NO_SUBSIDY.value,
        nullable=False,
    ),
    Parameter(
        "service_fee_kind",
        Kind.CHOICE,
        "服务费方式",
        choices=ServiceFeeKind,
        default=ServiceFeeKind.NONE.value,
        nullable=False,
    ),
    Parameter(
        "service_fee_bp",
        Kind.BP,
        "服务费比例",
        unit="基点",
        clearable=True,
        input_help="服务费比例（基点，1000 = 10%）",
    ),
    Parameter(
        "service_fee_per_person_fen",
        Kind.FEN,
        "每人服务费",
        unit="分/人",
        clearable=True,
        api_name="service_fee_per_person",
        input_help="每人服务费（元）",
    ),
    # 新胜镇 三（三）: 互助资金及其利息用于……向接受委托服务的第三方专业服务公司支付服务费 — the fund pays the firm;
    # 海安's document names no such use of the pool (专款专用), so its preset has the town's budget pay it.
    Parameter(
        "service_fee_from_fund",
        Kind.BOOL,
        "服务费从互助资金支付",
        default=True,
        nullable=False,
        input_help="第三方服务费是否从互助资金中支付（否：由镇财政预算支付，不记入互助资金）",
        output_help="第三方服务费是否从互助资金中支付（否：由镇财政预算支付，不记入互助资金）",
    ),
    Parameter("review_working_days", Kind.DAYS, "审核时限（工作日）", required=True, default=5),
    Parameter(
        "target_village_share_bp",
        Kind.BP,
        "行政村参与率目标",
        unit="基点",
        clearable=True,
        input_help="行政村参与率目标（基点，5000 = 50%）",
        rules_section="targets",
    ),
    Parameter(
        "target_household_share_bp",
        Kind.BP,
        "试点村农户参与率目标",
        unit="基点",
        clearable=True,
        rules_section="targets",
    ),
    Parameter(
        "target_person_share_bp",
        Kind.BP,
        "群众参与率目标",
        unit="基点",
        clearable=True,
        rules_section="targets",
    ),
    Parameter("surplus_carry_over", Kind.BOOL, "结余结转下年度", default=True, nullable=False),
    Parameter(
        "objection_days",
        Kind.DAYS,
        "公示异议期（天）",
        default=7,
        nullable=False,
        input_help="月度公示后可对公示的补助提出异议的天数（1 至 30 天，默认 7 天）",
    ),
)

AMENDMENT: tuple[Parameter, ...] = (
    Parameter("effective_from", Kind.DATE, "修订生效日期", input_help="修订版本的生效日期"),
    Parameter("amendment_reason", Kind.TEXT, "修订原因", nullable=False, input_help="修订原因"),
)

BY_NAME: dict[str, Parameter] = {p.name: p for p in (*PARAMETERS, *AMENDMENT)}

# Structured lists of a policy, set by their own actions (not scalar parameters).
LIST_FIELDS = ("funding_shares", "special_groups", "thresholds", "subsidy_table")


def model_fields(parameters: tuple[Parameter, ...]) -> dict[str, models.Field]:
    """Model fields in registry order (created in order, so that the model lists them in that order)."""
    return {p.name: p.model_field() for p in parameters}


def label(name: str) -> str:
    return BY_NAME[name].label


def of_kind(*kinds: Kind) -> tuple[Parameter, ...]:
    return tuple(p for p in PARAMETERS if p.kind in kinds)


def shift_date(day: date | None, years: int) -> date | None:
    """``day`` moved by whole years (29 February into a common year becomes 28 February)."""
    if day is None:
        return None
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
