"""The payout mutations, one module per family: the batch, the bank, recovery and reconciliation."""

from __future__ import annotations

import graphene

from mutualaid.graphql.payouts.mutations.bank import (
    ExportPayoutBatch,
    ImportPayoutReturn,
    MarkPayoutLines,
    ReversePayoutLine,
)
from mutualaid.graphql.payouts.mutations.batches import (
    ApprovePayoutBatch,
    PreparePayoutBatch,
    RemovePayoutLine,
)
from mutualaid.graphql.payouts.mutations.recovery import (
    ApproveRecoveryWriteOff,
    BookBankStatementLine,
    ReconcileBankStatement,
    RecordRecoveryRepayment,
    RecoverClaim,
    RequestRecoveryWriteOff,
)


class PayoutMutations(graphene.ObjectType):
    prepare_payout_batch = PreparePayoutBatch.Field()
    remove_payout_line = RemovePayoutLine.Field()
    approve_payout_batch = ApprovePayoutBatch.Field()
    export_payout_batch = ExportPayoutBatch.Field()
    import_payout_return = ImportPayoutReturn.Field()
    mark_payout_lines = MarkPayoutLines.Field()
    reverse_payout_line = ReversePayoutLine.Field()
    recover_claim = RecoverClaim.Field()
    record_recovery_repayment = RecordRecoveryRepayment.Field()
    request_recovery_write_off = RequestRecoveryWriteOff.Field()
    approve_recovery_write_off = ApproveRecoveryWriteOff.Field()
    reconcile_bank_statement = ReconcileBankStatement.Field()
    book_bank_statement_line = BookBankStatementLine.Field()
