"""People and roles: invite (phone + role over a scope), accept an invitation, deactivate a user, remove a role.

Who may give which role over which scope is declared in ``platform/accounts/permissions.py`` (GRANT_ROLE); the
mutations resolve the scope and ask there.
"""

from __future__ import annotations

import graphene
from django.core.exceptions import PermissionDenied, ValidationError

from mutualaid.enrolment.models import Village
from mutualaid.graphql.account.inputs import UserInviteInput
from mutualaid.graphql.account.queries import current_town
from mutualaid.graphql.account.types import AccountError, AccountUserType, RoleAssignmentType
from mutualaid.graphql.core.mutations import BaseMutation, NotFound, pk_from_global_id
from mutualaid.graphql.core.values import enum_value
from mutualaid.platform.accounts import people
from mutualaid.platform.accounts.error_codes import AccountErrorCode
from mutualaid.platform.accounts.models import RoleAssignment, User
from mutualaid.platform.accounts.permissions import (
    MANAGE_ACCOUNTS,
    Target,
    assignment_target,
    can_grant,
    can_manage_user,
    visible_assignments_filter,
)
from mutualaid.platform.accounts.roles import ROLE_SCOPE, Scope
from mutualaid.platform.regions.models import County, Province
from mutualaid.platform.schemas import town_schema
from mutualaid.tenants.models import ServiceFirm, Town


def _invalid_scope(field: str, message: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=AccountErrorCode.INVALID_SCOPE.value)})


def _resolve_scope(info, role: str, data) -> tuple[dict, Target]:
    """The scope objects of the invitation and where it acts; unknown ones are NotFound."""
    kind = ROLE_SCOPE[role]
    here = current_town(info)
    if kind in (Scope.TOWN, Scope.VILLAGE):
        code = data.get("town_code") or (here.code if here else None)
        if not code:
            raise _invalid_scope("town_code", "请指定乡镇")
        town = Town.objects.filter(code=code).first()
        if town is None or (here is not None and town.pk != here.pk):
            raise NotFound("townCode")
        village = (data.get("village_code") or "") if kind == Scope.VILLAGE else ""
        return {"town": town, "village_code": village}, Target.town(town.code, village or None)
    if kind == Scope.COUNTY:
        county = County.objects.filter(code=data.get("county_code") or "").first()
        if county is None:
            raise NotFound("countyCode")
        return {"county": county}, Target.county(county.code)
    if kind == Scope.PROVINCE:
        province = Province.objects.filter(code=data.get("province_code") or "").first()
        if province is None:
            raise NotFound("provinceCode")
        return {"province": province}, Target.province(province.code)
    firm_pk = pk_from_global_id(data.get("firm_id") or "", "ServiceFirm", "firmId")
    firm = ServiceFirm.objects.filter(pk=firm_pk).first()
    if firm is None:
        raise NotFound("firmId")
    return {"firm": firm}, Target.firm(firm.pk)


class UserInvite(BaseMutation):
    """邀请：给某手机号在某范围内授予角色。新用户收到短信验证码，用 invitationAccept 设置密码。
    只能授予本人可授予的角色，范围不超出本人辖区：县/市乡村振兴局邀请本县工作人员和本县乡镇管理员，镇管理员邀请
    镇财政与各村协管员，服务机构负责人为本机构开通审核员，平台运维管理省级、机构负责人等。"""

    role_assignment = graphene.Field(RoleAssignmentType)
    user = graphene.Field(AccountUserType)

    class Arguments:
        input = UserInviteInput(required=True)

    class Meta:
        permission = MANAGE_ACCOUNTS
        error_type = AccountError

    @classmethod
    def get_target(cls, info, input, **data):
        role = enum_value(input.role)
        _, target = _resolve_scope(info, role, input)
        if not can_grant(info.context.user, role, target):
            raise PermissionDenied
        return target

    @classmethod
    def perform_mutation(cls, info, input):
        role = enum_value(input.role)
        scope, _ = _resolve_scope(info, role, input)
        village = scope.get("village_code")
        if village:
            people.check_scope(role, scope)
            with town_schema(scope["town"]):
                known = Village.objects.filter(code=village).exists()
            if not known:
                raise ValidationError(
                    {
                        "village_code": ValidationError(
                            f"本镇没有村级区划代码为 {village} 的村，请先建档",
                            code=AccountErrorCode.UNKNOWN_VILLAGE.value,
                        )
                    }
                )
        assignment = people.invite(
            input.phone,
            role,
            actor=info.context.user,
            display_name=input.get("display_name") or "",
            username=input.get("username") or "",
            valid_from=input.get("valid_from"),
            valid_until=input.get("valid_until"),
            **scope,
        )
        return cls(role_assignment=assignment, user=assignment.user)


