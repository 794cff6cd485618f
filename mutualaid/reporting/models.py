"""Supervision across towns (public schema): rollups of every town's figures, targets set by the level above,
quarterly progress reports (季度推进计划表), the November evaluation (评估验收) and the satisfaction survey.

Only aggregates live here: no names, ID numbers, member or claim ids. Survey answers keep a keyed hash of the
respondent (one answer per member) and never the user.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class RollupKind(models.TextChoices):
    CURRENT = "current", "最新"
    MONTHLY = "monthly", "月末快照"


class TownRollup(models.Model):
    """A town's figures for a scheme year as of a date. One ``current`` row per town and year (refreshed in
    place), and one ``monthly`` row per month end (kept for trends)."""

    town = models.ForeignKey("tenants.Town", on_delete=models.CASCADE, related_name="+")
    county = models.ForeignKey("regions.County", on_delete=models.PROTECT, related_name="+")
    province_code = models.CharField(max_length=2, db_index=True)
    scheme_year = models.PositiveIntegerField("互助年度")
    kind = models.CharField(max_length=8, choices=RollupKind.choices, default=RollupKind.CURRENT)
    as_of = models.DateField("截至日期")
    computed_at = models.DateTimeField("计算时间")
    has_policy = models.BooleanField("已发布政策", default=False)
    # participation (participation counts those who paid)
    villages = models.IntegerField(default=0)
    villages_joined = models.IntegerField(default=0)
    eligible_people = models.IntegerField(default=0)
    eligible_households = models.IntegerField(default=0)
    enrolled_people = models.IntegerField(default=0)
    enrolled_households = models.IntegerField(default=0)
    eligible_households_in_joined = models.IntegerField(default=0)
    enrolled_households_in_joined = models.IntegerField(default=0)
    enrolments = models.IntegerField("登记参加户数（含未交清）", default=0)
    # the policy's own targets (basis points; the level above may override them: ``Target``)
    policy_village_target_bp = models.IntegerField(null=True, blank=True)
    policy_household_target_bp = models.IntegerField(null=True, blank=True)
    policy_person_target_bp = models.IntegerField(null=True, blank=True)
    review_working_days = models.IntegerField(null=True, blank=True)
    # the targets in force (the level above's, else the policy's, else the document's) and the verdict, kept on the
    # row so dashboards sort and count without looking targets up (``targets.apply`` keeps them current)
    target_village_bp = models.IntegerField(null=True, blank=True)
    target_household_bp = models.IntegerField(null=True, blank=True)
    target_person_bp = models.IntegerField(null=True, blank=True)
    target_source = models.CharField(max_length=8, default="default")
    behind_target = models.BooleanField(default=False)
    lowest_share_bp = models.IntegerField(default=0)
    # fund (integer fen)
    income_fen = models.BigIntegerField(default=0)
    income_by_source = models.JSONField(default=dict)
    receivables_fen = models.BigIntegerField(default=0)
    overdue_receivables_fen = models.BigIntegerField(default=0)
    payables_fen = models.BigIntegerField(default=0)
    subsidies_fen = models.BigIntegerField("补助支出（已核准）", default=0)
    paid_out_fen = models.BigIntegerField("已发放补助", default=0)
    balance_fen = models.BigIntegerField("专户余额", default=0)
    ledger_balanced = models.BooleanField(default=True)
    payout_months = models.IntegerField("保障期已过月数", default=0)
    reconciled_months = models.IntegerField("已与银行对账单核对的月数", default=0)
    reconciliation_differences = models.IntegerField("对账有差额的月数", default=0)
    # claims
    claims_by_state = models.JSONField(default=dict)
    claims_decided = models.IntegerField(default=0)
    claims_overdue = models.IntegerField(default=0)
    decision_days_median = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    decision_days_p90 = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    decided_within_limit_bp = models.IntegerField(null=True, blank=True)
    paid_next_month_bp = models.IntegerField(null=True, blank=True)
    objections = models.IntegerField(default=0)
    # subsidy adequacy: subsidies as a share of members' out-of-pocket costs of approved claims, by DRG
    out_of_pocket_fen = models.BigIntegerField(default=0)
    subsidy_by_drg = models.JSONField(default=dict)  # {drg: [claims, subsidy_fen, out_of_pocket_fen]}
    # solvency: the latest simulation of the year's published table (copied from ``TownSolvency``, never simulated
    # by the refresh)
    run_dry_bp = models.IntegerField("资金用尽概率（基点）", null=True, blank=True)
    expected_carry_over_fen = models.BigIntegerField("预计结转", null=True, blank=True)
    solvency_policy_version = models.IntegerField("模拟所依据的政策版本", null=True, blank=True)
    solvency_computed_at = models.DateTimeField("模拟时间", null=True, blank=True)

    class Meta:
        ordering = ["town_id", "scheme_year", "as_of"]
        verbose_name = "乡镇汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["town", "scheme_year", "kind", "as_of"], name="reporting_rollup_town_year_kind_as_of"
            ),
            models.UniqueConstraint(
                fields=["town", "scheme_year"],
                condition=Q(kind="current"),
                name="reporting_rollup_one_current",
            ),
        ]
        indexes = [
            models.Index(fields=["county", "scheme_year", "kind"], name="reporting_rollup_county"),
            models.Index(fields=["province_code", "scheme_year", "kind"], name="reporting_rollup_province"),
            # the province's town lines, behind target and furthest behind first (a top-N index scan)
            models.Index(
                fields=["province_code", "scheme_year", "kind", "-behind_target", "lowest_share_bp", "town"],
                name="reporting_rollup_worst",
            ),
        ]


class RefreshRequest(models.Model):
    """A town whose rollup waits for a refresh: many changes in a minute make one row and one task."""

    town_code = models.CharField(max_length=9, unique=True)
    requested_at = models.DateTimeField(auto_now_add=True)


class TargetLevel(models.TextChoices):
    COUNTY = "county", "县对乡镇"
    PROVINCE = "province", "省对县"


class Target(models.Model):
    """Participation targets set by the level above for a scheme year: a county for one of its towns, a province
    for one of its counties (applying to the county's towns unless the county set one for the town)."""

    level = models.CharField(max_length=8, choices=TargetLevel.choices)
    town = models.ForeignKey(
        "tenants.Town", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    county = models.ForeignKey("regions.County", on_delete=models.CASCADE, related_name="+")
    scheme_year = models.PositiveIntegerField()
    village_share_bp = models.IntegerField(null=True, blank=True)
    household_share_bp = models.IntegerField(null=True, blank=True)
    person_share_bp = models.IntegerField(null=True, blank=True)
    set_by_username = models.CharField(max_length=150, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["town", "scheme_year"], condition=Q(level="county"), name="reporting_target_town"
            ),
            models.UniqueConstraint(
                fields=["county", "scheme_year"],
                condition=Q(level="province"),
                name="reporting_target_county",
            ),
        ]


# --- quarterly progress reports (季度推进计划表) ---------------------------------------------------------------------


class PlanTask(models.Model):
    """One task of a town's plan for a scheme year (from the 海安 template), due in a quarter."""

    town = models.ForeignKey("tenants.Town", on_delete=models.CASCADE, related_name="+")
    scheme_year = models.PositiveIntegerField()
    key = models.CharField(max_length=32)
    title = models.CharField(max_length=64)
    quarter = models.PositiveSmallIntegerField()
    due_date = models.DateField()
    target = models.CharField("目标", max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["town_id", "scheme_year", "order"]
        constraints = [
            models.UniqueConstraint(fields=["town", "scheme_year", "key"], name="reporting_plan_task_key")
        ]


class ReportState(models.TextChoices):
    FILED = "filed", "已上报"
    RETURNED = "returned", "已退回"
    ACCEPTED = "accepted", "已通过"


class QuarterlyReport(models.Model):
    town = models.ForeignKey("tenants.Town", on_delete=models.CASCADE, related_name="+")
    county = models.ForeignKey("regions.County", on_delete=models.PROTECT, related_name="+")
    scheme_year = models.PositiveIntegerField()
    quarter = models.PositiveSmallIntegerField()
    state = models.CharField(max_length=16, choices=ReportState.choices, default=ReportState.FILED)
    items = models.JSONField(default=list)  # [{key, title, due_date, status: done|late|pending, note}]
    figures = models.JSONField(default=dict)  # pre-filled from the rollup when filed
    summary = models.TextField("进展说明", blank=True)
    revision = models.PositiveSmallIntegerField(default=1)
    filed_at = models.DateTimeField()
    filed_by_username = models.CharField(max_length=150, blank=True)
    review_comment = models.TextField("县级意见", blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by_username = models.CharField(max_length=150, blank=True)
    history = models.JSONField(default=list)  # [{revision, state, at, by, comment}]

    class Meta:
        ordering = ["town_id", "scheme_year", "quarter"]
        constraints = [
            models.UniqueConstraint(fields=["town", "scheme_year", "quarter"], name="reporting_quarter_town")
        ]


class ReminderSent(models.Model):
    """A due-report reminder sent once per town, year and quarter."""

    town_code = models.CharField(max_length=9)
    scheme_year = models.PositiveIntegerField()
    quarter = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["town_code", "scheme_year", "quarter"], name="reporting_reminder")
        ]


# --- satisfaction survey ---------------------------------------------------------------------------------------------


class SurveyState(models.TextChoices):
    DRAFT = "draft", "草稿"
    PUBLISHED = "published", "已发布"
    CLOSED = "closed", "已结束"


class Survey(models.Model):
    """A county's satisfaction questionnaire for a scheme year (知晓程度, 保障水平, 政府服务)."""

    county = models.ForeignKey("regions.County", on_delete=models.CASCADE, related_name="+")
    scheme_year = models.PositiveIntegerField()
    title = models.CharField(max_length=100)
    questions = models.JSONField()  # [{key, theme, text, kind: likert|text}]
    state = models.CharField(max_length=16, choices=SurveyState.choices, default=SurveyState.PUBLISHED)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["county", "scheme_year"], name="reporting_survey_year")
        ]


