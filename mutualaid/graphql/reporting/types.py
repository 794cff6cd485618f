"""Types of supervision (platform schema): town lines of the dashboards, totals per county / city / province,
trend points, quarterly reports, evaluations and surveys. Read from rollups and public rows only."""

from __future__ import annotations

from datetime import date

import graphene

from mutualaid.graphql.core.values import yuan
from mutualaid.graphql.reporting.solvency import SolvencyFields


def _pct(bp):
    return None if bp is None else round(bp / 100, 2)


class SupervisionTargets(graphene.ObjectType):
    village_share_percent = graphene.Float(description="行政村参与率目标（%）")
    household_share_percent = graphene.Float(description="试点村农户参与率目标（%）")
    person_share_percent = graphene.Float(description="群众参与率目标（%）")
    source = graphene.String(required=True, description="county / province / policy / default")

    def resolve_village_share_percent(t, info):
        return _pct(t.village_bp)

    def resolve_household_share_percent(t, info):
        return _pct(t.household_bp)

    def resolve_person_share_percent(t, info):
        return _pct(t.person_bp)


class FigureFields:
    """Fields shared by a town line and totals (the object has the rollup's counted attributes)."""

    villages = graphene.Int(required=True)
    villages_joined = graphene.Int(required=True)
    eligible_people = graphene.Int(required=True)
    enrolled_people = graphene.Int(required=True)
    eligible_households = graphene.Int(required=True)
    enrolled_households = graphene.Int(required=True)
    eligible_households_in_joined = graphene.Int(required=True)
    enrolled_households_in_joined = graphene.Int(required=True)
    village_share_percent = graphene.Float()
    household_share_percent = graphene.Float()
    person_share_percent = graphene.Float()
    income = graphene.String(required=True, description="筹资收入（元）")
    receivables = graphene.String(required=True)
    payables = graphene.String(required=True)
    subsidies = graphene.String(required=True, description="已核准补助（元）")
    paid_out = graphene.String(required=True, description="已发放补助（元）")
    balance = graphene.String(required=True, description="专户余额（元）")
    claims_decided = graphene.Int(required=True)
    claims_overdue = graphene.Int(required=True)
    objections = graphene.Int(required=True)


def _figure_resolvers(cls, source):
    for name in (
        "villages",
        "villages_joined",
        "eligible_people",
        "enrolled_people",
        "eligible_households",
        "enrolled_households",
        "eligible_households_in_joined",
        "enrolled_households_in_joined",
        "claims_decided",
        "claims_overdue",
        "objections",
    ):
        setattr(cls, f"resolve_{name}", staticmethod(lambda obj, info, _n=name: getattr(source(obj), _n)))
    for name, attr in (
        ("income", "income_fen"),
        ("receivables", "receivables_fen"),
        ("payables", "payables_fen"),
        ("subsidies", "subsidies_fen"),
        ("paid_out", "paid_out_fen"),
        ("balance", "balance_fen"),
    ):
        setattr(
            cls, f"resolve_{name}", staticmethod(lambda obj, info, _a=attr: yuan(getattr(source(obj), _a)))
        )
    for name in ("village_share", "household_share", "person_share"):
        setattr(
            cls,
            f"resolve_{name}_percent",
            staticmethod(lambda obj, info, _n=name: _pct(getattr(obj, f"{_n}_bp"))),
        )


class SupervisionTown(FigureFields, SolvencyFields, graphene.ObjectType):
    """One town against its targets, fund health and run-dry probability (from its rollup)."""

    town_code = graphene.String(required=True)
    town_name = graphene.String(required=True)
    county_code = graphene.String(required=True)
    county_name = graphene.String(required=True)
    as_of = graphene.Date(required=True)
    has_policy = graphene.Boolean(required=True)
    targets = graphene.Field(SupervisionTargets, required=True)
    village_target_met = graphene.Boolean()
    household_target_met = graphene.Boolean()
    person_target_met = graphene.Boolean()
    behind_target = graphene.Boolean(required=True)
    months_of_payouts_covered = graphene.Float(description="余额可支付的月数（按本年月均补助）")
    decision_days_median = graphene.Float(description="审核用时中位数（工作日）")
    decision_days_p90 = graphene.Float(description="审核用时 90% 分位（工作日）")
    decided_within_limit_percent = graphene.Float()
    paid_next_month_percent = graphene.Float()
    claims_by_state = graphene.JSONString(required=True)
    income_by_source = graphene.JSONString(required=True, description="按来源的收入（元）")

    def resolve_town_code(line, info):
        return line.rollup.town.code

    def resolve_town_name(line, info):
        return line.rollup.town.name

    def resolve_county_code(line, info):
        return line.rollup.county.code

    def resolve_county_name(line, info):
        return line.rollup.county.name

    def resolve_as_of(line, info):
        return line.rollup.as_of

    def resolve_has_policy(line, info):
        return line.rollup.has_policy

    def resolve_village_target_met(line, info):
        return line.village_met

    def resolve_household_target_met(line, info):
        return line.household_met

    def resolve_person_target_met(line, info):
        return line.person_met

    def resolve_behind_target(line, info):
        return line.behind

    def resolve_months_of_payouts_covered(line, info):
        value = line.months_covered
        return None if value is None else float(value)

    def resolve_decision_days_median(line, info):
        value = line.rollup.decision_days_median
        return None if value is None else float(value)

    def resolve_decision_days_p90(line, info):
        value = line.rollup.decision_days_p90
        return None if value is None else float(value)

    def resolve_decided_within_limit_percent(line, info):
        return _pct(line.rollup.decided_within_limit_bp)

    def resolve_paid_next_month_percent(line, info):
        return _pct(line.rollup.paid_next_month_bp)

    def resolve_claims_by_state(line, info):
        return line.rollup.claims_by_state

    def resolve_income_by_source(line, info):
        return {k: yuan(v) for k, v in line.rollup.income_by_source.items()}


