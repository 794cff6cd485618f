"""The draft's subsidy table: upload a file, scale the amounts, copy last year's table."""

from __future__ import annotations

import base64
import binascii

import graphene
from django.core.exceptions import ValidationError

from mutualaid.graphql.policies.mutations.base import MANAGE_POLICY, PolicyError, PolicyMutation
from mutualaid.policies import actions
from mutualaid.policies import subsidy_table as tables


class PolicySubsidyTableUpload(PolicyMutation):
    """上传补助定额表（.csv 或 .xlsx，base64）；任何一行有误则整表不导入，并列出行号。"""

    class Arguments:
        id = graphene.ID(required=True)
        filename = graphene.String(required=True)
        content_base64 = graphene.String(required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, filename, content_base64):
        policy = cls.policy_of(info, {"id": id})
        try:
            content = base64.b64decode(content_base64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValidationError(
                {"content_base64": ValidationError("文件内容不是有效的 base64", code="invalid_file_type")}
            ) from exc
        return cls(policy=actions.upload_subsidy_table(policy, filename, content, info.context.user))


class PolicySubsidyTableScale(PolicyMutation):
    """按系数调整补助定额（四舍五入到元，并限制在单次最低与最高补助之间）。"""

    class Arguments:
        id = graphene.ID(required=True)
        factor = graphene.String(required=True, description='如 "1.1" 表示上调 10%')

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id, factor):
        policy = cls.policy_of(info, {"id": id})
        return cls(policy=actions.scale_subsidy_table(policy, tables.parse_factor(factor), info.context.user))


class PolicySubsidyTableCopyFromPreviousYear(PolicyMutation):
    """复制上一互助年度已发布版本的补助定额表到本草稿。"""

    class Arguments:
        id = graphene.ID(required=True)

    class Meta:
        permission = MANAGE_POLICY
        error_type = PolicyError

    @classmethod
    def perform_mutation(cls, info, id):
        policy = cls.policy_of(info, {"id": id})
        return cls(policy=actions.copy_subsidy_table_from_previous_year(policy, info.context.user))
