"""Account types: the viewer and their roles, users and role assignments (who holds what)."""

from __future__ import annotations

import graphene
from django.db.models import Q
from django.utils import timezone
from graphene_django import DjangoObjectType

from mutualaid.graphql.core.connection import CountableConnection
from mutualaid.graphql.core.errors import error_type
from mutualaid.graphql.core.loaders import get_loader
from mutualaid.graphql.core.node import Node
from mutualaid.platform.accounts.error_codes import AccountErrorCode
from mutualaid.platform.accounts.models import RoleAssignment, User
from mutualaid.platform.accounts.permissions import visible_assignments_filter
from mutualaid.platform.accounts.roles import Role, Scope
from mutualaid.platform.crypto import decrypt, mask_phone

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
    valid_from = graphene.Date(description="授权起始日")
    valid_until = graphene.Date(description="授权截止日")
    in_force = graphene.Boolean(required=True, description="今天在授权期限内")

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
            valid_from=a.valid_from,
            valid_until=a.valid_until,
            in_force=in_force(a),
        )


def in_force(a) -> bool:
    """Whether the assignment holds today (the same test as ``permissions.grants``)."""
    today = timezone.localdate()
    return not ((a.valid_from and a.valid_from > today) or (a.valid_until and a.valid_until < today))


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


def visible_users(user):
    """Users holding a role the viewer may see, and the viewer themself."""
    if user is None or not user.is_authenticated:
        return User.objects.none()
    holders = RoleAssignment.objects.filter(visible_assignments_filter(user)).values("user_id")
    return User.objects.filter(Q(pk__in=holders) | Q(pk=user.pk))


class AccountUserType(DjangoObjectType):
    """平台账号（可见范围：自己，以及本人辖区内持有角色的人）。"""

    display_name = graphene.String(required=True)
    phone = graphene.String(description="手机号（打码）")
    invitation_pending = graphene.Boolean(required=True, description="已邀请、尚未设置密码")

    class Meta:
        model = User
        name = "AccountUser"
        fields = ("username", "is_active", "date_joined", "last_login")
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return queryset.filter(pk__in=visible_users(info.context.user).values("pk"))

    def resolve_display_name(user, info):
        return user.display_name or user.username

    def resolve_phone(user, info):
        return mask_phone(decrypt(user.phone_encrypted)) if user.phone_encrypted else None

    def resolve_invitation_pending(user, info):
        return not user.has_usable_password()


def _users_by_pk(keys: list) -> list:
    rows = User.objects.in_bulk(keys)
    return [rows.get(key) for key in keys]


class RoleAssignmentType(DjangoObjectType):
    """谁在什么范围内担任什么角色。"""

    role = graphene.Field(RoleEnum, required=True)
    role_name = graphene.String(required=True, description="角色中文名")
    scope = graphene.Field(ScopeEnum, required=True)
    scope_name = graphene.String(required=True)
    town_code = graphene.String()
    county_code = graphene.String()
    province_code = graphene.String()
    village_code = graphene.String()
    firm_name = graphene.String()
    valid_from = graphene.Date(description="授权起始日（按期限授权的角色，如纪检监察/财政审计）")
    valid_until = graphene.Date(description="授权截止日")
    in_force = graphene.Boolean(required=True, description="今天在授权期限内")
    user = graphene.Field(AccountUserType, required=True)

    class Meta:
        model = RoleAssignment
        name = "RoleAssignment"
        fields = ("created_at",)
        interfaces = (Node,)
        connection_class = CountableConnection

    @classmethod
    def get_queryset(cls, queryset, info):
        return queryset.filter(visible_assignments_filter(info.context.user)).select_related(
            "province", "county", "town", "firm"
        )

    def resolve_role(a, info):
        return a.role

    def resolve_role_name(a, info):
        return Role(a.role).label

    def resolve_scope(a, info):
        return a.scope

    def resolve_scope_name(a, info):
        return a.scope_name()

    def resolve_town_code(a, info):
        return a.town.code if a.town_id else None

    def resolve_county_code(a, info):
        return a.county.code if a.county_id else None

    def resolve_province_code(a, info):
        return a.province.code if a.province_id else None

    def resolve_village_code(a, info):
        return a.village_code or None

    def resolve_firm_name(a, info):
        return a.firm.name if a.firm_id else None

    def resolve_valid_from(a, info):
        return a.valid_from

    def resolve_valid_until(a, info):
        return a.valid_until

    def resolve_in_force(a, info):
        return in_force(a)

    def resolve_user(a, info):
        return get_loader(info, "account_user", _users_by_pk).load(a.user_id)
