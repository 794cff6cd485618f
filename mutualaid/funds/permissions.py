"""Who may read and write a town's fund ledger.

- town finance (镇财政 / 慈善基金会) posts income, grants, donations and interest, reverses entries and closes the
  year; town admin reads the ledger. Persons' contributions are posted by enrolment through
  ``mutualaid.funds.postings.post_contribution`` under enrolment's own permissions, never directly here.
- the county bureau reads the balances (summary and trial balance) of the towns in its county, not entries;
- service-firm reviewers, village coordinators and members do not see the ledger; anonymous users are refused;
- platform staff may read (support) but never post money into a town's books.
"""

from __future__ import annotations

from mutualaid.platform.accounts.models import RoleAssignment
from mutualaid.platform.accounts.permissions import Rule, Target, has_permission
from mutualaid.platform.accounts.roles import Role

READ_FUND_BALANCES = Rule(
    "read_fund_balances", Role.TOWN_FINANCE, Role.TOWN_ADMIN, Role.COUNTY_BUREAU, Role.AUDITOR
)
READ_FUND_LEDGER = Rule("read_fund_ledger", Role.TOWN_FINANCE, Role.TOWN_ADMIN, Role.AUDITOR)
POST_FUND_INCOME = Rule("post_fund_income", Role.TOWN_FINANCE, staff=False)
REVERSE_FUND_ENTRY = Rule("reverse_fund_entry", Role.TOWN_FINANCE, staff=False)
CLOSE_FUND_YEAR = Rule("close_fund_year", Role.TOWN_FINANCE, staff=False)
RECORD_FUND_EXPENSE = Rule("record_fund_expense", Role.TOWN_FINANCE, staff=False)
# Not a permission to post: who is told to assign the finance role when nobody holds it.
ADMINISTERS_TOWN = Rule("administers_town", Role.TOWN_ADMIN, staff=False)

# Why a town admin is refused a posting when the town has nobody to post (issue 14 item 4): the permission stays
# town finance's, but the refusal says what to do.
FINANCE_MISSING_MESSAGE = (
    "本镇还没有镇财政人员：资金收入、支出与冲销由镇财政（镇财政/慈善基金会）记账。"
    "请镇管理员先邀请镇财政人员并为其分配“镇财政”角色，再由镇财政登记。"
)


def finance_staffed(town_code: str) -> bool:
    """Whether an active user holds the town-finance role over the town."""
    return RoleAssignment.objects.filter(
        role=Role.TOWN_FINANCE, town__code=town_code, user__is_active=True
    ).exists()


def refusal_message(user, town_code: str) -> str | None:
    """The message for a town admin refused a finance-only operation while the town has no finance user; None
    when the usual refusal applies."""
    if user is None or not user.is_authenticated:
        return None
    if not has_permission(user, ADMINISTERS_TOWN, Target.town(town_code)):
        return None
    return None if finance_staffed(town_code) else FINANCE_MISSING_MESSAGE
