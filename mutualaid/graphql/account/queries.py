"""Account queries: the viewer, and who holds which role within the viewer's scope."""

from __future__ import annotations

import graphene
from django.contrib.auth.models import AnonymousUser
from graphene_django import DjangoConnectionField

from mutualaid.graphql.account.types import RoleAssignmentType, RoleEnum, Viewer
from mutualaid.graphql.core.permissions import PermissionDeniedError
from mutualaid.graphql.core.values import enum_value
from mutualaid.platform.accounts.models import RoleAssignment
from mutualaid.platform.accounts.permissions import LIST_ROLE_ASSIGNMENTS, Target, has_permission, holds_rule
from mutualaid.tenants.models import Town


def current_town(info) -> Town | None:
    """The town whose API answers this request (None on the platform API)."""
    tenant = getattr(info.context, "tenant", None)
    return tenant if isinstance(tenant, Town) else None


class AccountQueries(graphene.ObjectType):
    viewer = graphene.Field(Viewer, description="当前登录用户；未登录时为空")
    role_assignments = DjangoConnectionField(
        RoleAssignmentType,
        role=graphene.Argument(RoleEnum),
        town_code=graphene.String(),
        include_inactive=graphene.Boolean(default_value=False, description="含已停用的账号"),
        description="我的辖区内谁担任什么角色（乡镇接口中限当前乡镇）",
    )

    def resolve_viewer(root, info):
        user = info.context.user
        return None if isinstance(user, AnonymousUser) or not user.is_authenticated else user

    def resolve_role_assignments(root, info, role=None, town_code=None, include_inactive=False, **kwargs):
        user = info.context.user
        town = current_town(info)
        allowed = (
            has_permission(user, LIST_ROLE_ASSIGNMENTS, Target.town(town.code))
            if town is not None
            else holds_rule(user, LIST_ROLE_ASSIGNMENTS)
        )
        if not allowed:
            raise PermissionDeniedError("请先登录" if not user.is_authenticated else "无权访问")
        queryset = RoleAssignment.objects.order_by("pk")
        if town is not None:
            queryset = queryset.filter(town=town)
        if town_code:
            queryset = queryset.filter(town__code=town_code)
        if role:
            queryset = queryset.filter(role=enum_value(role))
        if not include_inactive:
            queryset = queryset.filter(user__is_active=True)
        return queryset
