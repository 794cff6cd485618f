"""The fixed chart of accounts of a town's fund pool (pure data, no DB).

One chart for every scheme year; each journal entry and line carries its ``scheme_year``, so a year's books are
the lines of that year. A chart per year would copy identical rows every year and make cross-year questions
(pledged in 2022, settled in 2023) a matter of matching account rows instead of filtering one column; the chart
changes only when the code changes, and then for every year at once.

Codes are stable identifiers (shown on printed statements); keys are what code uses. Income accounts reuse the
``FundingSource`` values of ``mutualaid.policies.terms`` plus ``interest``; receivables exist for every source
that can pledge money (not persons, not interest).

Recovery of a subsidy got by fraud (骗取补助) is double-entry: marking the paid claim recovered moves the amount
from 互助补助支出 to 应收个人退回补助 (``member_receivable``, Dr receivable / Cr expense: the subsidy was never
due, so the year's subsidy expense no longer shows it); each repayment is Dr bank / Cr receivable; what cannot be
recovered is written off, with approval, to 追回补助核销损失 (``expense:recovery_write_offs``, Dr loss /
Cr receivable). The write-off does not go back to 互助补助支出 because an accountant (and the monthly 公示) keeps
subsidies for the stays the rules approved: a fraud nobody could recover is a bad debt of the fund (坏账损失), not
a subsidy to the member, whose yearly total stays restored. The member receivable is not keyed
``receivable:<source>``: those are pledged income not yet received, and readers of the ledger (scheme design)
treat them as such.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from mutualaid.policies.terms import FundingSource


class AccountKind(models.TextChoices):
    ASSET = "asset", "资产"
    LIABILITY = "liability", "负债"
    NET_ASSETS = "net_assets", "净资产"
    INCOME = "income", "收入"
    EXPENSE = "expense", "支出"


class Side(models.TextChoices):
    DEBIT = "debit", "借"
    CREDIT = "credit", "贷"


NORMAL_SIDE = {
    AccountKind.ASSET: Side.DEBIT,
    AccountKind.EXPENSE: Side.DEBIT,
    AccountKind.LIABILITY: Side.CREDIT,
    AccountKind.NET_ASSETS: Side.CREDIT,
    AccountKind.INCOME: Side.CREDIT,
}

INTEREST = "interest"
INTEREST_LABEL = "利息收入"

# Stable suffixes per source: a new FundingSource needs a line here (a test checks every source has one).
SOURCE_SUFFIX = {
    FundingSource.PERSON: "01",
    FundingSource.TOWN_FINANCE: "02",
    FundingSource.VILLAGE_COLLECTIVE: "03",
    FundingSource.CHARITY: "04",
    FundingSource.ENTERPRISE: "05",
    FundingSource.TOWN_CHARITY_FOUNDATION: "06",
    FundingSource.GOVERNMENT_GRANT: "07",
    FundingSource.DONOR: "08",
    INTEREST: "09",
}
SOURCE_LABELS: dict[str, str] = {**dict(FundingSource.choices), INTEREST: INTEREST_LABEL}
INCOME_SOURCES: tuple[str, ...] = tuple(SOURCE_SUFFIX)
PLEDGE_SOURCES: tuple[str, ...] = tuple(
    s for s in INCOME_SOURCES if s not in (FundingSource.PERSON, INTEREST)
)

BANK = "bank"
PAYABLE_SUBSIDIES = "payable:subsidies"
PAYABLE_SERVICE_FEES = "payable:service_fees"
PAYABLE_ADVANCE_TOWN = "payable:advance_town"
PAYABLE_ADVANCE_VILLAGE = "payable:advance_village"
CARRIED_FORWARD = "net_assets:carried_forward"
CURRENT_SURPLUS = "net_assets:current_surplus"
EXPENSE_SUBSIDIES = "expense:subsidies"
EXPENSE_SERVICE_FEES = "expense:service_fees"
# Subsidies got by fraud (骗取补助) and recovered: owed back by the member until repaid or written off.
MEMBER_RECEIVABLE = "member_receivable"
# What cannot be recovered and is written off with approval: a loss of the fund, not a subsidy (see below).
EXPENSE_RECOVERY_WRITE_OFFS = "expense:recovery_write_offs"


def income(source: str) -> str:
    return f"income:{source}"


def receivable(source: str) -> str:
    return f"receivable:{source}"


@dataclass(frozen=True)
class AccountDef:
    code: str
    key: str
    name: str
    kind: str
    source: str = ""

    @property
    def normal_side(self) -> str:
        return NORMAL_SIDE[AccountKind(self.kind)]


def chart() -> tuple[AccountDef, ...]:
    accounts = [AccountDef("1002", BANK, "银行存款（互助资金专户）", AccountKind.ASSET)]
    accounts += [
        AccountDef(
            f"1221{SOURCE_SUFFIX[s]}", receivable(s), f"应收补助款—{SOURCE_LABELS[s]}", AccountKind.ASSET, s
        )
        for s in PLEDGE_SOURCES
    ]
    accounts.append(AccountDef("1231", MEMBER_RECEIVABLE, "应收个人退回补助", AccountKind.ASSET))
    accounts += [
        AccountDef("2201", PAYABLE_SUBSIDIES, "应付互助补助", AccountKind.LIABILITY),
        AccountDef("2202", PAYABLE_SERVICE_FEES, "应付第三方服务费", AccountKind.LIABILITY),
        AccountDef("2241", PAYABLE_ADVANCE_TOWN, "应付镇级垫付款", AccountKind.LIABILITY),
        AccountDef("2242", PAYABLE_ADVANCE_VILLAGE, "应付村级垫付款", AccountKind.LIABILITY),
        AccountDef("3101", CARRIED_FORWARD, "上年结转", AccountKind.NET_ASSETS),
        AccountDef("3102", CURRENT_SURPLUS, "本年结余", AccountKind.NET_ASSETS),
    ]
    accounts += [
        AccountDef(f"41{SOURCE_SUFFIX[s]}", income(s), f"{SOURCE_LABELS[s]}收入", AccountKind.INCOME, s)
        if s != INTEREST
        else AccountDef(f"41{SOURCE_SUFFIX[s]}", income(s), INTEREST_LABEL, AccountKind.INCOME, s)
        for s in INCOME_SOURCES
    ]
    accounts += [
        AccountDef("5101", EXPENSE_SUBSIDIES, "互助补助支出", AccountKind.EXPENSE),
        AccountDef("5102", EXPENSE_SERVICE_FEES, "第三方服务费支出", AccountKind.EXPENSE),
        AccountDef("5103", EXPENSE_RECOVERY_WRITE_OFFS, "追回补助核销损失", AccountKind.EXPENSE),
    ]
    return tuple(accounts)


CHART_BY_KEY = {a.key: a for a in chart()}
