"""The fund ledger's output types (town schema): accounts, balances, summary, entries and statement lines.
Amounts are yuan decimal strings."""

from __future__ import annotations

import graphene
from graphene_django import DjangoObjectType

from mutualaid.funds import ledger
from mutualaid.funds.chart import INCOME_SOURCES, SOURCE_LABELS, AccountKind, Side
from mutualaid.funds.models import (
    EntryKind,
    FundYear,
    FundYearStatus,
    JournalEntry,
    JournalLine,
    PaymentMethod,
)
from mutualaid.graphql.core.connection import CountableConnection
from mutualaid.graphql.core.loaders import by_pk_loader, get_loader
from mutualaid.graphql.core.node import Node
from mutualaid.graphql.core.values import yuan

FundEntryKindEnum = graphene.Enum.from_enum(EntryKind, name="FundEntryKind", description="凭证类型")
FundYearStatusEnum = graphene.Enum.from_enum(FundYearStatus, name="FundYearStatus", description="年度状态")
PaymentMethodEnum = graphene.Enum.from_enum(PaymentMethod, name="FundPaymentMethod", description="收款方式")
FundAccountKindEnum = graphene.Enum.from_enum(AccountKind, name="FundAccountKind", description="科目类别")
FundSideEnum = graphene.Enum.from_enum(Side, name="FundSide", description="借贷方向")
FundSourceEnum = graphene.Enum(
    "FundSource", [(s.upper(), s) for s in INCOME_SOURCES], description="资金来源（收入科目）"
)


class FundAccountType(graphene.ObjectType):
    class Meta:
        name = "FundAccount"
        description = "会计科目"

    code = graphene.String(required=True)
    key = graphene.String(
        required=True, description="科目键，如 bank、income:person、receivable:government_grant"
    )
    name = graphene.String(required=True)
    kind = graphene.Field(FundAccountKindEnum, required=True)
    normal_side = graphene.Field(FundSideEnum, required=True, description="余额方向")
    source = graphene.String(description="收入/应收科目的资金来源")

    def resolve_source(account, info):
        return account.source or None


class FundAccountBalanceType(graphene.ObjectType):
    class Meta:
        name = "FundAccountBalance"

    account = graphene.Field(FundAccountType, required=True)
    debit = graphene.String(required=True, description="借方发生额（元）")
    credit = graphene.String(required=True, description="贷方发生额（元）")
    balance = graphene.String(required=True, description="余额（元），按科目余额方向，负数表示反向余额")

    def resolve_debit(row, info):
        return yuan(row.debit_fen)

    def resolve_credit(row, info):
        return yuan(row.credit_fen)

    def resolve_balance(row, info):
        return yuan(row.balance_fen)


class FundTrialBalanceType(graphene.ObjectType):
    class Meta:
        name = "FundTrialBalance"
        description = "试算平衡表"

    scheme_year = graphene.Int(required=True)
    before_closing = graphene.Boolean(required=True, description="是否为结账前（不含结账与结转凭证）")
    rows = graphene.List(graphene.NonNull(FundAccountBalanceType), required=True)
    total_debit = graphene.String(required=True)
    total_credit = graphene.String(required=True)
    balanced = graphene.Boolean(required=True)


class FundSourceAmountType(graphene.ObjectType):
    class Meta:
        name = "FundSourceAmount"

    source = graphene.Field(FundSourceEnum, required=True)
    source_name = graphene.String(required=True)
    amount = graphene.String(required=True)


class FundYearType(graphene.ObjectType):
    class Meta:
        name = "FundYear"
        description = "互助年度资金池"

    scheme_year = graphene.Int(required=True)
    status = graphene.Field(FundYearStatusEnum, required=True)
    status_display = graphene.String(required=True)
    closed_at = graphene.DateTime()
    surplus = graphene.String(description="结账时的本年结余（元）")
    carried_forward = graphene.String(description="结转下年（元）")

    def resolve_status_display(year, info):
        return year.get_status_display()

    def resolve_surplus(year, info):
        return yuan(year.surplus_fen)

    def resolve_carried_forward(year, info):
        return yuan(year.carried_forward_fen)


class FundSummaryType(graphene.ObjectType):
    class Meta:
        name = "FundSummary"
        description = "资金池余额（结账前口径）"

    scheme_year = graphene.Int(required=True)
    status = graphene.Field(FundYearStatusEnum, required=True)
    bank = graphene.String(required=True, description="银行存款（专户）")
    receivables = graphene.String(required=True, description="应收补助款")
    payables = graphene.String(required=True, description="应付款（未付补助、服务费、镇村垫付）")
    income = graphene.String(required=True, description="本年收入")
    expenses = graphene.String(required=True, description="本年支出（含已确认未支付）")
    surplus = graphene.String(required=True, description="本年结余 = 收入 − 支出")
    carried_forward = graphene.String(required=True, description="上年结转")
    net_assets = graphene.String(required=True, description="基金余额 = 银行存款 + 应收 − 应付")
    income_by_source = graphene.List(graphene.NonNull(FundSourceAmountType), required=True)


