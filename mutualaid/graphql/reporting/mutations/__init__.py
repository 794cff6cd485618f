"""The supervision mutations, one module per family: targets, quarterly reports, survey, evaluation."""

from __future__ import annotations

import graphene

from mutualaid.graphql.reporting.mutations.evaluation import (
    ComputeEvaluation,
    RecordEvaluationFindings,
    SignOffEvaluation,
)
from mutualaid.graphql.reporting.mutations.quarterly import (
    FileQuarterlyPlan,
    FileQuarterlyReport,
    ReviewQuarterlyReport,
)
from mutualaid.graphql.reporting.mutations.survey import AnswerSurvey, PublishSurvey
from mutualaid.graphql.reporting.mutations.targets import SetCountyTargets, SetTownTargets


class ReportingMutations(graphene.ObjectType):
    set_town_targets = SetTownTargets.Field()
    set_county_targets = SetCountyTargets.Field()
    file_quarterly_plan = FileQuarterlyPlan.Field()
    file_quarterly_report = FileQuarterlyReport.Field()
    review_quarterly_report = ReviewQuarterlyReport.Field()
    publish_survey = PublishSurvey.Field()
    answer_survey = AnswerSurvey.Field()
    compute_evaluation = ComputeEvaluation.Field()
    record_evaluation_findings = RecordEvaluationFindings.Field()
    sign_off_evaluation = SignOffEvaluation.Field()