class InvitationAccept(BaseMutation):
    """接受邀请：用手机号和短信验证码设置密码，之后即可登录。验证码只能用一次，输错次数有限。"""

    ok = graphene.Boolean()
    username = graphene.String()

    class Arguments:
        phone = graphene.String(required=True)
        code = graphene.String(required=True)
        password = graphene.String(required=True)

    class Meta:
        public = True
        atomic = False  # a wrong code must stay counted
        error_type = AccountError

    @classmethod
    def perform_mutation(cls, info, phone, code, password):
        user = people.accept_invitation(phone, code, password)
        return cls(ok=True, username=user.username)


def _managed_user(info, global_id: str) -> User:
    user = User.objects.filter(pk=pk_from_global_id(global_id, "AccountUser", "id")).first()
    assignments = (
        RoleAssignment.objects.filter(user=user).select_related("province", "county", "town")
        if user is not None
        else []
    )
    if user is None or not can_manage_user(info.context.user, user, assignments):
        raise NotFound("id")
    return user


class UserDeactivate(BaseMutation):
    """停用账号：不能再登录，已登录的会话和令牌立即失效。只能停用本人可授予其全部角色的人。"""

    user = graphene.Field(AccountUserType)

    class Arguments:
        id = graphene.ID(required=True)

    class Meta:
        permission = MANAGE_ACCOUNTS
        error_type = AccountError

    @classmethod
    def get_target(cls, info, id):
        user = _managed_user(info, id)
        first = RoleAssignment.objects.filter(user=user).select_related("province", "county", "town").first()
        return assignment_target(first) if first is not None else Target.platform()

    @classmethod
    def perform_mutation(cls, info, id):
        user = _managed_user(info, id)
        return cls(user=people.deactivate_user(user, actor=info.context.user))


class RoleRemove(BaseMutation):
    """收回一项角色授权（只能收回本人可授予的角色）。"""

    removed_id = graphene.ID(description="被收回的授权 ID")
    user = graphene.Field(AccountUserType)

    class Arguments:
        id = graphene.ID(required=True)

    class Meta:
        permission = MANAGE_ACCOUNTS
        error_type = AccountError

    @classmethod
    def _assignment(cls, info, global_id: str) -> RoleAssignment:
        pk = pk_from_global_id(global_id, "RoleAssignment", "id")
        assignment = (
            RoleAssignment.objects.filter(visible_assignments_filter(info.context.user), pk=pk)
            .select_related("user", "province", "county", "town", "firm")
            .first()
        )
        if assignment is None:
            raise NotFound("id")
        return assignment

    @classmethod
    def get_target(cls, info, id):
        assignment = cls._assignment(info, id)
        target = assignment_target(assignment)
        if not can_grant(info.context.user, assignment.role, target):
            raise PermissionDenied
        return target

    @classmethod
    def perform_mutation(cls, info, id):
        assignment = cls._assignment(info, id)
        user = assignment.user
        people.remove_role(assignment, actor=info.context.user)
        return cls(removed_id=id, user=user)
