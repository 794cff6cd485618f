"""The members' satisfaction survey page (phone): the county's questionnaire for the latest scheme year, answered
once (the answer is kept without the member's identity; see ``mutualaid.reporting.actions.answer_survey``)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from mutualaid.reporting import actions
from mutualaid.reporting import permissions as perms
from mutualaid.reporting.models import Survey, SurveyState
from mutualaid.web import nav
from mutualaid.web.access import allowed, render, town_page

LIKERT = ((5, "非常满意"), (4, "满意"), (3, "一般"), (2, "不满意"), (1, "非常不满意"))


def is_member(request) -> bool:
    return allowed(request, perms.ANSWER_SURVEY)


nav.register(
    nav.NavItem(
        "member-survey", "满意度调查", "web-member-survey", site=nav.MEMBER, order=30, visible=is_member
    )
)


def _survey(request) -> Survey | None:
    return (
        Survey.objects.filter(county_id=request.tenant.county_id, state=SurveyState.PUBLISHED)
        .order_by("-scheme_year")
        .first()
    )


@town_page(check=is_member)
def member_survey(request):
    survey = _survey(request)
    errors: list[str] = []
    answered = False
    if survey is not None:
        answered = survey.answers.filter(
            respondent_hash=actions.respondent_hash(survey, request.user)
        ).exists()
        if request.method == "POST" and not answered:
            likert, texts = {}, {}
            for question in survey.questions:
                value = request.POST.get(question["key"], "").strip()
                if question["kind"] == "likert" and value.isdigit():
                    likert[question["key"]] = int(value)
                elif question["kind"] == "text" and value:
                    texts[question["key"]] = value
            try:
                with transaction.atomic():
                    actions.answer_survey(survey, request.tenant, request.user, likert=likert, texts=texts)
                answered = True
            except ValidationError as exc:
                errors = [m for messages in exc.message_dict.values() for m in messages]
    return render(
        request,
        "web/member/survey.html",
        {"survey": survey, "answered": answered, "errors": errors, "choices": LIKERT},
    )