def summary_of(scheme_year: int) -> FundSummaryType:
    s = ledger.year_summary(scheme_year)
    year = FundYear.objects.filter(scheme_year=scheme_year).first()
    return FundSummaryType(
        scheme_year=scheme_year,
        status=year.status if year else FundYearStatus.OPEN,
        bank=yuan(s.bank_fen),
        receivables=yuan(s.receivables_fen),
        payables=yuan(s.payables_fen),
        income=yuan(s.income_fen),
        expenses=yuan(s.expenses_fen),
        surplus=yuan(s.surplus_fen),
        carried_forward=yuan(s.carried_forward_fen),
        net_assets=yuan(s.net_assets_fen),
        income_by_source=[
            FundSourceAmountType(source=source, source_name=SOURCE_LABELS[source], amount=yuan(amount))
            for source, amount in s.income_by_source.items()
        ],
    )


class FundJournalLineType(graphene.ObjectType):
    class Meta:
        name = "FundJournalLine"

    account = graphene.Field(FundAccountType, required=True)
    side = graphene.Field(FundSideEnum, required=True)
    amount = graphene.String(required=True)

    def resolve_amount(line, info):
        return yuan(line.amount_fen)


def _lines_by_entry(entry_ids: list) -> list:
    result: dict[int, list] = {entry_id: [] for entry_id in entry_ids}
    for line in JournalLine.objects.filter(entry_id__in=entry_ids).select_related("account").order_by("id"):
        result[line.entry_id].append(line)
    return [result[entry_id] for entry_id in entry_ids]


def _reversals_by_original(entry_ids: list) -> list:
    rows = {e.reverses_id: e for e in JournalEntry.objects.filter(reverses_id__in=entry_ids)}
    return [rows.get(entry_id) for entry_id in entry_ids]


class FundJournalEntryType(DjangoObjectType):
    voucher = graphene.String(required=True, description="凭证号，如 记-2022-0001")
    kind = graphene.Field(FundEntryKindEnum, required=True)
    kind_display = graphene.String(required=True)
    method = graphene.Field(PaymentMethodEnum)
    total = graphene.String(required=True, description="借贷合计（元）")
    lines = graphene.List(graphene.NonNull(FundJournalLineType), required=True)
    reverses = graphene.Field(lambda: FundJournalEntryType, description="本凭证冲销的原凭证")
    reversed_by = graphene.Field(lambda: FundJournalEntryType, description="冲销本凭证的凭证")

    class Meta:
        model = JournalEntry
        name = "FundJournalEntry"
        fields = (
            "scheme_year",
            "number",
            "entry_date",
            "memo",
            "reference",
            "counterparty",
            "receipt_number",
            "reason",
            "created_at",
            "created_by_username",
        )
        interfaces = (Node,)
        connection_class = CountableConnection

    def resolve_voucher(entry, info):
        return entry.voucher

    def resolve_kind_display(entry, info):
        return entry.get_kind_display()

    def resolve_method(entry, info):
        return entry.method or None

    def resolve_total(entry, info):
        return yuan(entry.total_fen)

    def resolve_lines(entry, info):
        return get_loader(info, "fund_entry_lines", _lines_by_entry).load(entry.pk)

    def resolve_reverses(entry, info):
        return by_pk_loader(info, JournalEntry).load(entry.reverses_id) if entry.reverses_id else None

    def resolve_reversed_by(entry, info):
        return get_loader(info, "fund_entry_reversals", _reversals_by_original).load(entry.pk)


class FundStatementLineType(DjangoObjectType):
    entry = graphene.Field(FundJournalEntryType, required=True)
    side = graphene.Field(FundSideEnum, required=True)
    amount = graphene.String(required=True)
    debit = graphene.String(description="借方金额（元）")
    credit = graphene.String(description="贷方金额（元）")
    running_balance = graphene.String(required=True, description="本行后的余额（元），按科目余额方向")

    class Meta:
        model = JournalLine
        name = "FundStatementLine"
        fields = ("scheme_year",)
        interfaces = (Node,)
        connection_class = CountableConnection

    def resolve_entry(line, info):
        return line.entry  # select_related by the statement query

    def resolve_amount(line, info):
        return yuan(line.amount_fen)

    def resolve_debit(line, info):
        return yuan(line.amount_fen) if line.side == Side.DEBIT else None

    def resolve_credit(line, info):
        return yuan(line.amount_fen) if line.side == Side.CREDIT else None

    def resolve_running_balance(line, info):
        return yuan(line.running_fen)
