"""The vocabulary of a scheme-year policy: its status and the choices its parameters take (no database)."""

from __future__ import annotations

from django.db import models


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
