"""preparePayoutBatch (town admin), removePayoutLine (town admin, before approval), approvePayoutBatch (town
finance, not the preparer)."""

from __future__ import annotations

import graphene

from mutualaid.graphql.core.values import parse_date
from mutualaid.graphql.payouts.mutations.base import BatchMutation, PayoutError, batch_of, line_of
from mutualaid.graphql.payouts.types import PayoutLineType
from mutualaid.payouts import actions
from mutualaid.payouts import permissions as perms


class PreparePayoutBatch(BatchMutation):
    """编制某月的补助发放批次（默认本月）：上月末前核准未发放的补助及上次退回的明细；同一月份只编制一次。"""

    class Arguments:
        month = graphene.Date(description="发放月份（任意一天）；默认本月")

    created = graphene.Boolean(description="本次新建（false：该月批次已存在）")

    class Meta:
        permission = perms.PREPARE_BATCH
        error_type = PayoutError

    @classmethod
    def perform_mutation(cls, info, month=None):
        month = parse_date(month, "month", required=False) if month is not None else None
        batch, created = actions.gather_batch(month, actor=info.context.user)
        return cls(batch=batch, created=created)


class RemovePayoutLine(BatchMutation):
    """审批前把一笔明细移出批次（须填写原因）；该申请下月重新列入。"""

    class Arguments:
        id = graphene.ID(required=True, description="明细")
        reason = graphene.String(required=True)

    line = graphene.Field(PayoutLineType)

    class Meta:
        permission = perms.PREPARE_BATCH
        error_type = PayoutError

    @classmethod
    def perform_mutation(cls, info, id, reason):
        line = actions.remove_line(line_of(info, id), reason=reason, actor=info.context.user)
        return cls(batch=line.batch, line=line)


class ApprovePayoutBatch(BatchMutation):
    """镇财政审批发放批次（编制人不能审批自己编制的批次）；审批后批次不能再修改。"""

    class Arguments:
        id = graphene.ID(required=True)

    class Meta:
        permission = perms.APPROVE_BATCH
        error_type = PayoutError

    @classmethod
    def perform_mutation(cls, info, id):
        return cls(batch=actions.approve_batch(batch_of(info, id), actor=info.context.user))
