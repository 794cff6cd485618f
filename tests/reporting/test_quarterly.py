"""Quarterly progress reports: the plan from the 海安 template, reports pre-filled from the rollup, the county's
review (accept / return with comments, refiled as the next revision), reminders by SMS when a report is due."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.core.exceptions import ValidationError

from mutualaid.platform import crypto
from mutualaid.platform.sms import RecordingSmsBackend
from mutualaid.reporting import actions, refresh, rules, tasks
from mutualaid.reporting.models import PlanTask, ReminderSent, ReportState
from tests.factories import graphql

FILE = """mutation($q: Int!, $items: [ReportItemInput!]!) {
  fileQuarterlyReport(townCode: "320685107", schemeYear: 2022, quarter: $q, items: $items, summary: "进展") {
    report { id state revision figures items { key status note dueDate } } errors { field code } } }"""
REVIEW = """mutation($id: ID!, $accept: Boolean!, $comment: String) {
  reviewQuarterlyReport(id: $id, accept: $accept, comment: $comment) {
    report { state reviewComment history } errors { field code } } }"""
PLAN = """mutation { fileQuarterlyPlan(townCode: "320685107", schemeYear: 2022,
  targets: [{key: "enter_roster", target: "14 个村名单全部录入"}]) { tasks { key quarter dueDate target } errors { code } } }"""


def test_plan_follows_the_haian_steps(dagong, people):
    result = graphql(people["town_admin"], PLAN)["data"]["fileQuarterlyPlan"]
    keys = [t["key"] for t in result["tasks"]]
    assert keys == [t.key for t in rules.HAIAN_TEMPLATE]
    by_key = {t["key"]: t for t in result["tasks"]}
    assert by_key["kickoff_meeting"] == {
        "key": "kickoff_meeting", "quarter": 2, "dueDate": "2022-05-15", "target": "召开推进会议，制定推进方案"
    }  # fmt: skip
    assert by_key["enter_roster"]["target"] == "14 个村名单全部录入"
    assert by_key["subsidies"]["quarter"] == 4


def test_report_returned_refiled_and_accepted(demo_towns, people):
    refresh.refresh_town(demo_towns["320685107"])
    graphql(people["town_admin"], PLAN)
    items = [{"key": "survey_villages", "status": "done", "note": "已选定试点村"}]
    filed = graphql(people["town_admin"], FILE, {"q": 2, "items": items})["data"]["fileQuarterlyReport"]
    report = filed["report"]
    assert filed["errors"] == [] and report["state"] == "filed" and report["revision"] == 1
    assert json.loads(report["figures"])["enrolled_people"] > 0  # pre-filled from the rollup
    # tasks due by the quarter's end are listed, those not reported as pending
    assert {i["key"]: i["status"] for i in report["items"]}["training"] == "pending"
    assert "subsidies" not in {i["key"] for i in report["items"]}
    no_comment = graphql(people["county"], REVIEW, {"id": report["id"], "accept": False})
    assert no_comment["data"]["reviewQuarterlyReport"]["errors"] == [
        {"field": "comment", "code": "COMMENT_REQUIRED"}
    ]
    returned = graphql(people["county"], REVIEW, {"id": report["id"], "accept": False, "comment": "请补充"})
    assert returned["data"]["reviewQuarterlyReport"]["report"]["state"] == "returned"
    # the province does not see it before it is accepted
    query = "query { quarterlyReports(schemeYear: 2022) { townCode quarter state revision } }"
    assert graphql(people["province"], query)["data"]["quarterlyReports"] == []
    again = graphql(people["town_admin"], FILE, {"q": 2, "items": items})["data"]["fileQuarterlyReport"]
    assert again["report"]["revision"] == 2 and again["report"]["state"] == "filed"
    accepted = graphql(people["county"], REVIEW, {"id": report["id"], "accept": True})
    history = json.loads(accepted["data"]["reviewQuarterlyReport"]["report"]["history"])
    assert [h["state"] for h in history] == ["filed", "returned", "filed", "accepted"]
    assert graphql(people["province"], query)["data"]["quarterlyReports"] == [
        {"townCode": "320685107", "quarter": 2, "state": "accepted", "revision": 2}
    ]
    # an accepted report is final
    late = graphql(people["town_admin"], FILE, {"q": 2, "items": items})["data"]["fileQuarterlyReport"]
    assert late["errors"] == [{"field": "quarter", "code": "WRONG_STATE"}]


def test_report_needs_a_plan_and_known_tasks(dagong):
    with pytest.raises(ValidationError) as exc:
        actions.file_report(dagong, 2022, 2, items=[], actor=None)
    assert exc.value.error_dict["scheme_year"][0].code == "no_plan"
    actions.file_plan(dagong, 2022, actor=None)
    with pytest.raises(ValidationError) as exc:
        actions.file_report(dagong, 2022, 2, items=[{"key": "nope", "status": "done"}], actor=None)
    assert exc.value.error_dict["items"][0].code == "invalid_task"
    with pytest.raises(ValidationError):
        actions.file_report(dagong, 2022, 5, items=[], actor=None)


def test_reminders_go_to_town_admins_once_when_a_report_is_due(towns, people):
    dagong, yazhou = towns["320685107"], towns["320685109"]
    admin = people["town_admin"]
    admin.phone_encrypted = crypto.encrypt("13800001111")
    admin.save()
    actions.file_plan(dagong, 2022, actor=None)
    actions.file_plan(yazhou, 2022, actor=None)
    actions.file_report(yazhou, 2022, 2, items=[], actor=None)  # 雅周镇 has filed Q2
    RecordingSmsBackend.outbox.clear()
    assert tasks.quarterly_report_reminders("2022-06-20") == {}  # the plan has no task in Q1
    assert tasks.quarterly_report_reminders("2022-07-01") == {}  # Q2's report is due on 10 July
    sent = tasks.quarterly_report_reminders("2022-07-06")
    assert sent == {"320685107": 1}
    assert tasks.quarterly_report_reminders("2022-07-12") == {}  # once per town and quarter
    messages = [m for m in RecordingSmsBackend.outbox if m.phone == "13800001111"]
    assert len(messages) == 1 and "第2季度" in messages[0].text
    assert ReminderSent.objects.get(town_code="320685107").quarter == 2
    assert PlanTask.objects.filter(town=dagong).count() == len(rules.HAIAN_TEMPLATE)
    assert rules.report_due(2022, 4) == date(2023, 1, 10)
    assert ReportState.ACCEPTED == "accepted"
