"""Objections: requestObjectionCode and submitDisclosureObjection (public: a signed-in member, or a phone verified by
a one-time SMS code; rate-limited per phone and per address), answerDisclosureObjection and
resolveDisclosureObjection (the firm's reviewers), holdObjectedSubsidy (the town admin)."""

from __future__ import annotations

import graphene
from django.core.exceptions import PermissionDenied

from mutualaid.claims import permissions as claim_perms
from mutualaid.disclosure import actions
from mutualaid.disclosure import permissions as perms
from mutualaid.graphql.core.errors import NotFound
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.disclosure.mutations.base import (
    DisclosureError,
    disclosure_of,
    objection_of,
    town_target,
)
from mutualaid.graphql.disclosure.types import DisclosureObjectionType
from mutualaid.platform.accounts.permissions import has_permission


def _address(info) -> str:
    return info.context.META.get("REMOTE_ADDR", "") or ""


class RequestObjectionCode(BaseMutation):
    """向手机号发送异议验证码（无需登录；不透露该手机号是否为参加成员）。"""

    class Arguments:
        phone = graphene.String(required=True)

    sent = graphene.Boolean()

    class Meta:
        public = True
        error_type = DisclosureError

    @classmethod
    def perform_mutation(cls, info, phone):
        actions.request_code(phone, address=_address(info))
        return cls(sent=True)


class SubmitDisclosureObjection(BaseMutation):
    """对公示的补助提出异议（异议期内；登录成员，或填写手机号与短信验证码）。"""

    class Arguments:
        disclosure_id = graphene.ID(required=True)
        number = graphene.Int(required=True, description="公示编号")
        reason = graphene.String(required=True)
        phone = graphene.String()
        code = graphene.String()

    submitted = graphene.Boolean()

    class Meta:
        public = True
        atomic = False  # a wrong code's attempt is kept even though the objection fails
        error_type = DisclosureError
        error_renames = {"disclosure": "disclosureId", "claim": "number"}

    @classmethod
    def perform_mutation(cls, info, disclosure_id, number, reason, phone="", code=""):
        disclosure = disclosure_of(info, disclosure_id, "disclosureId")
        if not disclosure.is_published:
            raise NotFound("disclosureId")
        user = info.context.user
        signed_in = has_permission(user, perms.OBJECT_SIGNED_IN, town_target(info))
        actions.submit_objection(
            disclosure,
            number,
            reason,
            user=user if signed_in else None,
            phone=phone or "",
            code=code or "",
            address=_address(info),
        )
        return cls(submitted=True)


class ObjectionMutation(BaseMutation):
    objection = graphene.Field(DisclosureObjectionType)

    class Meta:
        abstract = True

    @classmethod
    def get_target(cls, info, **data):
        return town_target(info)


class AnswerDisclosureObjection(ObjectionMutation):
    """答复异议：维持原审核结论，或重新审核（reopen）。重新审核时，已核准未发放的补助退回审核中（冲减应付补助、
    释放年度累计额度、移出未审批的发放批次、重新进入审核队列）；已发放的补助不能退回，须由镇农业服务中心办理追回
    （见 nextStep）。"""

    class Arguments:
        id = graphene.ID(required=True)
        reopen = graphene.Boolean(required=True)
        answer = graphene.String(required=True)

    class Meta:
        permission = perms.ANSWER_OBJECTIONS
        error_type = DisclosureError
        error_renames = {"objection": "id", "claim": "id"}

    @classmethod
    def get_target(cls, info, reopen=False, **data):
        target = town_target(info)
        if reopen and not has_permission(info.context.user, claim_perms.REOPEN_CLAIMS, target):
            raise PermissionDenied
        return target

    @classmethod
    def perform_mutation(cls, info, id, reopen, answer):
        objection = actions.answer_objection(
            objection_of(info, id), reopen=reopen, answer=answer, actor=info.context.user
        )
        return cls(objection=objection)


class ResolveDisclosureObjection(ObjectionMutation):
    """登记重新审核的结果（在下期公示）。"""

    class Arguments:
        id = graphene.ID(required=True)
        outcome = graphene.String(required=True)

    class Meta:
        permission = perms.ANSWER_OBJECTIONS
        error_type = DisclosureError
        error_renames = {"objection": "id"}

    @classmethod
    def perform_mutation(cls, info, id, outcome):
        objection = actions.resolve_objection(
            objection_of(info, id), outcome=outcome, actor=info.context.user
        )
        return cls(objection=objection)


class HoldObjectedSubsidy(ObjectionMutation):
    """异议未办结期间暂缓发放该笔补助（held=false 解除）。"""

    class Arguments:
        id = graphene.ID(required=True)
        held = graphene.Boolean(required=True)

    class Meta:
        permission = perms.HOLD_SUBSIDY
        error_type = DisclosureError
        error_renames = {"objection": "id"}

    @classmethod
    def perform_mutation(cls, info, id, held):
        objection = actions.hold(objection_of(info, id), held=held, actor=info.context.user)
        return cls(objection=objection)