_figure_resolvers(SupervisionTown, lambda line: line.rollup)


class SupervisionTotals(FigureFields, graphene.ObjectType):
    towns = graphene.Int(required=True)
    towns_behind_target = graphene.Int(required=True)
    towns_at_risk = graphene.Int(
        required=True, description="资金风险乡镇数：已发布补助表的资金用尽概率高于 10% 的乡镇"
    )

    def resolve_towns_behind_target(totals, info):
        return totals.towns_behind


_figure_resolvers(SupervisionTotals, lambda totals: totals)


class SupervisionGroup(graphene.ObjectType):
    """A county or city with its towns' totals."""

    code = graphene.String(required=True)
    name = graphene.String(required=True)
    totals = graphene.Field(SupervisionTotals, required=True)


class CountyDashboard(graphene.ObjectType):
    county_code = graphene.String(required=True)
    county_name = graphene.String(required=True)
    scheme_year = graphene.Int(required=True)
    towns = graphene.List(graphene.NonNull(SupervisionTown), required=True, description="未达目标的乡镇在前")
    totals = graphene.Field(SupervisionTotals, required=True)


class ProvinceDashboard(graphene.ObjectType):
    province_code = graphene.String(required=True)
    scheme_year = graphene.Int(required=True)
    cities = graphene.List(graphene.NonNull(SupervisionGroup), required=True)
    counties = graphene.List(graphene.NonNull(SupervisionGroup), required=True)
    towns = graphene.List(
        graphene.NonNull(SupervisionTown),
        required=True,
        description="乡镇（未达目标的在前，至多 townLimit 个）",
    )
    totals = graphene.Field(SupervisionTotals, required=True)


class TownTimeliness(graphene.ObjectType):
    """Claims timeliness of a town (what service firms see)."""

    town_code = graphene.String(required=True)
    town_name = graphene.String(required=True)
    as_of = graphene.Date(required=True)
    claims_decided = graphene.Int(required=True)
    claims_overdue = graphene.Int(required=True)
    decision_days_median = graphene.Float()
    decision_days_p90 = graphene.Float()
    decided_within_limit_percent = graphene.Float()
    paid_next_month_percent = graphene.Float()

    def resolve_town_code(row, info):
        return row.town.code

    def resolve_town_name(row, info):
        return row.town.name

    def resolve_decision_days_median(row, info):
        return None if row.decision_days_median is None else float(row.decision_days_median)

    def resolve_decision_days_p90(row, info):
        return None if row.decision_days_p90 is None else float(row.decision_days_p90)

    def resolve_decided_within_limit_percent(row, info):
        return _pct(row.decided_within_limit_bp)

    def resolve_paid_next_month_percent(row, info):
        return _pct(row.paid_next_month_bp)


