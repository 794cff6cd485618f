"""Save a one-click design as a draft policy version (the scheme year's draft, or a new amendment of the published
policy); the note of every input goes to the audit event ``policy.scheme_design``."""

from __future__ import annotations

import graphene

from mutualaid.graphql.policies.design import (
    ERROR_RENAMES,
    SchemeDesign,
    SchemeDesignError,
    SchemeDesignInput,
    design_type,
    prepare,
)
from mutualaid.graphql.policies.mutations.base import MANAGE_POLICY, PolicyMutation
from mutualaid.policies import design_inputs


class SchemeDesignSave(PolicyMutation):
    """一键设计并保存为草稿：已有草稿则替换其补助定额表；已发布则生成修订草稿（不改动已发布版本）。"""

    design = graphene.Field(SchemeDesign)

    class Arguments:
        input = SchemeDesignInput(required=True)
        effective_from = graphene.Date(description="修订生效日期（已发布时生成修订草稿用），默认保障期开始日")

    class Meta:
        permission = MANAGE_POLICY
        error_type = SchemeDesignError
        error_renames = ERROR_RENAMES

    @classmethod
    def perform_mutation(cls, info, input, effective_from=None):
        outcome = prepare(input)
        draft = design_inputs.save_design_as_draft(outcome, info.context.user, effective_from=effective_from)
        return cls(policy=draft, design=design_type(outcome))


class SchemeDesignMutations(graphene.ObjectType):
    scheme_design_save = SchemeDesignSave.Field()
