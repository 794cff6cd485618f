"""What the payout mutations share: the error type, and batches / lines / recoveries looked up from town-scoped
IDs (another town's ID, like a missing one, is NOT_FOUND)."""

from __future__ import annotations

import graphene

from mutualaid.graphql.core.errors import NotFound, error_type
from mutualaid.graphql.core.mutations import BaseMutation
from mutualaid.graphql.payouts.types import PayoutBatchType, town_code, town_pk
from mutualaid.payouts.error_codes import PayoutErrorCode
from mutualaid.payouts.models import PayoutBatch, PayoutLine, Recovery
from mutualaid.platform.accounts.permissions import Target

PayoutError = error_type("PayoutError", PayoutErrorCode)


def batch_of(info, global_id: str, field: str = "id") -> PayoutBatch:
    batch = PayoutBatch.objects.filter(pk=town_pk(info, global_id, "PayoutBatch", field)).first()
    if batch is None:
        raise NotFound(field)
    return batch


def line_of(info, global_id: str, field: str = "id") -> PayoutLine:
    line = PayoutLine.objects.filter(pk=town_pk(info, global_id, "PayoutLine", field)).first()
    if line is None:
        raise NotFound(field)
    return line


def recovery_of(info, global_id: str, field: str = "id") -> Recovery:
    recovery = Recovery.objects.filter(pk=town_pk(info, global_id, "Recovery", field)).first()
    if recovery is None:
        raise NotFound(field)
    return recovery


def town_target(info) -> Target:
    return Target.town(town_code(info))


class BatchMutation(BaseMutation):
    batch = graphene.Field(PayoutBatchType)

    class Meta:
        abstract = True

    @classmethod
    def get_target(cls, info, **data):
        return town_target(info)