class TrendPoint(graphene.ObjectType):
    as_of = graphene.Date(required=True)
    kind = graphene.String(required=True, description="monthly 月末快照 / current 最新")
    enrolled_people = graphene.Int(required=True)
    enrolled_households = graphene.Int(required=True)
    person_share_percent = graphene.Float()
    income = graphene.String(required=True)
    subsidies = graphene.String(required=True)
    balance = graphene.String(required=True)
    claims_decided = graphene.Int(required=True)

    def resolve_person_share_percent(row, info):
        return _pct(row.enrolled_people * 10000 // row.eligible_people if row.eligible_people else None)

    def resolve_income(row, info):
        return yuan(row.income_fen)

    def resolve_subsidies(row, info):
        return yuan(row.subsidies_fen)

    def resolve_balance(row, info):
        return yuan(row.balance_fen)


class PlanTaskType(graphene.ObjectType):
    key = graphene.String(required=True)
    title = graphene.String(required=True)
    quarter = graphene.Int(required=True)
    due_date = graphene.Date(required=True)
    target = graphene.String(required=True)


class ReportItem(graphene.ObjectType):
    key = graphene.String(required=True)
    title = graphene.String(required=True)
    due_date = graphene.Date(required=True)
    status = graphene.String(required=True, description="done 已完成 / late 滞后 / pending 未到期")
    note = graphene.String(required=True)

    def resolve_due_date(item, info):
        return date.fromisoformat(item["due_date"])


for _name in ("key", "title", "status", "note"):
    setattr(ReportItem, f"resolve_{_name}", staticmethod(lambda item, info, _n=_name: item[_n]))


class QuarterlyReportType(graphene.ObjectType):
    id = graphene.ID(required=True)
    town_code = graphene.String(required=True)
    town_name = graphene.String(required=True)
    scheme_year = graphene.Int(required=True)
    quarter = graphene.Int(required=True)
    state = graphene.String(required=True, description="filed 已上报 / returned 已退回 / accepted 已通过")
    revision = graphene.Int(required=True)
    items = graphene.List(graphene.NonNull(ReportItem), required=True)
    figures = graphene.JSONString(required=True, description="上报时的汇总数据")
    summary = graphene.String(required=True)
    filed_at = graphene.DateTime(required=True)
    review_comment = graphene.String(required=True)
    reviewed_at = graphene.DateTime()
    history = graphene.JSONString(required=True)

    def resolve_id(report, info):
        return str(report.pk)

    def resolve_town_code(report, info):
        return report.town.code

    def resolve_town_name(report, info):
        return report.town.name


class EvaluationItem(graphene.ObjectType):
    key = graphene.String(required=True)
    section = graphene.String(required=True)
    title = graphene.String(required=True)
    value = graphene.String(required=True)
    target = graphene.String(required=True)
    passed = graphene.Boolean()
    evidence = graphene.String(required=True)

    @staticmethod
    def resolve_key(item, info):
        return item["key"]


for _name in ("section", "title", "value", "target", "passed", "evidence"):
    setattr(EvaluationItem, f"resolve_{_name}", staticmethod(lambda item, info, _n=_name: item[_n]))


class EvaluationType(graphene.ObjectType):
    town_code = graphene.String(required=True)
    town_name = graphene.String(required=True)
    scheme_year = graphene.Int(required=True)
    state = graphene.String(required=True, description="computed 已计算 / signed_off 已签署（冻结）")
    score = graphene.Int(required=True, description="达标项占已判定项的百分比")
    items = graphene.List(graphene.NonNull(EvaluationItem), required=True)
    computed_at = graphene.DateTime(required=True)
    findings_briefing = graphene.String(required=True)
    findings_spot_check = graphene.String(required=True)
    grade = graphene.String(required=True)
    signed_off_at = graphene.DateTime()
    signed_off_by = graphene.String(required=True)

    def resolve_town_code(e, info):
        return e.town.code

    def resolve_town_name(e, info):
        return e.town.name

    def resolve_signed_off_by(e, info):
        return e.signed_off_by_username


class SurveyQuestion(graphene.ObjectType):
    key = graphene.String(required=True)
    theme = graphene.String(required=True)
    text = graphene.String(required=True)
    kind = graphene.String(required=True, description="likert 1–5 分 / text 文字")


for _name in ("key", "theme", "text", "kind"):
    setattr(SurveyQuestion, f"resolve_{_name}", staticmethod(lambda q, info, _n=_name: q[_n]))


class SurveyType(graphene.ObjectType):
    id = graphene.ID(required=True)
    county_code = graphene.String(required=True)
    scheme_year = graphene.Int(required=True)
    title = graphene.String(required=True)
    state = graphene.String(required=True)
    questions = graphene.List(graphene.NonNull(SurveyQuestion), required=True)
    answered = graphene.Boolean(description="当前村民是否已作答")

    def resolve_id(s, info):
        return str(s.pk)

    def resolve_county_code(s, info):
        return s.county.code


class SurveyTownResult(graphene.ObjectType):
    town_code = graphene.String(required=True)
    town_name = graphene.String(required=True)
    answers = graphene.Int(required=True)
    response_rate_percent = graphene.Float()
    satisfaction_percent = graphene.Float()
    items = graphene.JSONString(required=True, description="各题平均分（1–5）")


class ExportFile(graphene.ObjectType):
    file_name = graphene.String(required=True)
    content_type = graphene.String(required=True)
    base64 = graphene.String(required=True)
