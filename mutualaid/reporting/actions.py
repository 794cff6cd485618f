"""Writes of supervision: targets, the quarterly plan and reports, the county's review, the satisfaction survey, the
November evaluation and its sign-off, and the due-report reminders. Each write is audited (public schema)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from mutualaid.platform import crypto
from mutualaid.platform.accounts.models import RoleAssignment
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.regions.models import County
from mutualaid.platform.sms import send_sms
from mutualaid.reporting import rules, targets
from mutualaid.reporting.error_codes import ReportingErrorCode as Code
from mutualaid.reporting.models import (
    Evaluation,
    EvaluationState,
    PlanTask,
    QuarterlyReport,
    ReminderSent,
    ReportState,
    RollupKind,
    Survey,
    SurveyAnswer,
    SurveyState,
    Target,
    TargetLevel,
    TownRollup,
)
from mutualaid.reporting.rules import invalid
from mutualaid.tenants.models import Town, TownStatus

ROLLUP_FIGURES = (
    "villages",
    "villages_joined",
    "eligible_people",
    "enrolled_people",
    "eligible_households",
    "enrolled_households",
    "eligible_households_in_joined",
    "enrolled_households_in_joined",
    "income_fen",
    "balance_fen",
    "subsidies_fen",
    "paid_out_fen",
    "claims_decided",
)


def _who(actor) -> str:
    return actor.get_username() if actor is not None and getattr(actor, "is_authenticated", False) else ""


def _year(scheme_year: int) -> int:
    if not 2000 <= scheme_year <= 2100:
        raise invalid("scheme_year", "互助年度不正确", Code.INVALID)
    return scheme_year


# --- targets ---------------------------------------------------------------------------------------------------------


def _check_targets(village_bp, household_bp, person_bp) -> None:
    rules.check_share("village_share", village_bp)
    rules.check_share("household_share", household_bp)
    rules.check_share("person_share", person_bp)


@transaction.atomic
def set_town_target(town: Town, scheme_year: int, *, village_bp, household_bp, person_bp, actor) -> Target:
    """The county sets one of its towns' targets for a scheme year."""
    _check_targets(village_bp, household_bp, person_bp)
    target, _ = Target.objects.update_or_create(
        level=TargetLevel.COUNTY,
        town=town,
        scheme_year=_year(scheme_year),
        defaults={
            "county_id": town.county_id,
            "village_share_bp": village_bp,
            "household_share_bp": household_bp,
            "person_share_bp": person_bp,
            "set_by_username": _who(actor),
        },
    )
    targets.apply(TownRollup.objects.filter(town=town, scheme_year=scheme_year))
    record_event(actor, "reporting.town_target_set", target, {"town": town.code, "scheme_year": scheme_year})
    return target


@transaction.atomic
def set_county_target(
    county: County, scheme_year: int, *, village_bp, household_bp, person_bp, actor
) -> Target:
    """The province sets a county's targets (its towns' unless the county set one for a town)."""
    _check_targets(village_bp, household_bp, person_bp)
    target, _ = Target.objects.update_or_create(
        level=TargetLevel.PROVINCE,
        county=county,
        scheme_year=_year(scheme_year),
        defaults={
            "village_share_bp": village_bp,
            "household_share_bp": household_bp,
            "person_share_bp": person_bp,
            "set_by_username": _who(actor),
        },
    )
    targets.apply(TownRollup.objects.filter(county=county, scheme_year=scheme_year))
    record_event(
        actor, "reporting.county_target_set", target, {"county": county.code, "scheme_year": scheme_year}
    )
    return target


# --- quarterly plan and reports --------------------------------------------------------------------------------------


@transaction.atomic
def file_plan(
    town: Town, scheme_year: int, *, targets: dict[str, str] | None = None, actor
) -> list[PlanTask]:
    """The town's plan for the year from the 海安 template (each task due at the document's date, its quarter from
    that date); ``targets`` may give a task's target figure. Filing again updates the targets."""
    _year(scheme_year)
    targets = targets or {}
    unknown = [k for k in targets if k not in rules.TEMPLATE_BY_KEY]
    if unknown:
        raise invalid("tasks", f"未知任务：{'、'.join(unknown)}", Code.INVALID_TASK)
    tasks = []
    for order, template in enumerate(rules.HAIAN_TEMPLATE):
        due = date(scheme_year, template.month, template.day)
        text = targets.get(template.key, template.target)
        if len(text) > 200:
            raise invalid("tasks", "目标不超过 200 字", Code.TOO_LONG)
        task, _ = PlanTask.objects.update_or_create(
            town=town,
            scheme_year=scheme_year,
            key=template.key,
            defaults={
                "title": template.title,
                "quarter": rules.quarter_of(due),
                "due_date": due,
                "target": text,
                "order": order,
            },
        )
        tasks.append(task)
    record_event(actor, "reporting.plan_filed", None, {"town": town.code, "scheme_year": scheme_year})
    return tasks


