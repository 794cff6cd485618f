"""Supervision queries (platform schema). Dashboards read rollups only: their cost does not grow with the number
of towns. A county or province the user may not see answers PERMISSION_DENIED, the same as a missing one."""

from __future__ import annotations

import base64

import graphene

from mutualaid.graphql.core.permissions import PermissionDeniedError
from mutualaid.graphql.reporting import types
from mutualaid.platform.accounts.permissions import Target, has_permission, visible_towns_filter
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.regions.models import County
from mutualaid.reporting import actions, dashboards, exports, selectors
from mutualaid.reporting import permissions as perms
from mutualaid.reporting.models import Evaluation, PlanTask, Survey
from mutualaid.tenants.models import Town


def _deny(info):
    raise PermissionDeniedError("请先登录" if not info.context.user.is_authenticated else "无权访问")


def _county(info, code: str) -> County:
    county = County.objects.filter(code=code).first()
    if county is None or not has_permission(
        info.context.user, perms.VIEW_COUNTY_DASHBOARD, Target.county(code)
    ):
        _deny(info)
    assert county is not None
    return county


def _province(info, code: str) -> str:
    if not has_permission(info.context.user, perms.VIEW_PROVINCE_DASHBOARD, Target.province(code)):
        _deny(info)
    return code


def _town(info, code: str, rule) -> Town:
    town = Town.objects.filter(code=code).first()
    if town is None or not has_permission(info.context.user, rule, Target.town(code)):
        _deny(info)
    assert town is not None
    return town


def county_dashboard(info, county_code, scheme_year):
    county = _county(info, county_code)
    found = dashboards.county_dashboard(county, scheme_year)
    return county, found


def province_dashboard(info, province_code, scheme_year, city_code=None, town_limit=None):
    _province(info, province_code)
    if city_code and not city_code.startswith(province_code):
        _deny(info)
    return dashboards.province_dashboard(
        province_code, scheme_year, city_code=city_code, town_limit=town_limit
    )


def _file(name: str, content_type: str, content: bytes) -> types.ExportFile:
    return types.ExportFile(
        file_name=name, content_type=content_type, base64=base64.b64encode(content).decode()
    )


