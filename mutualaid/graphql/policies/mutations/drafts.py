"""Drafts: create a scheme year's first draft, set its parameters, funding shares, special groups and thresholds."""

from __future__ import annotations

import graphene

from mutualaid.graphql.core.values import enum_value, fen
from mutualaid.graphql.policies.inputs import (
    FundingShareInput,
    PolicyDraftInput,
    SpecialGroupInput,
    ThresholdInput,
)
from mutualaid.graphql.policies.mutations.base import MANAGE_POLICY, PolicyError, PolicyMutation
from mutualaid.graphql.policies.parameters import CLEARABLE, draft_changes
from mutualaid.policies import actions
from mutualaid.policies.terms import FundingShare, SpecialGroupRule
from mutualaid.policies.values import Threshold


class PolicyDraftCreate(PolicyMutation):
    """新建互助年度并创建第 1 版草稿。"""

    class Arguments:
        scheme_year = graphene.Int(required=True, description="互助年度（交费所在年份）")

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, scheme_year):
        return cls(policy=actions.create_draft(scheme_year, info.context.user))


class PolicyDraftUpdate(PolicyMutation):
    """修改草稿的参数（只传需要修改的字段；金额为元）。"""

    class Arguments:
        id = graphene.ID(required=True)
        input = PolicyDraftInput(required=True)
        clear_fields = graphene.List(
            graphene.NonNull(graphene.String),
            description="清空的可选参数：" + "、".join(CLEARABLE),
        )

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, input, clear_fields=None):
        policy = cls.policy_of(info, {"id": id})
        changes = draft_changes(dict(input), clear_fields)
        return cls(policy=actions.update_draft(policy, info.context.user, **changes))


class PolicyFundingSharesSet(PolicyMutation):
    """设置筹资结构（各来源每人出资额，合计须等于互助费标准）。"""

    class Arguments:
        id = graphene.ID(required=True)
        shares = graphene.List(graphene.NonNull(FundingShareInput), required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, shares):
        policy = cls.policy_of(info, {"id": id})
        values = [
            FundingShare(
                source=enum_value(s.source),
                amount_fen=fen(s.amount, field=f"shares[{i}].amount"),
            )
            for i, s in enumerate(shares)
        ]
        return cls(policy=actions.set_funding_shares(policy, values, info.context.user))


class PolicySpecialGroupsSet(PolicyMutation):
    """设置特殊困难群体：免个人出资（由指定来源代缴）或不参加。"""

    class Arguments:
        id = graphene.ID(required=True)
        groups = graphene.List(graphene.NonNull(SpecialGroupInput), required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, groups):
        policy = cls.policy_of(info, {"id": id})
        values = [
            SpecialGroupRule(
                category=enum_value(g.category),
                treatment=enum_value(g.treatment),
                paid_by=enum_value(g.paid_by) if g.paid_by else None,
            )
            for g in groups
        ]
        return cls(policy=actions.set_special_groups(policy, values, info.context.user))


class PolicyThresholdsSet(PolicyMutation):
    """设置各参保类型的起付条件（口径与金额）。"""

    class Arguments:
        id = graphene.ID(required=True)
        thresholds = graphene.List(graphene.NonNull(ThresholdInput), required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, thresholds):
        policy = cls.policy_of(info, {"id": id})
        values = [
            Threshold(
                insurance_type=enum_value(t.insurance_type),
                basis=enum_value(t.basis),
                amount_fen=fen(t.amount, field=f"thresholds[{i}].amount"),
            )
            for i, t in enumerate(thresholds)
        ]
        return cls(policy=actions.set_thresholds(policy, values, info.context.user))