def rollup_figures(town: Town, scheme_year: int) -> dict:
    row = TownRollup.objects.filter(town=town, scheme_year=scheme_year, kind=RollupKind.CURRENT).first()
    if row is None:
        return {}
    return {"as_of": row.as_of.isoformat(), **{name: getattr(row, name) for name in ROLLUP_FIGURES}}


@transaction.atomic
def file_report(
    town: Town, scheme_year: int, quarter: int, *, items: list[dict], summary: str = "", actor
) -> QuarterlyReport:
    """A quarter's progress: per task of the plan due by the quarter's end, done / late / pending with a note; the
    figures are taken from the rollup. A returned report is filed again as the next revision."""
    rules.check_quarter(quarter)
    plan = {t.key: t for t in PlanTask.objects.filter(town=town, scheme_year=scheme_year)}
    if not plan:
        raise invalid("scheme_year", "请先上报本年度推进计划", Code.NO_PLAN)
    if len(summary) > 2000:
        raise invalid("summary", "进展说明不超过 2000 字", Code.TOO_LONG)
    given = {}
    for item in items:
        key = item.get("key", "")
        if key not in plan:
            raise invalid("items", f"计划中没有任务：{key}", Code.INVALID_TASK)
        if item.get("status") not in rules.TASK_STATUSES:
            raise invalid("items", "任务状态须为 done / late / pending", Code.INVALID)
        if len(item.get("note") or "") > 500:
            raise invalid("items", "说明不超过 500 字", Code.TOO_LONG)
        given[key] = item
    rows = []
    for task in sorted(plan.values(), key=lambda t: t.order):
        if task.quarter > quarter and task.key not in given:
            continue
        found = given.get(task.key, {})
        rows.append(
            {
                "key": task.key,
                "title": task.title,
                "due_date": task.due_date.isoformat(),
                "status": found.get("status", "pending"),
                "note": found.get("note") or "",
            }
        )
    now = timezone.now()
    report = (
        QuarterlyReport.objects.select_for_update()
        .filter(town=town, scheme_year=scheme_year, quarter=quarter)
        .first()
    )
    if report is not None and report.state == ReportState.ACCEPTED:
        raise invalid("quarter", "该季度报告已通过审核，不能再修改", Code.WRONG_STATE)
    if report is None:
        report = QuarterlyReport(
            town=town, county_id=town.county_id, scheme_year=scheme_year, quarter=quarter, revision=1
        )
    elif report.state == ReportState.RETURNED:
        report.revision += 1
    report.state = ReportState.FILED
    report.items = rows
    report.summary = summary
    report.figures = rollup_figures(town, scheme_year)
    report.filed_at = now
    report.filed_by_username = _who(actor)
    report.history = [
        *report.history,
        {"revision": report.revision, "state": "filed", "at": now.isoformat(), "by": _who(actor)},
    ]
    report.save()
    record_event(
        actor,
        "reporting.report_filed",
        report,
        {"town": town.code, "scheme_year": scheme_year, "quarter": quarter, "revision": report.revision},
    )
    return report


@transaction.atomic
def review_report(report: QuarterlyReport, *, accept: bool, comment: str = "", actor) -> QuarterlyReport:
    """The county accepts a filed report (it then rolls up to the province) or returns it with comments."""
    report = QuarterlyReport.objects.select_for_update().get(pk=report.pk)
    if report.state != ReportState.FILED:
        raise invalid("report", "只能审核已上报的报告", Code.WRONG_STATE)
    comment = (comment or "").strip()
    if not accept and not comment:
        raise invalid("comment", "退回须填写意见", Code.COMMENT_REQUIRED)
    if len(comment) > 1000:
        raise invalid("comment", "意见不超过 1000 字", Code.TOO_LONG)
    now = timezone.now()
    report.state = ReportState.ACCEPTED if accept else ReportState.RETURNED
    report.review_comment = comment
    report.reviewed_at = now
    report.reviewed_by_username = _who(actor)
    report.history = [
        *report.history,
        {
            "revision": report.revision,
            "state": report.state,
            "at": now.isoformat(),
            "by": _who(actor),
            "comment": comment,
        },
    ]
    report.save()
    record_event(actor, f"reporting.report_{report.state}", report, {"revision": report.revision})
    return report


