"""Permission matrix of every supervision query and mutation: province sees its province, a county its county, a
town only itself, service firms their towns' timeliness; everyone else is refused and nothing changes."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction
from django.utils import timezone

from mutualaid.platform.regions.models import County
from mutualaid.reporting import actions
from mutualaid.reporting.models import (
    Evaluation,
    PlanTask,
    QuarterlyReport,
    Survey,
    SurveyAnswer,
    Target,
    TownRollup,
)
from tests.factories import graphql

ROLES = (
    "staff", "province", "other_province", "county", "other_county", "town_admin", "other_town_admin", "finance",
    "coordinator", "reviewer", "member", "other_member", "anonymous",
)  # fmt: skip
TOWN_READERS = {"staff", "province", "county", "town_admin", "finance"}

QUERIES = {
    "countyDashboard": (
        'query { countyDashboard(countyCode: "320685", schemeYear: 2022) { towns { townCode } } }',
        {"staff", "province", "county"},
    ),
    "provinceDashboard": (
        'query { provinceDashboard(provinceCode: "32", schemeYear: 2022) { towns { townCode } } }',
        {"staff", "province"},
    ),
    "dashboardExport": (
        'query { dashboardExport(schemeYear: 2022, countyCode: "320685") { fileName } }',
        {"staff", "province", "county"},
    ),
    "townTrend": ('query { townTrend(townCode: "320685107", schemeYear: 2022) { asOf } }', TOWN_READERS),
    "townSupervision": (
        'query { townSupervision(townCode: "320685107", schemeYear: 2022) { townCode } }',
        TOWN_READERS,
    ),
    "quarterlyPlan": (
        'query { quarterlyPlan(townCode: "320685107", schemeYear: 2022) { key } }',
        TOWN_READERS,
    ),
    "evaluation": ('query { evaluation(townCode: "320685107", schemeYear: 2022) { score } }', TOWN_READERS),
    "evaluationExport": (
        'query { evaluationExport(townCode: "320685107", schemeYear: 2022, format: "xlsx") { fileName } }',
        TOWN_READERS,
    ),
    "surveyResults": (
        'query { surveyResults(countyCode: "320685", schemeYear: 2022) { townCode } }',
        {"staff", "province", "county"},
    ),
    "memberSurvey": ('query { memberSurvey(townCode: "320685107", schemeYear: 2022) { title } }', {"member"}),
}


@pytest.fixture
def world(towns, people):
    """大公镇 with a rollup, a plan, a filed report, a published survey and an evaluation."""
    dagong = towns["320685107"]
    TownRollup.objects.create(
        town=dagong, county=dagong.county, province_code="32", scheme_year=2022, as_of=date(2023, 3, 1),
        computed_at=timezone.now(), has_policy=True, villages=10, villages_joined=6, eligible_people=100,
        enrolled_people=60,
    )  # fmt: skip
    actions.file_plan(dagong, 2022, actor=None)
    report = actions.file_report(dagong, 2022, 2, items=[], actor=None)
    actions.publish_survey(dagong.county, 2022, actor=None)
    actions.compute_evaluation(dagong, 2022, actor=None)
    return {"report": report, **towns}


def _denied(result, name) -> bool:
    errors = result.get("errors") or []
    return any(e.get("extensions", {}).get("code") == "PERMISSION_DENIED" for e in errors)


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_query_matrix(world, people, name):
    query, allowed = QUERIES[name]
    for role in ROLES:
        result = graphql(people[role], query)
        if role in allowed:
            assert "errors" not in result, (role, result)
            assert result["data"][name] is not None, role
        else:
            assert _denied(result, name), (role, result)


def test_timeliness_by_jurisdiction_and_firm(world, people):
    query = "query { claimsTimeliness(schemeYear: 2022) { townCode } }"
    seeing = {
        role
        for role in ROLES
        if role != "anonymous"
        and "320685107" in {r["townCode"] for r in graphql(people[role], query)["data"]["claimsTimeliness"]}
    }
    assert seeing == TOWN_READERS | {"reviewer"}
    assert _denied(graphql(None, query), "claimsTimeliness")


def test_quarterly_reports_by_jurisdiction(world, people):
    query = "query { quarterlyReports(schemeYear: 2022) { townCode state } }"

    def seeing():
        return {
            role
            for role in ROLES
            if role != "anonymous" and graphql(people[role], query)["data"]["quarterlyReports"]
        }

    assert seeing() == {"staff", "county", "town_admin"}  # filed, not yet accepted
    actions.review_report(world["report"], accept=True, actor=None)
    assert seeing() == TOWN_READERS


def _likert() -> str:
    keys = ("know_rules", "know_claim", "level", "burden", "service", "speed")
    return "[" + ", ".join(f'{{key: "{k}", score: 4}}' for k in keys) + "]"


MUTATIONS = {
    "setTownTargets": (
        'mutation { setTownTargets(townCode: "320685107", schemeYear: 2022, targets: {personSharePercent: 60}) '
        "{ errors { code } } }",
        {"staff", "county"},
        lambda: Target.objects.count(),
    ),
    "setCountyTargets": (
        'mutation { setCountyTargets(countyCode: "320685", schemeYear: 2022, targets: {personSharePercent: 60}) '
        "{ errors { code } } }",
        {"staff", "province"},
        lambda: Target.objects.count(),
    ),
    "fileQuarterlyPlan": (
        'mutation { fileQuarterlyPlan(townCode: "320685107", schemeYear: 2023) { errors { code } } }',
        {"staff", "town_admin"},
        lambda: PlanTask.objects.filter(scheme_year=2023).count(),
    ),
    "fileQuarterlyReport": (
        'mutation { fileQuarterlyReport(townCode: "320685107", schemeYear: 2022, quarter: 3, items: []) '
        "{ errors { code } } }",
        {"staff", "town_admin"},
        lambda: QuarterlyReport.objects.count(),
    ),
    "reviewQuarterlyReport": (
        'mutation { reviewQuarterlyReport(id: "%(report)s", accept: true) { errors { code } } }',
        {"staff", "county"},
        lambda: list(QuarterlyReport.objects.values_list("state", flat=True)),
    ),
    "publishSurvey": (
        'mutation { publishSurvey(countyCode: "320685", schemeYear: 2023) { errors { code } } }',
        {"staff", "county"},
        lambda: Survey.objects.count(),
    ),
    "answerSurvey": (
        'mutation { answerSurvey(townCode: "320685107", schemeYear: 2022, likert: %(likert)s) { errors { code } } }',
        {"member"},
        lambda: SurveyAnswer.objects.count(),
    ),
    "computeEvaluation": (
        'mutation { computeEvaluation(townCode: "320685107", schemeYear: 2022) { errors { code } } }',
        {"staff", "county"},
        lambda: list(Evaluation.objects.values_list("computed_at", flat=True)),
    ),
    "recordEvaluationFindings": (
        'mutation { recordEvaluationFindings(townCode: "320685107", schemeYear: 2022, grade: "合格") '
        "{ errors { code } } }",
        {"staff", "county"},
        lambda: list(Evaluation.objects.values_list("grade", flat=True)),
    ),
    "signOffEvaluation": (
        'mutation { signOffEvaluation(townCode: "320685107", schemeYear: 2022) { errors { code } } }',
        {"staff", "county"},
        lambda: list(Evaluation.objects.values_list("state", flat=True)),
    ),
}


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_matrix(world, people, name):
    template, allowed, state = MUTATIONS[name]
    Evaluation.objects.update(grade="良好")  # sign-off needs a grade
    query = template % {"report": world["report"].pk, "likert": _likert()} if "%(" in template else template
    for role in ROLES:
        before = state()
        with transaction.atomic():
            result = graphql(people[role], query)
            errors = result["data"][name]["errors"]
            if role in allowed:
                assert errors == [], (role, errors)
            else:
                assert errors and errors[0]["code"] in ("NOT_FOUND", "PERMISSION_DENIED"), (role, errors)
                assert state() == before, role
            transaction.set_rollback(True)
    assert County.objects.filter(code="320685").exists()
