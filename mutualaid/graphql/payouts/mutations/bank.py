"""exportPayoutBatch (town finance): the bank transfer file of an approved batch (the first export pays it in
the ledger); importPayoutReturn / markPayoutLines: the bank's result; reversePayoutLine after payment."""

from __future__ import annotations

import graphene
from graphene_file_upload.scalars import Upload

from mutualaid.graphql.core.values import enum_value
from mutualaid.graphql.enrolment.types import DownloadFile, download
from mutualaid.graphql.payouts.inputs import PayoutFileFormat, PayoutLineResultInput
from mutualaid.graphql.payouts.mutations.base import BatchMutation, PayoutError, batch_of, line_of
from mutualaid.graphql.payouts.types import PayoutLineType, town_pk
from mutualaid.payouts import actions, bank_return
from mutualaid.payouts import permissions as perms


class ExportPayoutBatch(BatchMutation):
    """导出银行代发文件（户名、完整卡号、金额、用途）。首次导出即记账付款（应付补助 → 银行存款）；每次导出均记入审计。"""

    class Arguments:
        id = graphene.ID(required=True)
        format = PayoutFileFormat(required=True)

    file = graphene.Field(DownloadFile)

    class Meta:
        permission = perms.EXPORT_BATCH
        error_type = PayoutError

    @classmethod
    def perform_mutation(cls, info, id, format):
        fmt = enum_value(format)
        batch, content = actions.export_batch(batch_of(info, id), fmt=fmt, actor=info.context.user)
        return cls(batch=batch, file=download(f"代发-{batch.reference}.{fmt}", content))


class ImportPayoutReturn(BatchMutation):
    """导入银行回盘文件（csv 或 xlsx：流水号、户名、金额、状态、失败原因）；任何一行有误则整份不登记。"""

    class Arguments:
        id = graphene.ID(required=True)
        file = Upload(required=True)

    class Meta:
        permission = perms.RECORD_RETURNS
        error_type = PayoutError

    @classmethod
    def perform_mutation(cls, info, id, file):
        content = file.read()
        name = getattr(file, "name", "") or ""
        return cls(
            batch=bank_return.import_return(
                batch_of(info, id), content, file_name=name, actor=info.context.user
            )
        )


class MarkPayoutLines(BatchMutation):
    """手工登记明细的银行结果（到账或退回及原因）。"""

    class Arguments:
        id = graphene.ID(required=True)
        lines = graphene.List(graphene.NonNull(PayoutLineResultInput), required=True)

    class Meta:
        permission = perms.RECORD_RETURNS
        error_type = PayoutError

    @classmethod
    def perform_mutation(cls, info, id, lines):
        batch = batch_of(info, id)
        results = [
            (town_pk(info, item.line_id, "PayoutLine", "lines"), bool(item.paid), item.reason or "")
            for item in lines
        ]
        return cls(batch=bank_return.mark_lines(batch, results, actor=info.context.user))


class ReversePayoutLine(BatchMutation):
    """冲销一笔已到账的明细（银行撤回等），资金回到专户，该申请下月重新发放。"""

    class Arguments:
        id = graphene.ID(required=True, description="明细")
        reason = graphene.String(required=True)

    line = graphene.Field(PayoutLineType)

    class Meta:
        permission = perms.RECORD_RETURNS
        error_type = PayoutError

    @classmethod
    def perform_mutation(cls, info, id, reason):
        line = bank_return.reverse_line(line_of(info, id), reason=reason, actor=info.context.user)
        return cls(batch=line.batch, line=line)