def _admin_phones(town_ids: list[int]) -> dict[int, list[str]]:
    phones: dict[int, list[str]] = {}
    for town_id, encrypted in RoleAssignment.objects.filter(
        role=Role.TOWN_ADMIN, town_id__in=town_ids, user__is_active=True
    ).values_list("town_id", "user__phone_encrypted"):
        if encrypted:
            phones.setdefault(town_id, []).append(crypto.decrypt(encrypted))
    return phones


def send_report_reminders(on: date) -> dict[str, int]:
    """For the quarter that ended last: towns with plan tasks due by then and no filed report get one SMS to their
    admins from five days before the report's due date (once per town and quarter)."""
    quarter = rules.quarter_of(on) - 1 or 4
    year = on.year - (quarter == 4)
    due = rules.report_due(year, quarter)
    if (due - on).days > 5:
        return {}
    # Towns whose plan has tasks due by the quarter's end (nothing to report before the first task).
    planned = set(
        PlanTask.objects.filter(scheme_year=year, quarter__lte=quarter)
        .values_list("town_id", flat=True)
        .distinct()
    )
    done = set(
        QuarterlyReport.objects.filter(scheme_year=year, quarter=quarter)
        .exclude(state=ReportState.RETURNED)
        .values_list("town_id", flat=True)
    )
    reminded = set(
        ReminderSent.objects.filter(scheme_year=year, quarter=quarter).values_list("town_code", flat=True)
    )
    towns = Town.objects.filter(pk__in=planned - done, status=TownStatus.ACTIVE).exclude(code__in=reminded)
    towns = list(towns)
    phones = _admin_phones([t.pk for t in towns])
    sent: dict[str, int] = {}
    for town in towns:
        numbers = phones.get(town.pk, [])
        late = "已逾期" if on > due else f"请于{due.month}月{due.day}日前"
        for phone in numbers:
            send_sms(phone, f"【乡村公益医疗互助】{town.name}{year}年第{quarter}季度推进情况报告{late}上报。")
        ReminderSent.objects.get_or_create(
            town_code=town.code, scheme_year=year, quarter=quarter, defaults={"recipients": len(numbers)}
        )
        sent[town.code] = len(numbers)
    return sent


# --- satisfaction survey ---------------------------------------------------------------------------------------------


@transaction.atomic
def publish_survey(county: County, scheme_year: int, *, title: str = "", actor) -> Survey:
    """The county publishes the year's questionnaire (the document's three themes; Likert items and free text)."""
    title = (title or f"{scheme_year}年度乡村公益医疗互助群众满意度调查").strip()
    if len(title) > 100:
        raise invalid("title", "标题不超过 100 字", Code.TOO_LONG)
    survey, _ = Survey.objects.update_or_create(
        county=county,
        scheme_year=_year(scheme_year),
        defaults={
            "title": title,
            "questions": list(rules.DEFAULT_QUESTIONS),
            "state": SurveyState.PUBLISHED,
            "published_at": timezone.now(),
        },
    )
    record_event(actor, "reporting.survey_published", survey, {"county": county.code})
    return survey


def respondent_hash(survey: Survey, user) -> str:
    return crypto.lookup_hash(f"survey:{survey.pk}:user:{user.pk}")


@transaction.atomic
def answer_survey(survey: Survey, town: Town, user, *, likert: dict, texts: dict) -> SurveyAnswer:
    """A member's one answer (kept under a keyed hash of survey and member: results never show who answered)."""
    if survey.state != SurveyState.PUBLISHED or town.county_id != survey.county_id:
        raise invalid("survey", "问卷未发布", Code.NOT_PUBLISHED)
    rules.check_answers(survey.questions, likert, texts)
    key = respondent_hash(survey, user)
    if SurveyAnswer.objects.filter(survey=survey, respondent_hash=key).exists():
        raise invalid("survey", "您已提交过本问卷", Code.ALREADY_ANSWERED)
    return SurveyAnswer.objects.create(
        survey=survey,
        town=town,
        respondent_hash=key,
        likert=likert,
        texts={k: v.strip() for k, v in texts.items() if v.strip()},
    )


def survey_results(survey: Survey, town_ids: list[int]) -> dict[int, dict]:
    """Per town: answers, response rate (answers / enrolled people of the rollup), per-item mean and the score;
    two queries."""
    rows = SurveyAnswer.objects.filter(survey=survey, town_id__in=town_ids).values_list("town_id", "likert")
    enrolled = dict(
        TownRollup.objects.filter(
            town_id__in=town_ids, scheme_year=survey.scheme_year, kind=RollupKind.CURRENT
        ).values_list("town_id", "enrolled_people")
    )
    totals: dict[int, dict[str, list[int]]] = {}
    answers: dict[int, int] = {}
    for town_id, likert in rows:
        answers[town_id] = answers.get(town_id, 0) + 1
        per_item = totals.setdefault(town_id, {})
        for key, value in likert.items():
            pair = per_item.setdefault(key, [0, 0])
            pair[0] += value
            pair[1] += 1
    result = {}
    for town_id in town_ids:
        items = totals.get(town_id, {})
        result[town_id] = {
            "answers": answers.get(town_id, 0),
            "response_bp": rules.share_bp(answers.get(town_id, 0), enrolled.get(town_id, 0)),
            "items": {k: round(v[0] / v[1], 2) for k, v in items.items() if v[1]},
            "score_bp": rules.satisfaction_bp(items),
        }
    return result


