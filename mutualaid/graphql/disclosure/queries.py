"""Disclosure queries. Public (no login): the published months and a month's latest (or given) revision — only
what the page shows. Town admin and finance: every revision, drafts included. Town admin and the firm's
reviewers: the objections and their handling."""

from __future__ import annotations

import graphene
from django.core.exceptions import ValidationError
from django.db.models import OuterRef, Subquery

from mutualaid.claims.models import Claim
from mutualaid.disclosure import actions, rules
from mutualaid.disclosure import permissions as perms
from mutualaid.disclosure.models import Disclosure, Objection
from mutualaid.graphql.core.permissions import permission_required
from mutualaid.graphql.core.values import enum_value
from mutualaid.graphql.disclosure.types import DisclosureObjectionType, DisclosureType, ObjectionStateEnum
from mutualaid.graphql.payouts.types import town_pk


def _month(text: str):
    try:
        return rules.parse_month(text)
    except ValidationError:
        return None


class DisclosureQueries(graphene.ObjectType):
    public_disclosures = graphene.List(
        graphene.NonNull(DisclosureType),
        required=True,
        description="已发布的月度公示（每月最新版，新的在前；无需登录）",
    )
    public_disclosure = graphene.Field(
        DisclosureType,
        month=graphene.String(required=True, description="YYYY-MM"),
        revision=graphene.Int(description="版本号（默认最新版）"),
        description="某月已发布的公示（无需登录）",
    )
    disclosures = graphene.List(
        graphene.NonNull(DisclosureType),
        required=True,
        month=graphene.String(description="YYYY-MM"),
        description="全部公示及其修订版（含草稿）",
    )
    disclosure = graphene.Field(DisclosureType, id=graphene.ID(required=True))
    disclosure_objections = graphene.List(
        graphene.NonNull(DisclosureObjectionType),
        required=True,
        state=graphene.Argument(ObjectionStateEnum),
        description="公示异议（不含异议人信息）",
    )

    def resolve_public_disclosures(root, info):
        return actions.published_months()

    def resolve_public_disclosure(root, info, month, revision=None):
        found = _month(month)
        if found is None:
            return None
        queryset = Disclosure.objects.published().filter(month=found)
        if revision is not None:
            queryset = queryset.filter(revision=revision)
        return queryset.order_by("-revision").first()

    @permission_required(perms.READ_DRAFTS)
    def resolve_disclosures(root, info, month=None):
        queryset = Disclosure.objects.all()
        if month is not None:
            found = _month(month)
            queryset = queryset.filter(month=found) if found else queryset.none()
        return list(queryset.order_by("-month", "-revision"))

    @permission_required(perms.READ_DRAFTS)
    def resolve_disclosure(root, info, id):
        return Disclosure.objects.filter(pk=town_pk(info, id, "Disclosure", "id")).first()

    @permission_required(perms.READ_OBJECTIONS)
    def resolve_disclosure_objections(root, info, state=None):
        queryset = Objection.objects.select_related("disclosure").annotate(
            objected_claim_state=Subquery(Claim.objects.filter(pk=OuterRef("claim_id")).values("state")[:1])
        )
        if state:
            queryset = queryset.filter(state=enum_value(state))
        return list(queryset[:500])