class SurveyAnswer(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    town = models.ForeignKey("tenants.Town", on_delete=models.CASCADE, related_name="+")
    respondent_hash = models.CharField(max_length=64)  # keyed hash of (survey, user): one answer per member
    likert = models.JSONField(default=dict)  # {question key: 1..5}
    texts = models.JSONField(default=dict)  # {question key: text}
    answered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "respondent_hash"], name="reporting_one_answer")
        ]


# --- November evaluation (评估验收) -----------------------------------------------------------------------------------


class EvaluationState(models.TextChoices):
    COMPUTED = "computed", "已计算"
    SIGNED_OFF = "signed_off", "已签署（冻结）"


class Evaluation(models.Model):
    town = models.ForeignKey("tenants.Town", on_delete=models.CASCADE, related_name="+")
    county = models.ForeignKey("regions.County", on_delete=models.PROTECT, related_name="+")
    scheme_year = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=EvaluationState.choices, default=EvaluationState.COMPUTED)
    items = models.JSONField(default=list)  # [{key, section, title, value, target, passed, evidence}]
    score = models.IntegerField(default=0)
    computed_at = models.DateTimeField()
    findings_briefing = models.TextField("听取汇报", blank=True)
    findings_spot_check = models.TextField("实地抽查", blank=True)
    grade = models.CharField("评定等次", max_length=16, blank=True)
    signed_off_at = models.DateTimeField(null=True, blank=True)
    signed_off_by_username = models.CharField(max_length=150, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["town", "scheme_year"], name="reporting_evaluation_town_year")
        ]


