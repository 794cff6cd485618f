"""A version's life: publish a draft, amend a published version, copy it to another year, apply a preset."""

from __future__ import annotations

import graphene

from mutualaid.graphql.policies.mutations.base import MANAGE_POLICY, PolicyError, PolicyMutation
from mutualaid.policies import actions


class PolicyPublish(PolicyMutation):
    """发布草稿：校验全部参数，一次列出所有错误；发布后不可修改。"""

    class Arguments:
        id = graphene.ID(required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id):
        return cls(policy=actions.publish(cls.policy_of(info, {"id": id}), info.context.user))


class PolicyAmend(PolicyMutation):
    """修订已发布版本：复制为新版本草稿，写明生效日期与原因。"""

    class Arguments:
        id = graphene.ID(required=True, description="已发布版本")
        effective_from = graphene.Date(required=True)
        reason = graphene.String(required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, effective_from, reason):
        policy = cls.policy_of(info, {"id": id})
        return cls(policy=actions.amend(policy, effective_from, reason, info.context.user))


class PolicyCopyToYear(PolicyMutation):
    """复制已发布版本为另一互助年度（如 2023）的第 1 版草稿：参数与补助定额表全部复制，日期顺延相应年数。"""

    class Arguments:
        id = graphene.ID(required=True, description="已发布版本")
        scheme_year = graphene.Int(required=True, description="新的互助年度")

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, scheme_year):
        policy = cls.policy_of(info, {"id": id})
        return cls(policy=actions.copy_to_year(policy, scheme_year, info.context.user))


class PolicyPresetApply(PolicyMutation):
    """套用文件预设到某互助年度的草稿，日期按文件规则顺延到该年度，可选直接发布。"""

    class Arguments:
        key = graphene.String(
            required=True,
            description="预设键（xinsheng-2022、haian-2022）、文件（xinsheng、haian）、乡镇代码，或 auto（本镇所在地区的文件）",
        )
        publish = graphene.Boolean(default_value=False)
        scheme_year = graphene.Int(
            description="互助年度；默认：带年份的预设键及试点镇为其年份，否则为下一个开始交费的年度"
        )

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, key, publish=False, scheme_year=None):
        town = info.context.tenant.code
        policy = actions.apply_preset(
            key, info.context.user, publish=publish, scheme_year=scheme_year, town_code=town
        )
        return cls(policy=policy)
