"""Types of the payouts API: batches (amounts in yuan, download addresses of the printouts and bank files),
their lines (bank cards masked), ledger postings, a coordinator's view of their village's subsidies,
recoveries, town notices and bank reconciliations.

Global IDs of batches and lines name the town (``PayoutBatch:<town>:<pk>``): an ID from another town is
NOT_FOUND here, never another town's row that happens to share a primary key."""

from __future__ import annotations

from collections import defaultdict

import graphene
from django.db.models import F, Window
from django.db.models.functions import RowNumber
from graphene_django import DjangoObjectType
from graphql_relay import from_global_id, to_global_id

from mutualaid.graphql.core.errors import NotFound
from mutualaid.graphql.core.loaders import get_loader
from mutualaid.graphql.core.node import Node
from mutualaid.graphql.core.values import enum_value, yuan
from mutualaid.payouts.models import (
    BatchPosting,
    BatchState,
    LineKind,
    LineState,
    PayoutBatch,
    PayoutLine,
    Reconciliation,
    Recovery,
    RecoveryState,
    TownNotice,
)

PayoutBatchStateEnum = graphene.Enum.from_enum(BatchState, name="PayoutBatchState", description="批次状态")
PayoutLineStateEnum = graphene.Enum.from_enum(LineState, name="PayoutLineState", description="明细状态")
PayoutLineKindEnum = graphene.Enum.from_enum(LineKind, name="PayoutLineKind", description="明细类别")
RecoveryStateEnum = graphene.Enum.from_enum(RecoveryState, name="RecoveryState", description="追回状态")


def town_code(info) -> str:
    return info.context.tenant.code


def town_global_id(info, type_name: str, pk: int) -> str:
    return to_global_id(type_name, f"{town_code(info)}:{pk}")


def town_pk(info, global_id: str, type_name: str, field: str) -> int:
    """The primary key in a town-scoped global ID; another type, another town or garbage is NotFound."""
    try:
        found_type, value = from_global_id(global_id)
        town, _, pk = value.rpartition(":")
        if found_type != type_name or town != town_code(info):
            raise ValueError(found_type)
        return int(pk)
    except (ValueError, TypeError, UnicodeDecodeError) as exc:
        raise NotFound(field) from exc


def download_url(info, batch_pk: int, name: str) -> str:
    prefix = info.context.path.rsplit("/graphql/", 1)[0]
    return f"{prefix}/payouts/{batch_pk}/{name}"


class PayoutLineType(DjangoObjectType):
    id = graphene.ID(required=True)
    kind = PayoutLineKindEnum(required=True)
    state = PayoutLineStateEnum(required=True)
    amount = graphene.String(required=True, description="金额（元）")
    claim_id = graphene.ID(description="补助申请（Claim 的 ID）")

    class Meta:
        model = PayoutLine
        name = "PayoutLine"
        fields = (
            "scheme_year",
            "village_code",
            "village_name",
            "payee_name",
            "id_masked",
            "drg_code",
            "bank_name",
            "bank_card_masked",
            "carried_reason",
            "return_reason",
            "removed_reason",
            "resolved_at",
        )

    def resolve_id(line, info):
        return town_global_id(info, "PayoutLine", line.pk)

    def resolve_amount(line, info):
        return yuan(line.amount_fen)

    def resolve_claim_id(line, info):
        return Node.to_global_id("Claim", line.claim_id) if line.claim_id else None


class BatchPostingType(DjangoObjectType):
    amount = graphene.String(required=True)

    class Meta:
        model = BatchPosting
        name = "PayoutBatchPosting"
        fields = ("kind", "scheme_year", "voucher", "created_at")

    def resolve_amount(posting, info):
        return yuan(posting.amount_fen)


def _lines_of(batch_ids: list[int], state: str, village_code: str, start: int, count: int) -> list[list]:
    """The lines of several batches in one query: the window [start, start + count) of each, in print order."""
    queryset = PayoutLine.objects.filter(batch_id__in=batch_ids)
    if state:
        queryset = queryset.filter(state=state)
    if village_code:
        queryset = queryset.filter(village_code=village_code)
    order = [F("kind").asc(), F("village_code").asc(), F("id").asc()]
    ranked = queryset.annotate(rank=Window(RowNumber(), partition_by=[F("batch_id")], order_by=order))
    by_batch: dict[int, list] = defaultdict(list)
    for line in ranked.filter(rank__gt=start, rank__lte=start + count).order_by("batch_id", *order):
        by_batch[line.batch_id].append(line)
    return [by_batch[pk] for pk in batch_ids]


def _postings_of(batch_ids: list[int]) -> list[list]:
    by_batch: dict[int, list] = defaultdict(list)
    for posting in BatchPosting.objects.filter(batch_id__in=batch_ids).order_by("id"):
        by_batch[posting.batch_id].append(posting)
    return [by_batch[pk] for pk in batch_ids]


class PayoutFileType(graphene.ObjectType):
    class Meta:
        name = "PayoutFile"
        description = "可下载的文件（GET，须登录且有权限；每次下载记入审计）"

    name = graphene.String(required=True)
    url = graphene.String(required=True)