# --- the November evaluation -----------------------------------------------------------------------------------------


def targets_for(town: Town, scheme_year: int, rollup: TownRollup | None) -> rules.Targets:
    found = {
        t.level: t
        for t in Target.objects.filter(scheme_year=scheme_year).filter(town=town, level=TargetLevel.COUNTY)
        | Target.objects.filter(scheme_year=scheme_year, county_id=town.county_id, level=TargetLevel.PROVINCE)
    }
    policy = (
        {
            "village": rollup.policy_village_target_bp,
            "household": rollup.policy_household_target_bp,
            "person": rollup.policy_person_target_bp,
        }
        if rollup is not None
        else {}
    )
    return rules.targets_in_force(found.get(TargetLevel.COUNTY), found.get(TargetLevel.PROVINCE), policy)


def _open_evaluation(town: Town, scheme_year: int) -> Evaluation | None:
    evaluation = Evaluation.objects.select_for_update().filter(town=town, scheme_year=scheme_year).first()
    if evaluation is not None and evaluation.state == EvaluationState.SIGNED_OFF:
        raise invalid("evaluation", "评估已签署，不能再修改", Code.SIGNED_OFF)
    return evaluation


@transaction.atomic
def compute_evaluation(town: Town, scheme_year: int, *, actor) -> Evaluation:
    """The scorecard from the town's rollup, targets and survey results, each item with its evidence."""
    evaluation = _open_evaluation(town, scheme_year)
    rollup = TownRollup.objects.filter(town=town, scheme_year=scheme_year, kind=RollupKind.CURRENT).first()
    if rollup is None:
        raise invalid("scheme_year", "该镇该年度尚无汇总数据", Code.NO_ROLLUP)
    survey = Survey.objects.filter(county_id=town.county_id, scheme_year=scheme_year).first()
    satisfaction = survey_results(survey, [town.pk])[town.pk] if survey else {}
    items = rules.scorecard(rollup, targets_for(town, scheme_year, rollup), satisfaction)
    if evaluation is None:
        evaluation = Evaluation(town=town, county_id=town.county_id, scheme_year=scheme_year)
    evaluation.items = items
    evaluation.score = rules.score(items)
    evaluation.computed_at = timezone.now()
    evaluation.save()
    record_event(actor, "reporting.evaluation_computed", evaluation, {"score": evaluation.score})
    return evaluation


@transaction.atomic
def record_findings(
    evaluation: Evaluation, *, briefing: str = "", spot_check: str = "", grade: str = "", actor
) -> Evaluation:
    """The county's on-site findings (听取汇报, 实地抽查) and the grade."""
    evaluation = _open_evaluation(evaluation.town, evaluation.scheme_year) or evaluation
    for field, value in (("briefing", briefing), ("spot_check", spot_check)):
        if len(value or "") > 2000:
            raise invalid(field, "不超过 2000 字", Code.TOO_LONG)
    if grade:
        rules.check_grade(grade)
    evaluation.findings_briefing = (briefing or "").strip()
    evaluation.findings_spot_check = (spot_check or "").strip()
    evaluation.grade = grade or evaluation.grade
    evaluation.save()
    record_event(actor, "reporting.evaluation_findings", evaluation, {"grade": evaluation.grade})
    return evaluation


@transaction.atomic
def sign_off(evaluation: Evaluation, *, actor) -> Evaluation:
    """Freeze the scorecard (no later change); it needs a grade."""
    evaluation = _open_evaluation(evaluation.town, evaluation.scheme_year) or evaluation
    if not evaluation.grade:
        raise invalid("grade", "签署前须评定等次", Code.REQUIRED)
    evaluation.state = EvaluationState.SIGNED_OFF
    evaluation.signed_off_at = timezone.now()
    evaluation.signed_off_by_username = _who(actor)
    evaluation.save()
    record_event(actor, "reporting.evaluation_signed_off", evaluation, {"grade": evaluation.grade})
    return evaluation


def answers_count(survey: Survey) -> int:
    return survey.answers.aggregate(n=Count("id"))["n"]