# --- solvency beside fund health -------------------------------------------------------------------------------------


class SolvencySource(models.TextChoices):
    PUBLISHED = "published", "政策发布后"
    NIGHTLY = "nightly", "每晚"
    TOWN = "town", "乡镇自行模拟"


class TownSolvency(models.Model):
    """The latest solvency simulation of a town's published policy for a scheme year (one row per town and year):
    the run-dry probability and expected carry-over the county sees beside fund health. Written by the background
    simulation (after publishing, nightly) and by a town's own simulation of its published table; a draft's
    simulation never lands here. ``error`` says why the latest attempt gave no figure."""

    town = models.ForeignKey("tenants.Town", on_delete=models.CASCADE, related_name="+")
    scheme_year = models.PositiveIntegerField()
    policy_version = models.IntegerField()
    run_dry_bp = models.IntegerField(null=True, blank=True)
    expected_carry_over_fen = models.BigIntegerField(null=True, blank=True)
    expected_shortfall_fen = models.BigIntegerField(null=True, blank=True)
    mean_payout_fen = models.BigIntegerField(null=True, blank=True)
    p95_payout_fen = models.BigIntegerField(null=True, blank=True)
    fund_fen = models.BigIntegerField(null=True, blank=True)
    participants = models.IntegerField(null=True, blank=True)
    likeliest_month = models.IntegerField(null=True, blank=True)
    runs = models.IntegerField(default=0)
    seed = models.BigIntegerField(default=0)
    rate_source = models.CharField(max_length=16, blank=True)
    source = models.CharField(max_length=16, choices=SolvencySource.choices)
    error = models.CharField(max_length=200, blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = "资金用尽概率"
        constraints = [
            models.UniqueConstraint(fields=["town", "scheme_year"], name="reporting_solvency_town_year")
        ]
