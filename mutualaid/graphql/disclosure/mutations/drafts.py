"""generateDisclosureDraft, refreshDisclosureDraft, publishDisclosure, reviseDisclosure and setDonorDisplay (the
town admin)."""

from __future__ import annotations

import graphene

from mutualaid.disclosure import actions, rules
from mutualaid.disclosure import permissions as perms
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.disclosure.mutations.base import DisclosureError, disclosure_of, town_target
from mutualaid.graphql.disclosure.types import DisclosureType


class DisclosureMutation(BaseMutation):
    disclosure = graphene.Field(DisclosureType)

    class Meta:
        abstract = True

    @classmethod
    def get_target(cls, info, **data):
        return town_target(info)


class GenerateDisclosureDraft(DisclosureMutation):
    """生成某月公示草稿（月份结束后；已有公示则返回已有的）。"""

    class Arguments:
        month = graphene.String(required=True, description="YYYY-MM")

    created = graphene.Boolean()

    class Meta:
        permission = perms.MANAGE_DISCLOSURES
        error_type = DisclosureError

    @classmethod
    def perform_mutation(cls, info, month):
        disclosure, created = actions.generate_draft(rules.parse_month(month), actor=info.context.user)
        return cls(disclosure=disclosure, created=created)


class RefreshDisclosureDraft(DisclosureMutation):
    """按资金台账重新生成草稿。"""

    class Arguments:
        id = graphene.ID(required=True)

    class Meta:
        permission = perms.MANAGE_DISCLOSURES
        error_type = DisclosureError
        error_renames = {"disclosure": "id"}

    @classmethod
    def perform_mutation(cls, info, id):
        return cls(disclosure=actions.refresh_draft(disclosure_of(info, id), actor=info.context.user))


class PublishDisclosure(DisclosureMutation):
    """审核后发布公示（发布后不可修改，异议期开始）。"""

    class Arguments:
        id = graphene.ID(required=True)

    class Meta:
        permission = perms.MANAGE_DISCLOSURES
        error_type = DisclosureError
        error_renames = {"disclosure": "id"}

    @classmethod
    def perform_mutation(cls, info, id):
        return cls(disclosure=actions.publish(disclosure_of(info, id), actor=info.context.user))


class ReviseDisclosure(DisclosureMutation):
    """更正已发布的公示：生成下一版草稿，并说明修改内容。"""

    class Arguments:
        month = graphene.String(required=True, description="YYYY-MM")
        changes = graphene.String(required=True, description="修改说明")

    class Meta:
        permission = perms.MANAGE_DISCLOSURES
        error_type = DisclosureError

    @classmethod
    def perform_mutation(cls, info, month, changes):
        disclosure = actions.revise(rules.parse_month(month), changes=changes, actor=info.context.user)
        return cls(disclosure=disclosure)


class SetDonorDisplay(BaseMutation):
    """捐赠人要求以“爱心人士”公示（按捐赠票据号）。"""

    class Arguments:
        receipt_number = graphene.String(required=True)
        anonymous = graphene.Boolean(required=True)

    anonymous = graphene.Boolean()

    class Meta:
        permission = perms.MANAGE_DISCLOSURES
        error_type = DisclosureError

    @classmethod
    def get_target(cls, info, **data):
        return town_target(info)

    @classmethod
    def perform_mutation(cls, info, receipt_number, anonymous):
        row = actions.set_donor_display(receipt_number, anonymous=anonymous, actor=info.context.user)
        return cls(anonymous=row.anonymous)
