"""publishSurvey (the county) and answerSurvey (a member, once; anonymous in results)."""

from __future__ import annotations

import graphene

from mutualaid.graphql.core.errors import NotFound
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.reporting.inputs import LikertAnswerInput, TextAnswerInput
from mutualaid.graphql.reporting.mutations.base import ReportingError, county_for, town_for
from mutualaid.graphql.reporting.types import SurveyType
from mutualaid.platform.accounts.permissions import Target
from mutualaid.reporting import actions
from mutualaid.reporting import permissions as perms
from mutualaid.reporting.models import Survey


class PublishSurvey(BaseMutation):
    """县级发布满意度问卷（知晓程度、保障水平、政府服务；评分题与意见）。"""

    survey = graphene.Field(SurveyType)

    class Arguments:
        county_code = graphene.String(required=True)
        scheme_year = graphene.Int(required=True)
        title = graphene.String()

    class Meta:
        permission = perms.PUBLISH_SURVEY
        error_type = ReportingError

    @classmethod
    def get_target(cls, info, county_code, **data):
        return Target.county(county_for(info, county_code, perms.PUBLISH_SURVEY).code)

    @classmethod
    def perform_mutation(cls, info, county_code, scheme_year, title=""):
        county = county_for(info, county_code, perms.PUBLISH_SURVEY)
        return cls(
            survey=actions.publish_survey(county, scheme_year, title=title or "", actor=info.context.user)
        )


class AnswerSurvey(BaseMutation):
    """村民作答满意度问卷（每人一次；结果不显示作答人）。"""

    ok = graphene.Boolean()

    class Arguments:
        town_code = graphene.String(required=True)
        scheme_year = graphene.Int(required=True)
        likert = graphene.List(graphene.NonNull(LikertAnswerInput), required=True)
        texts = graphene.List(graphene.NonNull(TextAnswerInput))

    class Meta:
        permission = perms.ANSWER_SURVEY
        error_type = ReportingError

    @classmethod
    def get_target(cls, info, town_code, **data):
        return Target.town(town_for(info, town_code, perms.ANSWER_SURVEY).code)

    @classmethod
    def perform_mutation(cls, info, town_code, scheme_year, likert, texts=None):
        town = town_for(info, town_code, perms.ANSWER_SURVEY)
        survey = Survey.objects.filter(county_id=town.county_id, scheme_year=scheme_year).first()
        if survey is None:
            raise NotFound("scheme_year", "问卷不存在")
        actions.answer_survey(
            survey,
            town,
            info.context.user,
            likert={a.key: a.score for a in likert},
            texts={t.key: t.text for t in texts or []},
        )
        return cls(ok=True)
