"""Sign-in with API tokens: obtain, refresh (rotating), revoke."""

from __future__ import annotations

import graphene
from django.core.exceptions import PermissionDenied

from mutualaid.graphql.account.types import AccountError, Viewer
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.platform.accounts import actions


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
        atomic = False  # reusing a spent refresh token revokes its family even though the request fails
        error_type = AccountError

    @classmethod
    def perform_mutation(cls, info, refresh_token):
        return cls.from_pair(actions.refresh_tokens(refresh_token))


class TokenRevoke(BaseMutation):
    """注销：吊销自己的一个令牌（访问或刷新令牌），同时签发的另一个令牌一并失效；他人的令牌会被拒绝。"""

    revoked = graphene.Boolean()

    class Arguments:
        token = graphene.String(required=True)

    class Meta:
        public = True
        atomic = False  # a refused attempt stays audited
        error_type = AccountError

    @classmethod
    def perform_mutation(cls, info, token):
        user = info.context.user
        if not user.is_authenticated:
            raise PermissionDenied
        actions.revoke_token(token, user)
        return cls(revoked=True)