class ReportingQueries(graphene.ObjectType):
    county_dashboard = graphene.Field(
        types.CountyDashboard,
        county_code=graphene.String(required=True),
        scheme_year=graphene.Int(required=True),
        description="县级看板：本县各镇对照目标（未达目标的在前）、资金、审核时效（只读汇总表）",
    )
    province_dashboard = graphene.Field(
        types.ProvinceDashboard,
        province_code=graphene.String(required=True),
        scheme_year=graphene.Int(required=True),
        city_code=graphene.String(description="只看一个市"),
        town_limit=graphene.Int(
            description="乡镇列表最多返回的个数（未达目标的在前；合计含全部乡镇），默认 200"
        ),
        description="省级看板：按市、按县、按镇及合计（只读汇总表）",
    )
    dashboard_export = graphene.Field(
        types.ExportFile,
        scheme_year=graphene.Int(required=True),
        county_code=graphene.String(),
        province_code=graphene.String(),
        description="看板导出 xlsx（给出县或省）",
    )
    town_trend = graphene.List(
        graphene.NonNull(types.TrendPoint),
        town_code=graphene.String(required=True),
        scheme_year=graphene.Int(required=True),
        description="乡镇月度趋势（月末快照，最后一项为最新）",
    )
    town_supervision = graphene.Field(
        types.SupervisionTown,
        town_code=graphene.String(required=True),
        scheme_year=graphene.Int(required=True),
        description="一个乡镇的汇总（镇本级、所属县、省可见）",
    )
    claims_timeliness = graphene.List(
        graphene.NonNull(types.TownTimeliness),
        scheme_year=graphene.Int(required=True),
        description="可见乡镇的审核与发放时效（服务机构：所服务乡镇）",
    )
    quarterly_plan = graphene.List(
        graphene.NonNull(types.PlanTaskType),
        town_code=graphene.String(required=True),
        scheme_year=graphene.Int(required=True),
    )
    quarterly_reports = graphene.List(
        graphene.NonNull(types.QuarterlyReportType),
        scheme_year=graphene.Int(required=True),
        town_code=graphene.String(),
        description="季度推进情况报告：镇看本镇，县看本县，省只看已通过的",
    )
    evaluation = graphene.Field(
        types.EvaluationType,
        town_code=graphene.String(required=True),
        scheme_year=graphene.Int(required=True),
    )
    evaluation_export = graphene.Field(
        types.ExportFile,
        town_code=graphene.String(required=True),
        scheme_year=graphene.Int(required=True),
        format=graphene.String(description="pdf（默认）或 xlsx"),
    )
    survey_results = graphene.List(
        graphene.NonNull(types.SurveyTownResult),
        county_code=graphene.String(required=True),
        scheme_year=graphene.Int(required=True),
        description="满意度调查结果（按镇、按题，含回复率；不显示答卷人）",
    )
    member_survey = graphene.Field(
        types.SurveyType,
        town_code=graphene.String(required=True),
        scheme_year=graphene.Int(required=True),
        description="村民手机作答的问卷",
    )

    def resolve_county_dashboard(root, info, county_code, scheme_year):
        county, found = county_dashboard(info, county_code, scheme_year)
        return types.CountyDashboard(
            county_code=county.code,
            county_name=county.name,
            scheme_year=scheme_year,
            towns=found.towns,
            totals=found.totals,
        )

    def resolve_province_dashboard(root, info, province_code, scheme_year, city_code=None, town_limit=None):
        limit = 200 if town_limit is None else max(0, min(town_limit, 5000))
        found = province_dashboard(info, province_code, scheme_year, city_code, limit)
        return types.ProvinceDashboard(
            province_code=province_code,
            scheme_year=scheme_year,
            cities=found.cities,
            counties=found.counties,
            towns=found.towns,
            totals=found.totals,
        )

    def resolve_dashboard_export(root, info, scheme_year, county_code=None, province_code=None):
        if county_code:
            county, found = county_dashboard(info, county_code, scheme_year)
            name = county.name
        elif province_code:
            found = province_dashboard(info, province_code, scheme_year)
            name = f"省（{province_code}）"
        else:
            _deny(info)
        content = exports.dashboard_xlsx(found, f"{name}乡村公益医疗互助推进情况")
        return _file(f"supervision-{county_code or province_code}-{scheme_year}.xlsx", exports.XLSX, content)

    def resolve_town_trend(root, info, town_code, scheme_year):
        town = _town(info, town_code, perms.VIEW_TOWN_FIGURES)
        return dashboards.town_trend(town.pk, scheme_year)

    def resolve_town_supervision(root, info, town_code, scheme_year):
        town = _town(info, town_code, perms.VIEW_TOWN_FIGURES)
        return dashboards.town_line(town, scheme_year)

    def resolve_claims_timeliness(root, info, scheme_year):
        user = info.context.user
        if not user.is_authenticated:
            _deny(info)
        visible = Town.objects.filter(visible_towns_filter(user, perms.VIEW_TIMELINESS.roles)).values_list(
            "pk", flat=True
        )
        firm_towns = Town.objects.filter(
            service_firms__in=user.role_assignments.filter(
                role__in=(Role.FIRM_REVIEWER, Role.FIRM_MANAGER), firm__isnull=False
            ).values("firm_id")
        ).values_list("pk", flat=True)
        return dashboards.timeliness(list(visible) + list(firm_towns), scheme_year)

    def resolve_quarterly_plan(root, info, town_code, scheme_year):
        town = _town(info, town_code, perms.VIEW_QUARTERLY_REPORTS)
        return list(PlanTask.objects.filter(town=town, scheme_year=scheme_year))

    def resolve_quarterly_reports(root, info, scheme_year, town_code=None):
        user = info.context.user
        if not user.is_authenticated:
            _deny(info)
        return selectors.visible_reports(user, scheme_year, town_code=town_code)

    def resolve_evaluation(root, info, town_code, scheme_year):
        town = _town(info, town_code, perms.VIEW_TOWN_FIGURES)
        return Evaluation.objects.filter(town=town, scheme_year=scheme_year).select_related("town").first()

    def resolve_evaluation_export(root, info, town_code, scheme_year, format=None):
        town = _town(info, town_code, perms.VIEW_TOWN_FIGURES)
        evaluation = (
            Evaluation.objects.filter(town=town, scheme_year=scheme_year).select_related("town").first()
        )
        if evaluation is None:
            return None
        if (format or "pdf") == "xlsx":
            return _file(
                f"evaluation-{town.code}-{scheme_year}.xlsx",
                exports.XLSX,
                exports.evaluation_xlsx(evaluation),
            )
        return _file(
            f"evaluation-{town.code}-{scheme_year}.pdf", exports.PDF, exports.evaluation_pdf(evaluation)
        )

    def resolve_survey_results(root, info, county_code, scheme_year):
        county = _county(info, county_code)
        survey = Survey.objects.filter(county=county, scheme_year=scheme_year).first()
        if survey is None:
            return []
        towns = list(Town.objects.filter(county=county).order_by("code"))
        results = actions.survey_results(survey, [t.pk for t in towns])
        return [
            types.SurveyTownResult(
                town_code=t.code,
                town_name=t.name,
                answers=results[t.pk]["answers"],
                response_rate_percent=types._pct(results[t.pk]["response_bp"]),
                satisfaction_percent=types._pct(results[t.pk]["score_bp"]),
                items=results[t.pk]["items"],
            )
            for t in towns
        ]

    def resolve_member_survey(root, info, town_code, scheme_year):
        town = _town(info, town_code, perms.ANSWER_SURVEY)
        survey = (
            Survey.objects.filter(county_id=town.county_id, scheme_year=scheme_year)
            .select_related("county")
            .first()
        )
        if survey is not None:
            survey.answered = survey.answers.filter(
                respondent_hash=actions.respondent_hash(survey, info.context.user)
            ).exists()
        return survey
