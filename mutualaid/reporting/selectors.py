"""Which supervision rows a user may see, decided once for the API and the console: quarterly reports (the county
and the town all of theirs, the province and town finance the accepted ones), the towns and counties a supervisor
oversees."""

from __future__ import annotations

from django.db.models import QuerySet

from mutualaid.platform.accounts.permissions import Rule, Target, has_permission, visible_towns_filter
from mutualaid.platform.regions.models import County
from mutualaid.reporting import permissions as perms
from mutualaid.reporting.models import QuarterlyReport, ReportState
from mutualaid.tenants.models import Town, TownStatus


def may_see_report(user, report: QuarterlyReport) -> bool:
    target = Target.town(report.town.code)
    if has_permission(user, perms.REVIEW_QUARTERLY_REPORT, target) or has_permission(
        user, perms.FILE_QUARTERLY_REPORT, target
    ):
        return True
    return report.state == ReportState.ACCEPTED and has_permission(user, perms.VIEW_QUARTERLY_REPORTS, target)


def visible_reports(
    user, scheme_year: int, *, town_code: str | None = None, quarter: int | None = None
) -> list[QuarterlyReport]:
    """The year's reports the user may read, by quarter then town."""
    if user is None or not user.is_authenticated:
        return []
    reports = QuarterlyReport.objects.filter(scheme_year=scheme_year).select_related("town")
    if town_code:
        reports = reports.filter(town__code=town_code)
    if quarter:
        reports = reports.filter(quarter=quarter)
    reports = reports.order_by("quarter", "town__code")
    if user.is_staff:
        return list(reports)
    mine = Town.objects.filter(visible_towns_filter(user)).values("pk")
    return [r for r in reports.filter(town_id__in=mine) if may_see_report(user, r)]


def visible_report(user, pk: int) -> QuarterlyReport | None:
    report = QuarterlyReport.objects.select_related("town", "county").filter(pk=pk).first()
    return report if report is not None and may_see_report(user, report) else None


def supervised_towns(user, rule: Rule = perms.VIEW_COUNTY_DASHBOARD) -> QuerySet[Town]:
    """Active towns of the user's jurisdiction under ``rule`` (a county's towns, a province's)."""
    return (
        Town.objects.filter(status=TownStatus.ACTIVE)
        .filter(visible_towns_filter(user, rule.roles))
        .select_related("county")
        .order_by("code")
    )


def supervised_counties(user, rule: Rule = perms.VIEW_COUNTY_DASHBOARD) -> list[County]:
    """Counties with towns the user oversees under ``rule``."""
    ids = supervised_towns(user, rule).values("county_id")
    counties = County.objects.filter(pk__in=ids).order_by("code")
    return [c for c in counties if has_permission(user, rule, Target.county(c.code))]
