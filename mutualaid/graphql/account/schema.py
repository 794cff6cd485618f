"""Accounts in both schemas: the viewer, API tokens, people and roles within one's scope, passwords.

On a town's API the town-level roles default to (and are limited to) that town.
"""

from __future__ import annotations

import graphene

from mutualaid.graphql.account.mutations.passwords import (
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
)
from mutualaid.graphql.account.mutations.people import (
    InvitationAccept,
    RoleRemove,
    UserDeactivate,
    UserInvite,
)
from mutualaid.graphql.account.mutations.tokens import TokenCreate, TokenRefresh, TokenRevoke
from mutualaid.graphql.account.queries import AccountQueries

__all__ = ["AccountMutations", "AccountQueries"]


class AccountMutations(graphene.ObjectType):
    token_create = TokenCreate.Field()
    token_refresh = TokenRefresh.Field()
    token_revoke = TokenRevoke.Field()
    user_invite = UserInvite.Field()
    invitation_accept = InvitationAccept.Field()
    user_deactivate = UserDeactivate.Field()
    role_remove = RoleRemove.Field()
    password_change = PasswordChange.Field()
    password_reset_request = PasswordResetRequest.Field()
    password_reset_confirm = PasswordResetConfirm.Field()
