"""The fund ledger's queries: chart, years, summary, trial balance, entries and account statements."""

from __future__ import annotations

import graphene
from graphene_django import DjangoConnectionField

from mutualaid.funds import ledger
from mutualaid.funds.chart import CHART_BY_KEY
from mutualaid.funds.models import EntryKind, FundYear, JournalEntry, JournalLine
from mutualaid.funds.permissions import READ_FUND_BALANCES, READ_FUND_LEDGER
from mutualaid.graphql.core.permissions import permission_required
from mutualaid.graphql.core.values import enum_value, yuan
from mutualaid.graphql.funds.types import (
    FundAccountType,
    FundEntryKindEnum,
    FundJournalEntryType,
    FundStatementLineType,
    FundSummaryType,
    FundTrialBalanceType,
    FundYearType,
    summary_of,
)


class FundQueries(graphene.ObjectType):
    fund_accounts = graphene.List(graphene.NonNull(FundAccountType), required=True, description="会计科目表")
    fund_years = graphene.List(graphene.NonNull(FundYearType), required=True, description="各互助年度资金池")
    fund_summary = graphene.Field(
        FundSummaryType, required=True, scheme_year=graphene.Int(required=True), description="资金池余额"
    )
    fund_trial_balance = graphene.Field(
        FundTrialBalanceType,
        required=True,
        scheme_year=graphene.Int(required=True),
        before_closing=graphene.Boolean(default_value=False, description="不含年终结账与结转凭证"),
        description="试算平衡表",
    )
    fund_entries = DjangoConnectionField(
        FundJournalEntryType,
        scheme_year=graphene.Int(required=True),
        kind=graphene.Argument(FundEntryKindEnum),
        description="记账凭证（按凭证号）",
    )
    fund_account_statement = DjangoConnectionField(
        FundStatementLineType,
        scheme_year=graphene.Int(required=True),
        account=graphene.String(required=True, description="科目键或科目代码"),
        description="科目明细账（含逐行余额）",
    )

    @permission_required(READ_FUND_BALANCES)
    def resolve_fund_accounts(root, info):
        return list(ledger.ensure_chart().values())

    @permission_required(READ_FUND_BALANCES)
    def resolve_fund_years(root, info):
        return list(FundYear.objects.order_by("scheme_year"))

    @permission_required(READ_FUND_BALANCES)
    def resolve_fund_summary(root, info, scheme_year):
        return summary_of(scheme_year)

    @permission_required(READ_FUND_BALANCES)
    def resolve_fund_trial_balance(root, info, scheme_year, before_closing=False):
        excluded = (EntryKind.CLOSING, EntryKind.CARRY_FORWARD) if before_closing else ()
        rows = ledger.account_totals(scheme_year, exclude_kinds=excluded)
        debit = sum(r.debit_fen for r in rows)
        credit = sum(r.credit_fen for r in rows)
        return FundTrialBalanceType(
            scheme_year=scheme_year,
            before_closing=before_closing,
            rows=rows,
            total_debit=yuan(debit),
            total_credit=yuan(credit),
            balanced=debit == credit,
        )

    @permission_required(READ_FUND_LEDGER)
    def resolve_fund_entries(root, info, scheme_year, kind=None, **kwargs):
        queryset = JournalEntry.objects.filter(scheme_year=scheme_year).order_by("number")
        if kind:
            queryset = queryset.filter(kind=enum_value(kind))
        return queryset

    @permission_required(READ_FUND_LEDGER)
    def resolve_fund_account_statement(root, info, scheme_year, account, **kwargs):
        key = (
            account
            if account in CHART_BY_KEY
            else next((a.key for a in CHART_BY_KEY.values() if a.code == account), None)
        )
        if key is None:
            return JournalLine.objects.none()
        return ledger.statement_queryset(scheme_year, key)