class PayoutBatchType(DjangoObjectType):
    id = graphene.ID(required=True)
    state = PayoutBatchStateEnum(required=True)
    total = graphene.String(required=True, description="合计（元），等于未移出明细之和")
    lines = graphene.List(
        graphene.NonNull(PayoutLineType),
        required=True,
        state=graphene.Argument(PayoutLineStateEnum),
        village_code=graphene.String(),
        first=graphene.Int(description="最多返回条数（默认 500）"),
        offset=graphene.Int(),
    )
    postings = graphene.List(graphene.NonNull(BatchPostingType), required=True, description="记账凭证")
    files = graphene.List(graphene.NonNull(PayoutFileType), required=True, description="打印表与银行文件")

    class Meta:
        model = PayoutBatch
        name = "PayoutBatch"
        fields = (
            "month",
            "period_end",
            "line_count",
            "prepared_by_username",
            "prepared_at",
            "approved_by_username",
            "approved_at",
            "exported_at",
            "export_count",
            "paid_on",
            "settled_at",
        )

    def resolve_id(batch, info):
        return town_global_id(info, "PayoutBatch", batch.pk)

    def resolve_total(batch, info):
        return yuan(batch.total_fen)

    def resolve_lines(batch, info, state=None, village_code=None, first=None, offset=None):
        start = max(offset or 0, 0)
        count = min(max(first or 500, 0), 2000)
        state = enum_value(state) if state else ""
        village_code = village_code or ""
        name = f"payouts:lines:{state}:{village_code}:{start}:{count}"
        return get_loader(info, name, lambda keys: _lines_of(keys, state, village_code, start, count)).load(
            batch.pk
        )

    def resolve_postings(batch, info):
        return get_loader(info, "payouts:postings", _postings_of).load(batch.pk)

    def resolve_files(batch, info):
        names = ["detail.pdf", "detail.xlsx", "summary.pdf", "summary.xlsx"]
        if batch.state in (BatchState.EXPORTED, BatchState.SETTLED):
            names += ["bank.xlsx", "bank.csv"]
        return [PayoutFileType(name=n, url=download_url(info, batch.pk, n)) for n in names]


class VillagePayoutType(graphene.ObjectType):
    class Meta:
        name = "VillagePayout"
        description = "本村成员的补助：待发放（已核准、已列入批次）或已发放"

    claim_id = graphene.ID(required=True)
    member_name = graphene.String(required=True)
    village_code = graphene.String(required=True)
    amount = graphene.String(required=True)
    status = graphene.String(required=True, description="pending 待发放 / paid 已发放")
    batch_month = graphene.Date(description="所在发放批次月份")
    paid_on = graphene.Date()
    return_reason = graphene.String(description="最近一次银行退回原因")


class RecoveryType(DjangoObjectType):
    id = graphene.ID(required=True)
    state = RecoveryStateEnum(required=True)
    amount = graphene.String(required=True)
    repaid = graphene.String(required=True)
    written_off = graphene.String(required=True)
    outstanding = graphene.String(required=True)
    claim_id = graphene.ID(required=True)
    voucher = graphene.String(required=True, description="确认应收个人退回补助的凭证号")
    write_off_voucher = graphene.String(required=True, description="核销凭证号（未核销为空）")

    class Meta:
        model = Recovery
        name = "Recovery"
        fields = ("scheme_year", "village_code", "finding", "write_off_reason", "created_at", "closed_at")

    def resolve_id(recovery, info):
        return town_global_id(info, "Recovery", recovery.pk)

    def resolve_amount(recovery, info):
        return yuan(recovery.amount_fen)

    def resolve_repaid(recovery, info):
        return yuan(recovery.repaid_fen)

    def resolve_written_off(recovery, info):
        return yuan(recovery.written_off_fen)

    def resolve_outstanding(recovery, info):
        return yuan(recovery.outstanding_fen)

    def resolve_claim_id(recovery, info):
        return Node.to_global_id("Claim", recovery.claim_id)


class TownNoticeType(DjangoObjectType):
    class Meta:
        model = TownNotice
        name = "TownNotice"
        fields = ("kind", "title", "body", "published_at")


class ReconciliationType(DjangoObjectType):
    bank_total = graphene.String(required=True)
    ledger_total = graphene.String(required=True)
    difference = graphene.String(required=True)
    matched_count = graphene.Int(required=True)
    ledger_only = graphene.JSONString(required=True, description="台账有、银行无的记录")
    bank_only = graphene.JSONString(required=True, description="银行有、台账无的记录")

    class Meta:
        model = Reconciliation
        name = "BankReconciliation"
        fields = ("month", "closed", "reconciled_at")

    def resolve_bank_total(recon, info):
        return yuan(recon.bank_total_fen)

    def resolve_ledger_total(recon, info):
        return yuan(recon.ledger_total_fen)

    def resolve_difference(recon, info):
        return yuan(recon.difference_fen)

    def resolve_matched_count(recon, info):
        return len(recon.matched)

    def resolve_ledger_only(recon, info):
        return recon.ledger_only

    def resolve_bank_only(recon, info):
        return recon.bank_only
