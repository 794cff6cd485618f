"""fileQuarterlyPlan, fileQuarterlyReport (the town), reviewQuarterlyReport (the county: accept or return)."""

from __future__ import annotations

import graphene

from mutualaid.graphql.core.errors import NotFound
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.reporting.inputs import PlanTaskTargetInput, ReportItemInput
from mutualaid.graphql.reporting.mutations.base import ReportingError, town_for
from mutualaid.graphql.reporting.types import PlanTaskType, QuarterlyReportType
from mutualaid.platform.accounts.permissions import Target, has_permission
from mutualaid.reporting import actions
from mutualaid.reporting import permissions as perms
from mutualaid.reporting.models import QuarterlyReport


class FileQuarterlyPlan(BaseMutation):
    """镇上报年度推进计划（按海安实施步骤的任务模板，各任务的完成时限与目标）。"""

    tasks = graphene.List(graphene.NonNull(PlanTaskType))

    class Arguments:
        town_code = graphene.String(required=True)
        scheme_year = graphene.Int(required=True)
        targets = graphene.List(graphene.NonNull(PlanTaskTargetInput), description="改写任务目标")

    class Meta:
        permission = perms.FILE_QUARTERLY_REPORT
        error_type = ReportingError

    @classmethod
    def get_target(cls, info, town_code, **data):
        return Target.town(town_for(info, town_code, perms.FILE_QUARTERLY_REPORT).code)

    @classmethod
    def perform_mutation(cls, info, town_code, scheme_year, targets=None):
        town = town_for(info, town_code, perms.FILE_QUARTERLY_REPORT)
        given = {t.key: t.target for t in targets or []}
        return cls(tasks=actions.file_plan(town, scheme_year, targets=given, actor=info.context.user))


class FileQuarterlyReport(BaseMutation):
    """镇上报季度推进情况（逐项完成/滞后及说明；数据取自汇总表）。被退回的报告修改后再次上报。"""

    report = graphene.Field(QuarterlyReportType)

    class Arguments:
        town_code = graphene.String(required=True)
        scheme_year = graphene.Int(required=True)
        quarter = graphene.Int(required=True)
        items = graphene.List(graphene.NonNull(ReportItemInput), required=True)
        summary = graphene.String()

    class Meta:
        permission = perms.FILE_QUARTERLY_REPORT
        error_type = ReportingError

    @classmethod
    def get_target(cls, info, town_code, **data):
        return Target.town(town_for(info, town_code, perms.FILE_QUARTERLY_REPORT).code)

    @classmethod
    def perform_mutation(cls, info, town_code, scheme_year, quarter, items, summary=""):
        town = town_for(info, town_code, perms.FILE_QUARTERLY_REPORT)
        rows = [{"key": i.key, "status": i.status, "note": i.get("note") or ""} for i in items]
        report = actions.file_report(
            town, scheme_year, quarter, items=rows, summary=summary or "", actor=info.context.user
        )
        return cls(report=report)


def _report(info, id) -> QuarterlyReport:
    report = (
        QuarterlyReport.objects.select_related("town").filter(pk=int(id) if str(id).isdigit() else 0).first()
    )
    if report is None or not has_permission(
        info.context.user, perms.REVIEW_QUARTERLY_REPORT, Target.town(report.town.code)
    ):
        raise NotFound("id")
    return report


class ReviewQuarterlyReport(BaseMutation):
    """县级审核季度报告：通过（汇总至省）或退回并填写意见。"""

    report = graphene.Field(QuarterlyReportType)

    class Arguments:
        id = graphene.ID(required=True)
        accept = graphene.Boolean(required=True)
        comment = graphene.String()

    class Meta:
        permission = perms.REVIEW_QUARTERLY_REPORT
        error_type = ReportingError

    @classmethod
    def get_target(cls, info, id, **data):
        return Target.town(_report(info, id).town.code)

    @classmethod
    def perform_mutation(cls, info, id, accept, comment=""):
        report = actions.review_report(
            _report(info, id), accept=accept, comment=comment or "", actor=info.context.user
        )
        return cls(report=report)
