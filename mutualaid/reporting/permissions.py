"""Who sees and does what in supervision. Province sees its province, a county its county, a town only itself,
service firms their towns' timeliness; nobody another jurisdiction. Checked with ``has_permission``."""

from __future__ import annotations

from mutualaid.platform.accounts.permissions import Rule
from mutualaid.platform.accounts.roles import Role

VIEW_PROVINCE_DASHBOARD = Rule("view_province_dashboard", Role.PROVINCE_SUPERVISOR)
VIEW_COUNTY_DASHBOARD = Rule("view_county_dashboard", Role.PROVINCE_SUPERVISOR, Role.COUNTY_BUREAU)
VIEW_TOWN_FIGURES = Rule(
    "view_town_figures", Role.PROVINCE_SUPERVISOR, Role.COUNTY_BUREAU, Role.TOWN_ADMIN, Role.TOWN_FINANCE
)
VIEW_TIMELINESS = Rule(
    "view_timeliness",
    Role.PROVINCE_SUPERVISOR,
    Role.COUNTY_BUREAU,
    Role.TOWN_ADMIN,
    Role.TOWN_FINANCE,
    Role.FIRM_MANAGER,
    Role.FIRM_REVIEWER,
)
SET_TOWN_TARGETS = Rule("set_town_targets", Role.COUNTY_BUREAU)
SET_COUNTY_TARGETS = Rule("set_county_targets", Role.PROVINCE_SUPERVISOR)
FILE_QUARTERLY_REPORT = Rule("file_quarterly_report", Role.TOWN_ADMIN)
REVIEW_QUARTERLY_REPORT = Rule("review_quarterly_report", Role.COUNTY_BUREAU)
# The province reads accepted reports only (``visible`` in the queries).
VIEW_QUARTERLY_REPORTS = Rule(
    "view_quarterly_reports", Role.PROVINCE_SUPERVISOR, Role.COUNTY_BUREAU, Role.TOWN_ADMIN, Role.TOWN_FINANCE
)
EVALUATE_TOWN = Rule("evaluate_town", Role.COUNTY_BUREAU)
PUBLISH_SURVEY = Rule("publish_survey", Role.COUNTY_BUREAU)
ANSWER_SURVEY = Rule("answer_survey", Role.MEMBER, staff=False)
