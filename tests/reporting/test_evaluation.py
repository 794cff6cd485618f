"""The November evaluation: a scorecard computed from the rollup with evidence, the satisfaction survey (one
answer per member, anonymous in results, response rates), the county's findings and grade, and sign-off freezing
it; printable as PDF (Chinese readable) and xlsx."""

from __future__ import annotations

import base64
import io
import json

import pytest
from django.core.exceptions import ValidationError
from pypdf import PdfReader

from mutualaid.platform.regions.models import County
from mutualaid.reporting import actions, refresh
from mutualaid.reporting.models import SurveyAnswer
from tests.factories import graphql, make_user

ANSWER = """mutation($likert: [LikertAnswerInput!]!) { answerSurvey(townCode: "320685107", schemeYear: 2022,
  likert: $likert, texts: [{key: "advice", text: "很好"}]) { ok errors { field code } } }"""
LIKERT = [{"key": k, "score": 5} for k in ("know_rules", "know_claim", "level", "burden", "service", "speed")]
COMPUTE = """mutation { computeEvaluation(townCode: "320685107", schemeYear: 2022) {
  evaluation { state score items { key section passed value target evidence } } errors { field code } } }"""
FINDINGS = """mutation($grade: String) { recordEvaluationFindings(townCode: "320685107", schemeYear: 2022,
  briefing: "听取汇报", spotCheck: "抽查 3 个村", grade: $grade) { evaluation { grade } errors { field code } } }"""
SIGN = """mutation { signOffEvaluation(townCode: "320685107", schemeYear: 2022) {
  evaluation { state signedOffBy } errors { field code } } }"""


def test_survey_once_per_member_and_anonymous(demo_towns, people):
    refresh.refresh_town(demo_towns["320685107"])
    published = graphql(
        people["county"], 'mutation { publishSurvey(countyCode: "320685", schemeYear: 2022) { survey { questions '
        "{ key theme kind } } errors { code } } }",
    )["data"]["publishSurvey"]  # fmt: skip
    themes = {q["theme"] for q in published["survey"]["questions"]}
    assert themes == {"知晓程度", "保障水平", "政府服务"}
    member = people["member"]
    page = 'query { memberSurvey(townCode: "320685107", schemeYear: 2022) { title answered questions { text } } }'
    assert graphql(member, page)["data"]["memberSurvey"]["answered"] is False
    assert graphql(member, ANSWER, {"likert": LIKERT})["data"]["answerSurvey"] == {"ok": True, "errors": []}
    again = graphql(member, ANSWER, {"likert": LIKERT})["data"]["answerSurvey"]
    assert again["errors"] == [{"field": "survey", "code": "ALREADY_ANSWERED"}]
    assert graphql(member, page)["data"]["memberSurvey"]["answered"] is True
    partial = graphql(make_user("member", town=demo_towns["320685107"]), ANSWER, {"likert": LIKERT[:2]})[
        "data"
    ]["answerSurvey"]
    assert partial["errors"] == [{"field": "likert", "code": "REQUIRED"}]
    answer = SurveyAnswer.objects.get()
    # no user, name or phone is kept: a keyed hash of (survey, member) only, answers and texts
    assert {f.name for f in SurveyAnswer._meta.concrete_fields} == {
        "id", "survey", "town", "respondent_hash", "likert", "texts", "answered_at"
    }  # fmt: skip
    assert answer.respondent_hash == actions.respondent_hash(answer.survey, member)
    results = graphql(
        people["county"],
        'query { surveyResults(countyCode: "320685", schemeYear: 2022) { townCode answers responseRatePercent '
        "satisfactionPercent items } }",
    )["data"]["surveyResults"]
    dagong = next(r for r in results if r["townCode"] == "320685107")
    assert dagong["answers"] == 1 and dagong["satisfactionPercent"] == 100.0
    assert dagong["responseRatePercent"] is not None and json.loads(dagong["items"])["level"] == 5.0


def test_evaluation_computed_graded_signed_off_and_frozen(demo_towns, people):
    refresh.refresh_town(demo_towns["320685107"])
    county = people["county"]
    result = graphql(county, COMPUTE)["data"]["computeEvaluation"]
    assert result["errors"] == [] and result["evaluation"]["state"] == "computed"
    items = {i["key"]: i for i in result["evaluation"]["items"]}
    assert {"village_share", "household_share", "person_share", "ledger_balanced", "bank_reconciled",
            "receivables", "subsidy_adequacy", "decided_within_limit", "paid_next_month",
            "satisfaction"} == set(items)  # fmt: skip
    assert items["village_share"]["section"] == "参与率" and "个行政村" in items["village_share"]["evidence"]
    assert items["ledger_balanced"]["passed"] is True
    assert graphql(county, SIGN)["data"]["signOffEvaluation"]["errors"] == [
        {"field": "grade", "code": "REQUIRED"}
    ]
    bad = graphql(county, FINDINGS, {"grade": "满分"})["data"]["recordEvaluationFindings"]
    assert bad["errors"] == [{"field": "grade", "code": "INVALID_GRADE"}]
    assert graphql(county, FINDINGS, {"grade": "良好"})["data"]["recordEvaluationFindings"]["evaluation"] == {
        "grade": "良好"
    }
    signed = graphql(county, SIGN)["data"]["signOffEvaluation"]
    assert signed["evaluation"]["state"] == "signed_off" and signed["evaluation"]["signedOffBy"]
    frozen = graphql(county, COMPUTE)["data"]["computeEvaluation"]
    assert frozen["errors"] == [{"field": "evaluation", "code": "SIGNED_OFF"}]
    assert graphql(county, FINDINGS, {"grade": "优秀"})["data"]["recordEvaluationFindings"]["errors"][0][
        "code"
    ] == ("SIGNED_OFF")
    pdf = graphql(
        people["town_admin"],
        'query { evaluationExport(townCode: "320685107", schemeYear: 2022) { fileName contentType base64 } }',
    )["data"]["evaluationExport"]
    assert pdf["contentType"] == "application/pdf"
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(base64.b64decode(pdf["base64"]))).pages
    )
    assert "评估验收" in text and "良好" in text
    xlsx = graphql(
        people["county"],
        'query { evaluationExport(townCode: "320685107", schemeYear: 2022, format: "xlsx") { fileName } }',
    )["data"]["evaluationExport"]
    assert xlsx["fileName"].endswith(".xlsx")


def test_evaluation_needs_a_rollup(dagong):
    with pytest.raises(ValidationError) as exc:
        actions.compute_evaluation(dagong, 2022, actor=None)
    assert exc.value.error_dict["scheme_year"][0].code == "no_rollup"
    assert County.objects.filter(code="320685").exists()
