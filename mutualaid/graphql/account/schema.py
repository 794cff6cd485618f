"""Viewer and API tokens (obtain, refresh, revoke)."""

from __future__ import annotations

import graphene
from django.contrib.auth.models import AnonymousUser

from mutualaid.graphql.core.errors import error_type
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.platform.accounts import actions
from mutualaid.platform.accounts.error_codes import AccountErrorCode
from mutualaid.platform.accounts.roles import Role, Scope

AccountError = error_type("AccountError", AccountErrorCode)
RoleEnum = graphene.Enum.from_enum(Role)
ScopeEnum = graphene.Enum.from_enum(Scope)


class RoleGrant(graphene.ObjectType):
    role = graphene.Field(RoleEnum, required=True)
    role_name = graphene.String(required=True, description="角色中文名")
    scope = graphene.Field(ScopeEnum, required=True)
    scope_name = graphene.String(required=True)
    town_code = graphene.String()
    county_code = graphene.String()
    province_code = graphene.String()
    village_code = graphene.String()
    firm_name = graphene.String()

    @staticmethod
    def from_assignment(a) -> RoleGrant:
        return RoleGrant(
            role=a.role,
            role_name=Role(a.role).label,
            scope=a.scope,
            scope_name=a.scope_name(),
            town_code=a.town.code if a.town_id else None,
            county_code=a.county.code if a.county_id else None,
            province_code=a.province.code if a.province_id else None,
            village_code=a.village_code or None,
            firm_name=a.firm.name if a.firm_id else None,
        )


class Viewer(graphene.ObjectType):
    username = graphene.String(required=True)
    display_name = graphene.String(required=True)
    is_platform_staff = graphene.Boolean(required=True)
    roles = graphene.List(graphene.NonNull(RoleGrant), required=True)

    def resolve_display_name(user, info):
        return user.display_name or user.username

    def resolve_is_platform_staff(user, info):
        return user.is_staff

    def resolve_roles(user, info):
        assignments = user.role_assignments.select_related("province", "county", "town", "firm")
        return [RoleGrant.from_assignment(a) for a in assignments]


class AccountQueries(graphene.ObjectType):
    viewer = graphene.Field(Viewer, description="当前登录用户；未登录时为空")

    def resolve_viewer(root, info):
        user = info.context.user
        return None if isinstance(user, AnonymousUser) or not user.is_authenticated else user


class TokenFields:
    access_token = graphene.String()
    access_expires_at = graphene.DateTime()
    refresh_token = graphene.String()
    refresh_expires_at = graphene.DateTime()
    viewer = graphene.Field(Viewer)

    @classmethod
    def from_pair(cls, pair):
        return cls(
            access_token=pair.access_token,
            access_expires_at=pair.access_expires_at,
            refresh_token=pair.refresh_token,
            refresh_expires_at=pair.refresh_expires_at,
            viewer=pair.user,
        )


class TokenCreate(TokenFields, BaseMutation):
    """登录：用户名和密码换取访问令牌（1 小时）与刷新令牌。连续失败会被限制。"""

    class Arguments:
        username = graphene.String(required=True)
        password = graphene.String(required=True)

    class Meta:
        public = True
        atomic = False  # a failed attempt must stay recorded for throttling
        error_type = AccountError

    @classmethod
    def perform_mutation(cls, info, username, password):
        return cls.from_pair(actions.obtain_tokens(username, password, request=info.context))


class TokenRefresh(TokenFields, BaseMutation):
    """用刷新令牌换取新的令牌对；旧刷新令牌随即失效。"""

    class Arguments:
        refresh_token = graphene.String(required=True)

    class Meta:
        public = True
        error_type = AccountError

    @classmethod
    def perform_mutation(cls, info, refresh_token):
        return cls.from_pair(actions.refresh_tokens(refresh_token))


class TokenRevoke(BaseMutation):
    """注销：吊销自己的一个令牌（访问或刷新令牌）。"""

    revoked = graphene.Boolean()

    class Arguments:
        token = graphene.String(required=True)

    class Meta:
        public = True
        error_type = AccountError

    @classmethod
    def perform_mutation(cls, info, token):
        user = info.context.user
        if not user.is_authenticated:
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        actions.revoke_token(token, user)
        return cls(revoked=True)


class AccountMutations(graphene.ObjectType):
    token_create = TokenCreate.Field()
    token_refresh = TokenRefresh.Field()
    token_revoke = TokenRevoke.Field()
