"""recoverClaim (town admin: a paid subsidy got by fraud, with a town-wide notice), recordRecoveryRepayment
(town finance), requestRecoveryWriteOff (town admin) and approveRecoveryWriteOff (town finance, not the
requester); reconcileBankStatement (town finance)."""

from __future__ import annotations

import graphene
from graphene_file_upload.scalars import Upload

from mutualaid.claims.models import Claim
from mutualaid.graphql.core.errors import NotFound
from mutualaid.graphql.core.mutations import BaseMutation, pk_from_global_id
from mutualaid.graphql.core.values import fen, parse_date
from mutualaid.graphql.payouts.mutations.base import PayoutError, recovery_of, town_target
from mutualaid.graphql.payouts.types import ReconciliationType, RecoveryType, TownNoticeType
from mutualaid.payouts import permissions as perms
from mutualaid.payouts import reconciliation, recoveries


class RecoveryMutation(BaseMutation):
    recovery = graphene.Field(RecoveryType)

    class Meta:
        abstract = True

    @classmethod
    def get_target(cls, info, **data):
        return town_target(info)


class RecoverClaim(RecoveryMutation):
    """追回骗取的补助：借 应收个人退回补助，贷 互助补助支出（冲减补助支出），恢复其年度累计额度，并在全镇通报。"""

    class Arguments:
        claim_id = graphene.ID(required=True)
        finding = graphene.String(required=True, description="查实情况")

    notice = graphene.Field(TownNoticeType)

    class Meta:
        permission = perms.RECOVER_CLAIM
        error_type = PayoutError

    @classmethod
    def perform_mutation(cls, info, claim_id, finding):
        claim = Claim.objects.filter(pk=pk_from_global_id(claim_id, "Claim", "claimId")).first()
        if claim is None:
            raise NotFound("claimId")
        recovery = recoveries.recover_claim(claim, finding=finding, actor=info.context.user)
        return cls(recovery=recovery, notice=recovery.notice)


class RecordRecoveryRepayment(RecoveryMutation):
    """登记成员退回的款项：借 银行存款，贷 应收个人退回补助；不超过尚未追回的余额。"""

    class Arguments:
        id = graphene.ID(required=True)
        amount = graphene.String(required=True, description="金额（元）")
        paid_on = graphene.Date(required=True)

    class Meta:
        permission = perms.RECORD_REPAYMENT
        error_type = PayoutError
        error_renames = {"amount_fen": "amount"}

    @classmethod
    def perform_mutation(cls, info, id, amount, paid_on):
        recovery = recoveries.record_repayment(
            recovery_of(info, id),
            amount_fen=fen(amount, "amount"),
            paid_on=parse_date(paid_on, "paid_on"),
            actor=info.context.user,
        )
        return cls(recovery=recovery)


class RequestRecoveryWriteOff(RecoveryMutation):
    """申请核销无法追回的余额（须经镇财政审批）。"""

    class Arguments:
        id = graphene.ID(required=True)
        reason = graphene.String(required=True)

    class Meta:
        permission = perms.REQUEST_WRITE_OFF
        error_type = PayoutError

    @classmethod
    def perform_mutation(cls, info, id, reason):
        return cls(
            recovery=recoveries.request_write_off(
                recovery_of(info, id), reason=reason, actor=info.context.user
            )
        )


class ApproveRecoveryWriteOff(RecoveryMutation):
    """审批核销（申请人不能审批自己的申请）：借 追回补助核销损失，贷 应收个人退回补助。"""

    class Arguments:
        id = graphene.ID(required=True)

    class Meta:
        permission = perms.APPROVE_WRITE_OFF
        error_type = PayoutError

    @classmethod
    def perform_mutation(cls, info, id):
        return cls(recovery=recoveries.approve_write_off(recovery_of(info, id), actor=info.context.user))


class ReconcileBankStatement(BaseMutation):
    """导入专户银行对账单（csv 或 xlsx）与台账银行存款核对；差额为零且无未达账项时该月对账完成。"""

    class Arguments:
        month = graphene.Date(required=True, description="对账月份（任意一天）")
        file = Upload(required=True)

    reconciliation = graphene.Field(ReconciliationType)

    class Meta:
        permission = perms.RECONCILE_BANK
        error_type = PayoutError

    @classmethod
    def get_target(cls, info, **data):
        return town_target(info)

    @classmethod
    def perform_mutation(cls, info, month, file):
        recon = reconciliation.reconcile(
            parse_date(month, "month"),
            file.read(),
            file_name=getattr(file, "name", "") or "",
            actor=info.context.user,
        )
        return cls(reconciliation=recon)


class BookBankStatementLine(BaseMutation):
    """据对账单补记台账不知道的银行收入（如专户利息，须填写原因）；补记后重新计算差额。"""

    class Arguments:
        month = graphene.Date(required=True)
        row = graphene.Int(required=True, description="对账单行号")
        scheme_year = graphene.Int(required=True, description="记入的互助年度")
        reason = graphene.String(required=True)

    reconciliation = graphene.Field(ReconciliationType)

    class Meta:
        permission = perms.RECONCILE_BANK
        error_type = PayoutError

    @classmethod
    def get_target(cls, info, **data):
        return town_target(info)

    @classmethod
    def perform_mutation(cls, info, month, row, scheme_year, reason):
        recon = reconciliation.book_statement_line(
            parse_date(month, "month"), row, scheme_year=scheme_year, reason=reason, actor=info.context.user
        )
        return cls(reconciliation=recon)
