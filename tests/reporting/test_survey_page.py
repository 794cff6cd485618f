"""The members' survey page in the web console: the county's questionnaire, answered once, anonymous."""

from __future__ import annotations

from django.test import Client

from mutualaid.reporting import actions
from mutualaid.reporting.models import SurveyAnswer

KEYS = ("know_rules", "know_claim", "level", "burden", "service", "speed")


def _client(user) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_member_answers_once_on_the_phone_page(towns, people):
    dagong = towns["320685107"]
    actions.publish_survey(dagong.county, 2022, actor=None)
    member = _client(people["member"])
    page = member.get("/t/320685107/m/survey/")
    assert page.status_code == 200 and "知晓程度" in page.content.decode()
    answers = {k: "4" for k in KEYS} | {"advice": "希望简化手续"}
    done = member.post("/t/320685107/m/survey/", answers)
    assert done.status_code == 200 and "感谢您的参与" in done.content.decode()
    member.post("/t/320685107/m/survey/", answers)
    assert SurveyAnswer.objects.count() == 1
    assert SurveyAnswer.objects.get().texts == {"advice": "希望简化手续"}
    for role in ("town_admin", "county", "other_member"):
        assert _client(people[role]).get("/t/320685107/m/survey/").status_code == 404, role
    assert _client(None).get("/t/320685107/m/survey/").status_code == 302


def test_incomplete_answers_are_refused_with_a_message(towns, people):
    actions.publish_survey(towns["320685107"].county, 2022, actor=None)
    response = _client(people["member"]).post("/t/320685107/m/survey/", {"know_rules": "5"})
    assert "请回答全部评分题" in response.content.decode() and not SurveyAnswer.objects.exists()
