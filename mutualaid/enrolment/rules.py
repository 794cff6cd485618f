"""Pure rules of enrolment (no database): the window, who of a household takes part, and the fee split.

Decision on 海安's special groups (海农〔2022〕92号 二：“拟享受海安市补充医疗保险救助项目的农村低收入人口等六类困难
对象原则上不参与该医疗互助”): the sentence is about persons, who are protected by the city's medical-assistance
scheme instead, while enrolment is by household (“以家庭为单位全体成员自愿参与”). So a household joins with all
its members on the register *except* those in an excluded category; they are neither enrolled nor charged nor
counted as eligible. A household whose every eligible member is excluded cannot be enrolled (typed error
``excluded_group``, nothing written).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from mutualaid.policies.terms import EnrolmentTerms, FundingSource, SpecialGroupTreatment

SHANGHAI = ZoneInfo("Asia/Shanghai")


def window_bounds(terms: EnrolmentTerms) -> tuple[datetime, datetime]:
    """[opens 00:00, closes + 1 day 00:00) in Asia/Shanghai: the window closes at 24:00 of its last day."""
    opens = datetime.combine(terms.enrolment_opens, time.min, tzinfo=SHANGHAI)
    closes = datetime.combine(terms.enrolment_closes + timedelta(days=1), time.min, tzinfo=SHANGHAI)
    return opens, closes


def window_is_open(terms: EnrolmentTerms, now: datetime) -> bool:
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    opens, closes = window_bounds(terms)
    return opens <= now < closes


def day_in_window(terms: EnrolmentTerms, day: date) -> bool:
    """Whether money received on ``day`` falls within the enrolment window (both ends included)."""
    return terms.enrolment_opens <= day <= terms.enrolment_closes


def is_on_register(status: str, registered_on: date, snapshot: date) -> bool:
    """On the household register at the snapshot date (户籍在册) and still active."""
    return status == "active" and registered_on <= snapshot


def excluded_category(terms: EnrolmentTerms, categories: Iterable[str]) -> str | None:
    """The first of the member's hardship categories that the policy excludes from joining, if any."""
    for category in categories:
        rule = terms.rule_for(category)
        if rule is not None and rule.treatment == SpecialGroupTreatment.EXCLUDED:
            return category
    return None


def member_fee(terms: EnrolmentTerms, categories: Iterable[str]) -> dict[str, int]:
    """One member's yearly fee in fen, split by funding source (chart order of the policy's shares).

    A member in a category whose person share is paid by another source (新胜镇: 低保对象等特殊困难群体的个人出资
    部分，由镇政府全额补助) has the person share moved to that source. Excluded members have no fee (callers
    check ``excluded_category`` first).
    """
    categories = list(categories)
    if excluded_category(terms, categories):
        return {}
    amounts: dict[str, int] = {}
    for share in terms.funding_shares:
        amounts[share.source] = amounts.get(share.source, 0) + share.amount_fen
    payer = None
    for category in categories:
        rule = terms.rule_for(category)
        if rule is not None and rule.treatment == SpecialGroupTreatment.EXEMPT_PERSON_SHARE and rule.paid_by:
            payer = rule.paid_by
            break
    person = amounts.get(FundingSource.PERSON, 0)
    if payer and payer != FundingSource.PERSON and person:
        amounts.pop(FundingSource.PERSON)
        amounts[payer] = amounts.get(payer, 0) + person
    return {source: fen for source, fen in amounts.items() if fen}


@dataclass(frozen=True)
class MemberFacts:
    """What the rules need to know about a member."""

    key: int
    status: str
    registered_on: date
    hardship_categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class HouseholdPlan:
    joining: tuple[int, ...]  # member keys that join
    excluded: tuple[tuple[int, str], ...]  # (member key, excluded category)
    fees: dict[int, dict[str, int]]  # member key → fen by source
    due_by_source: dict[str, int]

    @property
    def due_fen(self) -> int:
        return sum(self.due_by_source.values())


def plan_household(terms: EnrolmentTerms, members: Iterable[MemberFacts]) -> HouseholdPlan:
    """Who of a household joins for the scheme year, and what is due from each source."""
    joining: list[int] = []
    excluded: list[tuple[int, str]] = []
    fees: dict[int, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for member in members:
        if not is_on_register(member.status, member.registered_on, terms.register_snapshot_date):
            continue
        category = excluded_category(terms, member.hardship_categories)
        if category:
            excluded.append((member.key, category))
            continue
        joining.append(member.key)
        fees[member.key] = fee = member_fee(terms, member.hardship_categories)
        for source, fen in fee.items():
            totals[source] = totals.get(source, 0) + fen
    return HouseholdPlan(tuple(joining), tuple(excluded), fees, totals)


def share_of(part: int, whole: int) -> int | None:
    """part / whole in basis points (rounded down), None when whole is 0."""
    return None if not whole else part * 10000 // whole
