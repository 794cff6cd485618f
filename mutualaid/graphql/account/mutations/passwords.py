"""Passwords: change your own (old password required); reset by an SMS code (request, then confirm)."""

from __future__ import annotations

import graphene
from django.contrib.auth import update_session_auth_hash

from mutualaid.graphql.account.types import AccountError
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.platform.accounts import people
from mutualaid.platform.accounts.permissions import CHANGE_OWN_PASSWORD


class PasswordChange(BaseMutation):
    """修改自己的密码（需原密码）。其他设备上的登录会话随之失效。"""

    ok = graphene.Boolean()

    class Arguments:
        old_password = graphene.String(required=True)
        new_password = graphene.String(required=True)

    class Meta:
        permission = CHANGE_OWN_PASSWORD
        error_type = AccountError

    @classmethod
    def perform_mutation(cls, info, old_password, new_password):
        user = people.change_password(info.context.user, old_password, new_password)
        if hasattr(info.context, "session") and not getattr(info.context, "token_authenticated", False):
            update_session_auth_hash(info.context, user)  # this session stays signed in
        return cls(ok=True)


class PasswordResetRequest(BaseMutation):
    """忘记密码：向账号绑定的手机号发送验证码（10 分钟内有效）。无论手机号是否注册，回答相同。"""

    ok = graphene.Boolean()

    class Arguments:
        phone = graphene.String(required=True)

    class Meta:
        public = True
        error_type = AccountError

    @classmethod
    def perform_mutation(cls, info, phone):
        people.request_password_reset(phone)
        return cls(ok=True)


class PasswordResetConfirm(BaseMutation):
    """用短信验证码设置新密码；该账号的全部令牌随即失效。验证码只能用一次，输错次数有限。"""

    ok = graphene.Boolean()
    username = graphene.String()

    class Arguments:
        phone = graphene.String(required=True)
        code = graphene.String(required=True)
        new_password = graphene.String(required=True)

    class Meta:
        public = True
        atomic = False  # a wrong code must stay counted
        error_type = AccountError

    @classmethod
    def perform_mutation(cls, info, phone, code, new_password):
        user = people.confirm_password_reset(phone, code, new_password)
        return cls(ok=True, username=user.username)
