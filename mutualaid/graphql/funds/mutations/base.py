"""What every fund mutation shares: the error type, the current town as target, and the refusal that tells a town
admin to assign the town-finance role first when the town has none."""

from __future__ import annotations

import graphene

from mutualaid.funds.error_codes import FundsErrorCode
from mutualaid.funds.models import JournalEntry
from mutualaid.funds.permissions import refusal_message
from mutualaid.graphql.core.errors import error_type
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.funds.types import FundJournalEntryType
from mutualaid.platform.accounts.permissions import Target

FundsError = error_type("FundsError", FundsErrorCode)


class TownFundMutation(BaseMutation):
    """A write to the current town's ledger."""

    class Meta:
        abstract = True

    @classmethod
    def get_target(cls, info, **data):
        return Target.town(info.context.tenant.code)

    @classmethod
    def mutate(cls, root, info, **data):
        result = super().mutate(root, info, **data)
        refused = [e for e in result.errors if e.code == "permission_denied"]
        if refused:
            message = refusal_message(info.context.user, info.context.tenant.code)
            if message:
                for error in refused:
                    error.message = message
        return result


class FundMutation(TownFundMutation):
    """A posting into the current town's ledger; returns the entry written."""

    entry = graphene.Field(FundJournalEntryType)

    class Meta:
        abstract = True

    @classmethod
    def perform_mutation(cls, info, **data):
        return cls(entry=cls.post(info.context.user, **data))

    @classmethod
    def post(cls, actor, **data) -> JournalEntry:
        raise NotImplementedError
