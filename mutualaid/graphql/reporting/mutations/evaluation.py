"""computeEvaluation, recordEvaluationFindings, signOffEvaluation: the county's November evaluation of a town."""

from __future__ import annotations

import graphene

from mutualaid.graphql.core.errors import NotFound
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.reporting.mutations.base import ReportingError, town_for
from mutualaid.graphql.reporting.types import EvaluationType
from mutualaid.platform.accounts.permissions import Target
from mutualaid.reporting import actions
from mutualaid.reporting import permissions as perms
from mutualaid.reporting.models import Evaluation


class EvaluationMutation(BaseMutation):
    evaluation = graphene.Field(EvaluationType)

    class Meta:
        abstract = True

    @classmethod
    def get_target(cls, info, town_code, **data):
        return Target.town(town_for(info, town_code, perms.EVALUATE_TOWN).code)

    @staticmethod
    def existing(info, town_code, scheme_year) -> Evaluation:
        town = town_for(info, town_code, perms.EVALUATE_TOWN)
        found = Evaluation.objects.filter(town=town, scheme_year=scheme_year).select_related("town").first()
        if found is None:
            raise NotFound("scheme_year", "尚未计算评估")
        return found


class ComputeEvaluation(EvaluationMutation):
    """按数据计算评估验收表（参与率、资金存管、补助水平、发放及时、满意度），每项附依据。"""

    class Arguments:
        town_code = graphene.String(required=True)
        scheme_year = graphene.Int(required=True)

    class Meta:
        permission = perms.EVALUATE_TOWN
        error_type = ReportingError

    @classmethod
    def perform_mutation(cls, info, town_code, scheme_year):
        town = town_for(info, town_code, perms.EVALUATE_TOWN)
        return cls(evaluation=actions.compute_evaluation(town, scheme_year, actor=info.context.user))


class RecordEvaluationFindings(EvaluationMutation):
    """记录听取汇报、实地抽查情况和评定等次（优秀、良好、合格、不合格）。"""

    class Arguments:
        town_code = graphene.String(required=True)
        scheme_year = graphene.Int(required=True)
        briefing = graphene.String()
        spot_check = graphene.String()
        grade = graphene.String()

    class Meta:
        permission = perms.EVALUATE_TOWN
        error_type = ReportingError

    @classmethod
    def perform_mutation(cls, info, town_code, scheme_year, briefing="", spot_check="", grade=""):
        evaluation = actions.record_findings(
            cls.existing(info, town_code, scheme_year),
            briefing=briefing or "",
            spot_check=spot_check or "",
            grade=grade or "",
            actor=info.context.user,
        )
        return cls(evaluation=evaluation)


class SignOffEvaluation(EvaluationMutation):
    """签署评估验收表；签署后冻结，不能再修改。"""

    class Arguments:
        town_code = graphene.String(required=True)
        scheme_year = graphene.Int(required=True)

    class Meta:
        permission = perms.EVALUATE_TOWN
        error_type = ReportingError

    @classmethod
    def perform_mutation(cls, info, town_code, scheme_year):
        evaluation = actions.sign_off(cls.existing(info, town_code, scheme_year), actor=info.context.user)
        return cls(evaluation=evaluation)
