"""Platform-level demo of supervision (public schema), run after every demo town's own steps: the rollups of every
active town, 2022's plan and quarterly reports Q2–Q4 of the 海安 towns (大公镇's Q3 returned by the county and
filed again), the county's satisfaction survey with generated answers, and the November 2022 evaluation of 大公镇
and 雅周镇 computed, given on-site findings and signed off; every town's run-dry probability of its published table
(the background simulation, unless a figure is there already). Idempotent."""

from __future__ import annotations

import logging
import random

from django.db import transaction

from mutualaid.platform import crypto
from mutualaid.platform.accounts.models import User
from mutualaid.reporting import actions, refresh, solvency
from mutualaid.reporting.models import (
    Evaluation,
    EvaluationState,
    QuarterlyReport,
    ReportState,
    Survey,
    SurveyAnswer,
    TownSolvency,
)
from mutualaid.reporting.rules import DEFAULT_QUESTIONS
from mutualaid.tenants.models import Town, TownStatus

logger = logging.getLogger(__name__)
HAIAN_TOWNS = ("320685107", "320685109")  # 大公镇, 雅周镇
YEAR = 2022
ANSWERS_PER_TOWN = 60
NOTES = {
    2: ("done", "已完成调研选村、任务分解，召开部署会议"),
    3: ("done", "完成资金筹集和名单录入"),
    4: ("late", "补助受理进行中，按月公示"),
}


def _user(username: str):
    return User.objects.filter(username=username).first()


def _items(quarter: int) -> list[dict]:
    status, note = NOTES[quarter]
    done_through = {2: 5, 3: 6, 4: 11}[quarter]
    rows = []
    for key, month in (
        ("survey_villages", 4),
        ("break_down", 4),
        ("kickoff_meeting", 5),
        ("publicity", 5),
        ("training", 5),
        ("raise_funds", 6),
        ("enter_roster", 6),
        ("subsidies", 11),
        ("evaluation", 11),
    ):
        if month <= done_through:
            rows.append({"key": key, "status": "done" if month < 11 else status, "note": note})
    return rows


def _reports(town: Town) -> None:
    admin = _user(f"{'dagong' if town.code == HAIAN_TOWNS[0] else 'yazhou'}_admin")
    county = _user("haian")
    actions.file_plan(town, YEAR, actor=admin)
    for quarter in (2, 3, 4):
        if QuarterlyReport.objects.filter(town=town, scheme_year=YEAR, quarter=quarter).exists():
            continue
        report = actions.file_report(
            town,
            YEAR,
            quarter,
            items=_items(quarter),
            summary=f"{YEAR}年第{quarter}季度推进情况",
            actor=admin,
        )
        if town.code == HAIAN_TOWNS[0] and quarter == 3:
            report = actions.review_report(
                report, accept=False, comment="请补充各村村民代表会议决议情况和名单录入进度", actor=county
            )
            items = _items(3)
            items[-1]["note"] = "14 个村已召开村民代表会议并决议参加，名单已全部录入平台"
            report = actions.file_report(
                town, YEAR, 3, items=items, summary="已按县级意见补充村民代表会议和名单录入情况", actor=admin
            )
        actions.review_report(report, accept=True, comment="同意", actor=county)


def _survey(towns: list[Town]) -> Survey:
    county = towns[0].county
    survey = Survey.objects.filter(county=county, scheme_year=YEAR).first()
    if survey is None:
        survey = actions.publish_survey(county, YEAR, actor=_user("haian"))
    keys = [q["key"] for q in DEFAULT_QUESTIONS if q["kind"] == "likert"]
    for town in towns:
        if SurveyAnswer.objects.filter(survey=survey, town=town).exists():
            continue
        generator = random.Random(f"{town.code}-{YEAR}")
        SurveyAnswer.objects.bulk_create(
            [
                SurveyAnswer(
                    survey=survey,
                    town=town,
                    respondent_hash=crypto.lookup_hash(f"survey:{survey.pk}:demo:{town.code}:{n}"),
                    likert={k: generator.choice((3, 4, 4, 5, 5, 5)) for k in keys},
                    texts={"advice": "希望提高补助标准"} if n % 10 == 0 else {},
                )
                for n in range(ANSWERS_PER_TOWN)
            ]
        )
    return survey


def _evaluate(town: Town) -> None:
    found = Evaluation.objects.filter(town=town, scheme_year=YEAR).first()
    if found is not None and found.state == EvaluationState.SIGNED_OFF:
        return
    county = _user("haian")
    evaluation = actions.compute_evaluation(town, YEAR, actor=county)
    evaluation = actions.record_findings(
        evaluation,
        briefing="听取镇党委政府工作汇报：组织发动到位，资金专户管理，补助按月公示。",
        spot_check="实地抽查 3 个村的参加名单、交费凭证和补助发放记录，与平台数据一致。",
        grade="良好" if evaluation.score < 90 else "优秀",
        actor=county,
    )
    actions.sign_off(evaluation, actor=county)


def demo_supervision() -> None:
    towns = list(Town.objects.filter(status=TownStatus.ACTIVE).select_related("county"))
    simulated = set(TownSolvency.objects.filter(run_dry_bp__isnull=False).values_list("town_id", flat=True))
    for town in towns:
        if town.pk not in simulated:
            solvency.simulate_town(town)  # the figure the county sees beside fund health
        refresh.refresh_town(town)
    haian = [t for t in towns if t.code in HAIAN_TOWNS]
    if not haian:
        return
    with transaction.atomic():
        for town in haian:
            _reports(town)
        _survey(haian)
        for town in haian:
            _evaluate(town)
    accepted = QuarterlyReport.objects.filter(scheme_year=YEAR, state=ReportState.ACCEPTED).count()
    logger.info("reporting demo: %d towns rolled up, %d quarterly reports accepted", len(towns), accepted)
