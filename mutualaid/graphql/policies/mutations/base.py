"""What every policy mutation shares: a town admin of the current town, the policy ID resolved first, and the
domain's error names mapped to the API's (``ERROR_RENAMES`` from the parameter registry)."""

from __future__ import annotations

import graphene

from mutualaid.graphql.core.mutations import BaseMutation, NotFound
from mutualaid.graphql.policies.parameters import ERROR_RENAMES
from mutualaid.graphql.policies.queries import policy_by_id
from mutualaid.graphql.policies.types import PolicyError, PolicyVersionType
from mutualaid.platform.accounts.permissions import Target, has_permission
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.permissions import MANAGE_POLICY

__all__ = ["MANAGE_POLICY", "PolicyError", "PolicyMutation"]


class PolicyMutation(BaseMutation):
    """Base of the policy mutations: a town admin of the current town; the policy ID resolved first."""

    policy = graphene.Field(PolicyVersionType)

    class Meta:
        abstract = True

    @classmethod
    def __init_subclass_with_meta__(cls, error_renames=None, **options):
        # Domain errors are keyed by the domain's names; the registry's parameters are named differently here.
        super().__init_subclass_with_meta__(
            error_renames={**ERROR_RENAMES, **(error_renames or {})}, **options
        )

    @classmethod
    def get_target(cls, info, **data):
        town = info.context.tenant
        target = Target.town(town.code)
        if not has_permission(info.context.user, MANAGE_POLICY, target):
            if "id" in data and info.context.user.is_authenticated:
                raise NotFound("id")
            return target  # the base reports permission_denied
        if "id" in data:
            policy_by_id(info, data["id"], "id")
        return target

    @classmethod
    def policy_of(cls, info, data) -> PolicyVersion:
        return policy_by_id(info, data["id"], "id")
