"""Who may read and write a town's fund ledger.

- town finance (镇财政 / 慈善基金会) posts income, grants, donations and interest, reverses entries and closes the
  year; town admin reads the ledger. Persons' contributions are posted by enrolment through
  ``mutualaid.funds.postings.post_contribution`` under enrolment's own permissions, never directly here.
- the county bureau reads the balances (summary and trial balance) of the towns in its county, not entries;
- service-firm reviewers, village coordinators and members do not see the ledger; anonymous users are refused;
- platform staff may read (support) but never post money into a town's books.
"""

from __future__ import annotations

from mutualaid.platform.accounts.permissions import Rule
from mutualaid.platform.accounts.roles import Role

READ_FUND_BALANCES = Rule("read_fund_balances", Role.TOWN_FINANCE, Role.TOWN_ADMIN, Role.COUNTY_BUREAU)
READ_FUND_LEDGER = Rule("read_fund_ledger", Role.TOWN_FINANCE, Role.TOWN_ADMIN)
POST_FUND_INCOME = Rule("post_fund_income", Role.TOWN_FINANCE, staff=False)
REVERSE_FUND_ENTRY = Rule("reverse_fund_entry", Role.TOWN_FINANCE, staff=False)
CLOSE_FUND_YEAR = Rule("close_fund_year", Role.TOWN_FINANCE, staff=False)
RECORD_FUND_EXPENSE = Rule("record_fund_expense", Role.TOWN_FINANCE, staff=False)
