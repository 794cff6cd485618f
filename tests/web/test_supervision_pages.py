"""Supervision in the console, main paths: the town files its plan and quarterly report, the county returns it
(a comment is required: the typed error in Chinese), the town files again, the county accepts; targets set by the
county and the province; the evaluation computed, graded, signed off and downloaded, and seen by the town; the
survey published with its results; a town's trend charts beside its fund health and run-dry probability."""

from __future__ import annotations

from mutualaid.reporting.models import (
    Evaluation,
    EvaluationState,
    PlanTask,
    QuarterlyReport,
    ReportState,
    Survey,
    Target,
)
from tests.reporting.web_world import as_user, people, world  # noqa: F401 - fixtures

TOWN = "/t/320685107"


def test_the_town_files_its_report_and_the_county_reviews_it(towns, people, as_user):  # noqa: F811
    from tests.reporting.web_world import rollup

    dagong = towns["320685107"]
    rollup(dagong)
    admin = as_user(people["town_admin"])
    # the town files its plan from the 海安 steps, then its second-quarter report
    page = admin.get(f"{TOWN}/console/reports/?year=2022").content.decode()
    assert 'id="plan-form"' in page
    admin.post(f"{TOWN}/console/reports/?year=2022", {"action": "plan", "scheme_year": "2022"})
    tasks = list(PlanTask.objects.filter(town=dagong, scheme_year=2022).order_by("order"))
    assert tasks
    due = [t for t in tasks if t.quarter <= 2]
    form = admin.get(f"{TOWN}/console/reports/?year=2022&quarter=2").content.decode()
    assert f'name="status_{due[0].key}"' in form
    data = {"action": "report", "scheme_year": "2022", "quarter": "2", "summary": "宣传发动已完成"}
    data |= {f"status_{t.key}": "done" for t in due} | {f"note_{due[-1].key}": "按期完成"}
    done = admin.post(f"{TOWN}/console/reports/?year=2022&quarter=2", data)
    assert done.status_code == 302
    report = QuarterlyReport.objects.get(town=dagong, scheme_year=2022, quarter=2)
    assert report.state == ReportState.FILED and report.figures["enrolled_people"] == 600
    assert {i["status"] for i in report.items} == {"done"}
    # the county sees it waiting, opens it with its figures
    county = as_user(people["county"])
    listed = county.get("/console/supervision/reports/?year=2022&quarter=2").content.decode()
    assert f"/console/supervision/reports/{report.pk}/" in listed and "已上报" in listed
    url = f"/console/supervision/reports/{report.pk}/"
    opened = county.get(url).content.decode()
    assert "宣传发动已完成" in opened and 'id="review-form"' in opened and "参加人数" in opened
    # returning it needs a comment: the domain's typed error, in Chinese, next to the field
    refused = county.post(url, {"action": "return", "comment": ""})
    assert refused.status_code == 200
    assert 'data-field="comment">退回须填写意见' in refused.content.decode()
    assert QuarterlyReport.objects.get(pk=report.pk).state == ReportState.FILED
    assert county.post(url, {"action": "return", "comment": "请补充培训人数"}).status_code == 302
    assert QuarterlyReport.objects.get(pk=report.pk).state == ReportState.RETURNED
    # the town sees the comment and files again (revision 2); the county accepts
    town_page = admin.get(f"{TOWN}/console/reports/?year=2022").content.decode()
    assert "请补充培训人数" in town_page and "已退回" in town_page
    admin.post(f"{TOWN}/console/reports/?year=2022&quarter=2", data | {"summary": "培训 120 人次"})
    report.refresh_from_db()
    assert (report.state, report.revision) == (ReportState.FILED, 2)
    assert county.post(url, {"action": "accept", "comment": ""}).status_code == 302
    assert QuarterlyReport.objects.get(pk=report.pk).state == ReportState.ACCEPTED
    # an accepted quarter cannot be filed again: the typed error on the quarter field
    again = admin.post(f"{TOWN}/console/reports/?year=2022&quarter=2", data)
    assert 'data-field="quarter">该季度报告已通过审核，不能再修改' in again.content.decode()


