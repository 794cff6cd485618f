"""Inputs of the supervision mutations."""

from __future__ import annotations

import graphene


class TargetsInput(graphene.InputObjectType):
    village_share_percent = graphene.Decimal(description="行政村参与率目标（%），空为不设")
    household_share_percent = graphene.Decimal(description="试点村农户参与率目标（%）")
    person_share_percent = graphene.Decimal(description="群众参与率目标（%）")


class PlanTaskTargetInput(graphene.InputObjectType):
    key = graphene.String(required=True, description="模板任务：survey_villages、break_down … evaluation")
    target = graphene.String(required=True)


class ReportItemInput(graphene.InputObjectType):
    key = graphene.String(required=True)
    status = graphene.String(required=True, description="done / late / pending")
    note = graphene.String()


class LikertAnswerInput(graphene.InputObjectType):
    key = graphene.String(required=True)
    score = graphene.Int(required=True, description="1–5 分")


class TextAnswerInput(graphene.InputObjectType):
    key = graphene.String(required=True)
    text = graphene.String(required=True)
