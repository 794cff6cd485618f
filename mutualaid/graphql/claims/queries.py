"""Claim queries: the town's claims (each caller sees what their role covers: a member their household's, a
coordinator their village's, the town office the town's, reviewers the towns their firm serves), one claim with
its decision and events, a document's content after the permission check, and the reviewers' cross-town queue
(platform schema)."""

from __future__ import annotations

import base64

import graphene
from graphene_django import DjangoConnectionField

from mutualaid.claims import application, selectors
from mutualaid.claims import permissions as perms
from mutualaid.claims.models import OPEN_STATES, Claim, ClaimDocument
from mutualaid.claims_queue.api import queue_for
from mutualaid.graphql.claims.types import ClaimStateEnum, ClaimType, ReviewQueueEntryType
from mutualaid.graphql.core.mutations import NotFound, pk_from_global_id
from mutualaid.graphql.core.permissions import PermissionDeniedError, permission_required
from mutualaid.graphql.core.values import enum_value
from mutualaid.graphql.enrolment.types import DownloadFile


def town_code(info) -> str:
    return info.context.tenant.code


def visible_claims(info, rule=perms.READ_CLAIMS):
    return Claim.objects.filter(perms.visible_filter(info.context.user, rule, town_code(info)))


class ClaimQueries(graphene.ObjectType):
    claims = DjangoConnectionField(
        ClaimType,
        state=graphene.Argument(ClaimStateEnum),
        village_code=graphene.String(),
        scheme_year=graphene.Int(),
        due_before=graphene.Date(description="审核截止日不晚于"),
        due_after=graphene.Date(description="审核截止日不早于"),
        overdue=graphene.Boolean(description="只看已超时未决定的申请"),
        description="补助申请（按角色可见范围；按截止日排序）",
    )
    claim = graphene.Field(ClaimType, id=graphene.ID(required=True))
    claims_overdue_count = graphene.Int(required=True, description="可见范围内超过审核时限仍未决定的申请数")
    claim_document_download = graphene.Field(
        DownloadFile, id=graphene.ID(required=True), description="下载申请材料（经权限检查）"
    )

    @permission_required(perms.READ_CLAIMS)
    def resolve_claims(
        root, info, state=None, village_code=None, scheme_year=None, due_before=None, due_after=None,
        overdue=None, **kwargs,
    ):  # fmt: skip
        queryset = visible_claims(info)
        if state:
            queryset = queryset.filter(state=enum_value(state))
        if village_code:
            queryset = queryset.filter(village_code=village_code)
        if scheme_year:
            queryset = queryset.filter(scheme_year=scheme_year)
        if due_before:
            queryset = queryset.filter(due_date__lte=due_before)
        if due_after:
            queryset = queryset.filter(due_date__gte=due_after)
        if overdue is not None:
            late = queryset.filter(state__in=OPEN_STATES, due_date__lt=selectors.today())
            queryset = late if overdue else queryset.exclude(pk__in=late.values("pk"))
        return queryset.order_by("due_date", "-created_at", "-id")

    @permission_required(perms.READ_CLAIMS)
    def resolve_claim(root, info, id):
        pk = pk_from_global_id(id, "Claim", "id")
        return visible_claims(info).filter(pk=pk).first()

    @permission_required(perms.READ_CLAIMS)
    def resolve_claims_overdue_count(root, info):
        return selectors.overdue_count(visible_claims(info))

    @permission_required(perms.READ_CLAIM_DOCUMENTS)
    def resolve_claim_document_download(root, info, id):
        try:
            pk = pk_from_global_id(id, "ClaimDocument", "id")
        except NotFound:
            return None
        document = ClaimDocument.objects.select_related("claim").filter(pk=pk).first()
        if document is None or not perms.can(info.context.user, perms.READ_CLAIM_DOCUMENTS, document.claim):
            return None
        with document.file.open("rb") as handle:
            content = handle.read()
        application.record_document_read(document, actor=info.context.user)
        return DownloadFile(
            file_name=document.file.name.rsplit("/", 1)[-1],
            content_type=document.content_type,
            content_base64=base64.b64encode(content).decode(),
        )


class ReviewQueueQueries(graphene.ObjectType):
    review_queue = DjangoConnectionField(
        ReviewQueueEntryType,
        overdue=graphene.Boolean(description="只看已超时的"),
        description="服务机构审核员的跨镇审核队列（所服务各镇待审核的申请，按截止日排序）",
    )
    review_queue_overdue_count = graphene.Int(required=True)

    @staticmethod
    def _check(info):
        user = info.context.user
        if not perms.may_read_review_queue(user):
            raise PermissionDeniedError("请先登录" if not user.is_authenticated else "无权访问")

    def resolve_review_queue(root, info, overdue=None, **kwargs):
        ReviewQueueQueries._check(info)
        entries = queue_for(info.context.user)
        if overdue is not None:
            entries = (
                entries.filter(due_date__lt=selectors.today())
                if overdue
                else entries.filter(due_date__gte=selectors.today())
            )
        return entries

    def resolve_review_queue_overdue_count(root, info):
        ReviewQueueQueries._check(info)
        return queue_for(info.context.user).filter(due_date__lt=selectors.today()).count()
