"""The contract between the scheme-year policy and enrolment: what enrolment needs to know, as plain values.

``mutualaid.policies.selectors.enrolment_terms(scheme_year)`` returns the published policy in force as
``EnrolmentTerms``; enrolment, contributions and participation take terms as an argument, so their rules are
testable without a policy row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db import models


class FundingSource(models.TextChoices):
    """Who pays (筹资来源); also the income accounts of the fund ledger."""

    PERSON = "person", "个人缴费"
    TOWN_FINANCE = "town_finance", "镇财政"
    VILLAGE_COLLECTIVE = "village_collective", "村集体经济"
    CHARITY = "charity", "社会慈善组织"
    ENTERPRISE = "enterprise", "爱心企业"
    TOWN_CHARITY_FOUNDATION = "town_charity_foundation", "镇慈善基金会"
    GOVERNMENT_GRANT = "government_grant", "政府补助"
    DONOR = "donor", "乡贤及社会捐赠"


class HardshipCategory(models.TextChoices):
    """特殊困难群体 categories that a policy may exempt from the person share or exclude from joining."""

    DIBAO = "dibao", "低保对象"
    TEKUN = "tekun", "特困供养人员"
    LOW_INCOME = "low_income", "低保边缘等农村低收入人口"
    MONITORED = "monitored", "防止返贫监测对象"
    ORPHAN = "orphan", "孤儿及事实无人抚养儿童"
    SEVERE_DISABILITY = "severe_disability", "重度残疾人"


class SpecialGroupTreatment(models.TextChoices):
    EXEMPT_PERSON_SHARE = "exempt_person_share", "个人出资部分由指定来源全额补助"
    EXCLUDED = "excluded", "不参加本互助"


@dataclass(frozen=True)
class FundingShare:
    source: str  # a FundingSource value
    amount_fen: int  # per person per year


@dataclass(frozen=True)
class SpecialGroupRule:
    category: str  # a HardshipCategory value
    treatment: str  # a SpecialGroupTreatment value
    paid_by: str | None = None  # FundingSource paying the person share when exempt


@dataclass(frozen=True)
class EnrolmentTerms:
    policy_id: int | None
    version: int
    scheme_year: int  # 互助年度, named by the year enrolment happens in (2022 = 2022-11-01 … 2023-10-31)
    fee_per_person_fen: int
    funding_shares: tuple[FundingShare, ...]
    special_groups: tuple[SpecialGroupRule, ...]
    register_snapshot_date: date  # 户籍在册截止日
    enrolment_opens: date
    enrolment_closes: date  # inclusive: closes at 24:00 Asia/Shanghai of this day
    coverage_start: date
    coverage_end: date
    target_village_share_bp: int | None = None  # basis points: 5000 = 50%
    target_household_share_bp: int | None = None
    target_person_share_bp: int | None = None
    # Participation counts enrolments paid in full; a policy that counts unpaid ones must say so here.
    participation_counts_unpaid: bool = False

    def rule_for(self, category: str) -> SpecialGroupRule | None:
        return next((rule for rule in self.special_groups if rule.category == category), None)