def test_targets_by_the_county_and_the_province(world, people, as_user):  # noqa: F811
    county = as_user(people["county"])
    page = county.get("/console/supervision/targets/").content.decode()
    assert 'id="town-targets"' in page and 'id="county-targets"' not in page
    form = {
        "action": "town",
        "town-town": "320685109",
        "town-scheme_year": "2022",
        "town-person_share": "65.5",
    }
    assert county.post("/console/supervision/targets/", form).status_code == 302
    target = Target.objects.get(town__code="320685109", scheme_year=2022)
    assert target.person_share_bp == 6550 and target.set_by_username == people["county"].username
    shown = county.get("/console/supervision/targets/?year=2022").content.decode()
    assert "65.5%" in shown and "县级设定" in shown
    bad = county.post("/console/supervision/targets/", form | {"town-person_share": "120"})
    assert bad.status_code == 200 and 'data-field="person_share"' in bad.content.decode()
    assert Target.objects.get(pk=target.pk).person_share_bp == 6550
    province = as_user(people["province"])
    page = province.get("/console/supervision/targets/").content.decode()
    assert 'id="county-targets"' in page and 'id="town-targets"' not in page
    form = {
        "action": "county",
        "county-county": "320685",
        "county-scheme_year": "2022",
        "county-village_share": "40",
    }
    assert province.post("/console/supervision/targets/", form).status_code == 302
    assert Target.objects.get(level="province", county__code="320685").village_share_bp == 4000


def test_the_evaluation_computed_graded_signed_off_and_seen_by_the_town(world, people, as_user):  # noqa: F811
    county = as_user(people["county"])
    url = "/console/supervision/evaluations/320685107/2022/"
    page = county.get(url).content.decode()
    assert 'id="evaluation-items"' in page and 'id="sign-off-form"' in page
    assert county.post(url, {"action": "compute"}).status_code == 302
    # signing off without a grade: the typed error in Chinese, nothing frozen
    refused = county.post(url, {"action": "sign_off"}).content.decode()
    assert "签署前须评定等次" in refused
    assert Evaluation.objects.get(town__code="320685107").state == EvaluationState.COMPUTED
    findings = {"action": "findings", "briefing": "听取镇汇报", "spot_check": "抽查 3 个村", "grade": "良好"}
    assert county.post(url, findings).status_code == 302
    assert county.post(url, {"action": "sign_off"}).status_code == 302
    evaluation = Evaluation.objects.get(town__code="320685107")
    assert (evaluation.state, evaluation.grade) == (EvaluationState.SIGNED_OFF, "良好")
    frozen = county.get(url).content.decode()
    assert 'id="sign-off-form"' not in frozen and "良好" in frozen
    pdf = county.get("/console/supervision/evaluations/320685107/2022.pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content[:4] == b"%PDF"
    listed = county.get("/console/supervision/evaluations/").content.decode()
    assert "已签署" in listed
    town = as_user(people["town_admin"]).get(f"{TOWN}/console/evaluation/?year=2022").content.decode()
    assert "良好" in town and "抽查 3 个村" in town and "/console/evaluation/2022.pdf" in town


def test_the_survey_published_with_results(towns, people, as_user):  # noqa: F811
    county = as_user(people["county"])
    page = county.get("/console/supervision/survey/?year=2022").content.decode()
    assert 'id="no-survey"' in page and 'id="publish-survey"' in page
    done = county.post(
        "/console/supervision/survey/", {"county": "320685", "scheme_year": "2022", "title": ""}
    )
    assert done.status_code == 302
    survey = Survey.objects.get(county__code="320685", scheme_year=2022)
    results = county.get("/console/supervision/survey/?year=2022").content.decode()
    assert survey.title in results and 'id="survey-results"' in results and "知晓程度" in results
    province = as_user(people["province"]).get("/console/supervision/survey/?year=2022").content.decode()
    assert 'id="survey-results"' in province and 'id="publish-survey"' not in province


def test_a_towns_trend_beside_its_fund_health(world, people, as_user):  # noqa: F811
    page = as_user(people["province"]).get("/console/supervision/towns/320685107/?year=2022").content.decode()
    assert 'id="share-chart"' in page and 'id="money-chart"' in page and "资金用尽概率" in page
    assert "18.5%" in page and 'class="big bad"' in page  # above the 10% warning line
    calm = as_user(people["county"]).get("/console/supervision/towns/320685109/?year=2022").content.decode()
    assert "2%" in calm and 'class="big bad"' not in calm
