"""The town's fund ledger (town schema): balances, trial balance, entries, account statements, and town
finance's postings. Amounts are yuan decimal strings; dates are ISO strings (bad ones are typed errors)."""

from __future__ import annotations

from datetime import date

import graphene
from django.core.exceptions import ValidationError
from graphene.utils.str_converters import to_camel_case
from graphene_django import DjangoConnectionField, DjangoObjectType

from mutualaid.funds import actions, ledger, postings
from mutualaid.funds.chart import CHART_BY_KEY, INCOME_SOURCES, SOURCE_LABELS, AccountKind, Side
from mutualaid.funds.error_codes import FundsErrorCode
from mutualaid.funds.models import (
    EntryKind,
    FundYear,
    FundYearStatus,
    JournalEntry,
    JournalLine,
    PaymentMethod,
)
from mutualaid.funds.permissions import (
    CLOSE_FUND_YEAR,
    POST_FUND_INCOME,
    READ_FUND_BALANCES,
    READ_FUND_LEDGER,
    RECORD_FUND_EXPENSE,
    REVERSE_FUND_ENTRY,
)
from mutualaid.graphql.core.connection import CountableConnection
from mutualaid.graphql.core.errors import error_type
from mutualaid.graphql.core.loaders import by_pk_loader, get_loader
from mutualaid.graphql.core.mutations import BaseMutation, pk_from_global_id
from mutualaid.graphql.core.permissions import permission_required
from mutualaid.platform.accounts.permissions import Target
from mutualaid.platform.money import fen_to_yuan, yuan_to_fen

FundsError = error_type("FundsError", FundsErrorCode)
FundEntryKindEnum = graphene.Enum.from_enum(EntryKind, name="FundEntryKind", description="凭证类型")
FundYearStatusEnum = graphene.Enum.from_enum(FundYearStatus, name="FundYearStatus", description="年度状态")
PaymentMethodEnum = graphene.Enum.from_enum(PaymentMethod, name="FundPaymentMethod", description="收款方式")
FundAccountKindEnum = graphene.Enum.from_enum(AccountKind, name="FundAccountKind", description="科目类别")
FundSideEnum = graphene.Enum.from_enum(Side, name="FundSide", description="借贷方向")
FundSourceEnum = graphene.Enum(
    "FundSource", [(s.upper(), s) for s in INCOME_SOURCES], description="资金来源（收入科目）"
)
PLEDGE_SOURCE_NOTE = "资金来源：不能是个人缴费或利息"


def _value(enum_value):
    return getattr(enum_value, "value", enum_value)


# --- types ---------------------------------------------------------------------------------------------------------


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
        return fen_to_yuan(row.debit_fen)

    def resolve_credit(row, info):
        return fen_to_yuan(row.credit_fen)

    def resolve_balance(row, info):
        return fen_to_yuan(row.balance_fen)


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
        return None if year.surplus_fen is None else fen_to_yuan(year.surplus_fen)

    def resolve_carried_forward(year, info):
        return None if year.carried_forward_fen is None else fen_to_yuan(year.carried_forward_fen)


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


def _summary(scheme_year: int) -> FundSummaryType:
    s = ledger.year_summary(scheme_year)
    year = FundYear.objects.filter(scheme_year=scheme_year).first()
    return FundSummaryType(
        scheme_year=scheme_year,
        status=year.status if year else FundYearStatus.OPEN,
        bank=fen_to_yuan(s.bank_fen),
        receivables=fen_to_yuan(s.receivables_fen),
        payables=fen_to_yuan(s.payables_fen),
        income=fen_to_yuan(s.income_fen),
        expenses=fen_to_yuan(s.expenses_fen),
        surplus=fen_to_yuan(s.surplus_fen),
        carried_forward=fen_to_yuan(s.carried_forward_fen),
        net_assets=fen_to_yuan(s.net_assets_fen),
        income_by_source=[
            FundSourceAmountType(source=source, source_name=SOURCE_LABELS[source], amount=fen_to_yuan(amount))
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
        return fen_to_yuan(line.amount_fen)


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
        interfaces = (graphene.relay.Node,)
        connection_class = CountableConnection

    def resolve_voucher(entry, info):
        return entry.voucher

    def resolve_kind_display(entry, info):
        return entry.get_kind_display()

    def resolve_method(entry, info):
        return entry.method or None

    def resolve_total(entry, info):
        return fen_to_yuan(entry.total_fen)

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
        interfaces = (graphene.relay.Node,)
        connection_class = CountableConnection

    def resolve_entry(line, info):
        return line.entry  # select_related by the statement query

    def resolve_amount(line, info):
        return fen_to_yuan(line.amount_fen)

    def resolve_debit(line, info):
        return fen_to_yuan(line.amount_fen) if line.side == Side.DEBIT else None

    def resolve_credit(line, info):
        return fen_to_yuan(line.amount_fen) if line.side == Side.CREDIT else None

    def resolve_running_balance(line, info):
        return fen_to_yuan(line.running_fen)


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
        return _summary(scheme_year)

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
            total_debit=fen_to_yuan(debit),
            total_credit=fen_to_yuan(credit),
            balanced=debit == credit,
        )

    @permission_required(READ_FUND_LEDGER)
    def resolve_fund_entries(root, info, scheme_year, kind=None, **kwargs):
        queryset = JournalEntry.objects.filter(scheme_year=scheme_year).order_by("number")
        if kind:
            queryset = queryset.filter(kind=_value(kind))
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


# --- mutations -------------------------------------------------------------------------------------------------


def _camel_errors(exc: ValidationError) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({to_camel_case(field): errors for field, errors in exc.error_dict.items()})


def _fen(value, field: str) -> int:
    return yuan_to_fen(value, field=field, allow_zero=False)


def _optional_fen(value, field: str) -> int:
    if value in (None, ""):
        return 0
    return yuan_to_fen(value, field=field)


def _date(value: str, field: str) -> date:
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValidationError(
            {
                field: ValidationError(
                    f"日期格式不正确：{value}（应为 YYYY-MM-DD）", code=FundsErrorCode.INVALID_DATE.value
                )
            }
        ) from exc


class FundMutation(BaseMutation):
    """A posting into the current town's ledger; returns the entry written."""

    entry = graphene.Field(FundJournalEntryType)

    class Meta:
        abstract = True

    @classmethod
    def get_target(cls, info, **data):
        return Target.town(info.context.tenant.code)

    @classmethod
    def perform_mutation(cls, info, **data):
        try:
            return cls(entry=cls.post(info.context.user, **data))
        except ValidationError as exc:
            raise _camel_errors(exc) from exc

    @classmethod
    def post(cls, actor, **data) -> JournalEntry:
        raise NotImplementedError


class FundSourceAmountInput(graphene.InputObjectType):
    source = graphene.Field(FundSourceEnum, required=True)
    amount = graphene.String(required=True, description="金额（元）")


class FundRecordUnderwriting(FundMutation):
    """筹资补助到账（镇村托底、镇财政、村集体、慈善等分担部分）：借 银行存款，贷 各来源收入。个人缴费由参保登记记账。"""

    class Arguments:
        scheme_year = graphene.Int(required=True)
        amounts_by_source = graphene.List(graphene.NonNull(FundSourceAmountInput), required=True)
        received_on = graphene.String(required=True, description="到账日期 YYYY-MM-DD")
        method = graphene.Argument(PaymentMethodEnum)
        reference = graphene.String()
        memo = graphene.String()

    class Meta:
        permission = POST_FUND_INCOME
        error_type = FundsError

    @classmethod
    def post(cls, actor, scheme_year, amounts_by_source, received_on, method=None, reference="", memo=""):
        amounts: dict[str, int] = {}
        for item in amounts_by_source:
            source = _value(item.source)
            if source in amounts:
                raise ValidationError(
                    {
                        "amounts_by_source": ValidationError(
                            "资金来源重复", code=FundsErrorCode.INVALID_SOURCE.value
                        )
                    }
                )
            amounts[source] = _fen(item.amount, "amounts_by_source")
        return actions.record_underwriting(
            scheme_year,
            amounts,
            received_on=_date(received_on, "received_on"),
            method=_value(method) or PaymentMethod.BANK_TRANSFER,
            reference=reference or "",
            memo=memo or "",
            actor=actor,
        )


class FundRecordGrant(FundMutation):
    """补助资金到账（如市老促会每镇 4 万元）：借 银行存款，贷 补助收入。"""

    class Arguments:
        scheme_year = graphene.Int(required=True)
        source = graphene.Argument(FundSourceEnum, required=True, description=PLEDGE_SOURCE_NOTE)
        amount = graphene.String(required=True)
        grantor = graphene.String(required=True, description="拨款单位")
        received_on = graphene.String(required=True)
        reference = graphene.String()
        memo = graphene.String()

    class Meta:
        permission = POST_FUND_INCOME
        error_type = FundsError

    @classmethod
    def post(cls, actor, scheme_year, source, amount, grantor, received_on, reference="", memo=""):
        return actions.record_grant(
            scheme_year,
            source=_value(source),
            amount_fen=_fen(amount, "amount"),
            grantor=grantor,
            received_on=_date(received_on, "received_on"),
            reference=reference or "",
            memo=memo or "",
            actor=actor,
        )


class FundRecordPledge(FundMutation):
    """承诺拨付的补助记为应收（如市农业农村局每镇 25 万元，2023 年上半年拨付）：借 应收补助款，贷 补助收入。"""

    class Arguments:
        scheme_year = graphene.Int(required=True)
        source = graphene.Argument(FundSourceEnum, required=True, description=PLEDGE_SOURCE_NOTE)
        amount = graphene.String(required=True)
        grantor = graphene.String(required=True)
        pledged_on = graphene.String(required=True, description="承诺（发文）日期 YYYY-MM-DD")
        reference = graphene.String()
        memo = graphene.String()

    class Meta:
        permission = POST_FUND_INCOME
        error_type = FundsError

    @classmethod
    def post(cls, actor, scheme_year, source, amount, grantor, pledged_on, reference="", memo=""):
        return actions.record_pledge(
            scheme_year,
            source=_value(source),
            amount_fen=_fen(amount, "amount"),
            grantor=grantor,
            pledged_on=_date(pledged_on, "pledged_on"),
            reference=reference or "",
            memo=memo or "",
            actor=actor,
        )


class FundSettlePledge(FundMutation):
    """应收补助到账：借 银行存款，贷 应收补助款。"""

    class Arguments:
        scheme_year = graphene.Int(required=True)
        source = graphene.Argument(FundSourceEnum, required=True)
        amount = graphene.String(required=True)
        received_on = graphene.String(required=True)
        grantor = graphene.String()
        reference = graphene.String()
        memo = graphene.String()

    class Meta:
        permission = POST_FUND_INCOME
        error_type = FundsError

    @classmethod
    def post(cls, actor, scheme_year, source, amount, received_on, grantor="", reference="", memo=""):
        return actions.settle_pledge(
            scheme_year,
            source=_value(source),
            amount_fen=_fen(amount, "amount"),
            received_on=_date(received_on, "received_on"),
            grantor=grantor or "",
            reference=reference or "",
            memo=memo or "",
            actor=actor,
        )


class FundRecordAdvance(FundMutation):
    """镇、村预垫资金到账：借 银行存款，贷 应付镇级/村级垫付款。"""

    class Arguments:
        scheme_year = graphene.Int(required=True)
        town_amount = graphene.String(description="镇级垫付（元）")
        village_amount = graphene.String(description="村级垫付（元）")
        received_on = graphene.String(required=True)
        reference = graphene.String()
        memo = graphene.String()

    class Meta:
        permission = POST_FUND_INCOME
        error_type = FundsError

    @classmethod
    def post(
        cls, actor, scheme_year, received_on, town_amount=None, village_amount=None, reference="", memo=""
    ):
        return actions.record_advance(
            scheme_year,
            town_fen=_optional_fen(town_amount, "town_amount"),
            village_fen=_optional_fen(village_amount, "village_amount"),
            received_on=_date(received_on, "received_on"),
            reference=reference or "",
            memo=memo or "",
            actor=actor,
        )


class FundRepayAdvance(FundMutation):
    """归还镇、村垫付款：借 应付垫付款，贷 银行存款。"""

    class Arguments:
        scheme_year = graphene.Int(required=True)
        town_amount = graphene.String()
        village_amount = graphene.String()
        paid_on = graphene.String(required=True)
        reference = graphene.String()
        memo = graphene.String()

    class Meta:
        permission = POST_FUND_INCOME
        error_type = FundsError

    @classmethod
    def post(cls, actor, scheme_year, paid_on, town_amount=None, village_amount=None, reference="", memo=""):
        return actions.repay_advance(
            scheme_year,
            town_fen=_optional_fen(town_amount, "town_amount"),
            village_fen=_optional_fen(village_amount, "village_amount"),
            paid_on=_date(paid_on, "paid_on"),
            reference=reference or "",
            memo=memo or "",
            actor=actor,
        )


class FundRecordDonation(FundMutation):
    """捐赠收入（乡贤、爱心企业等），记录捐赠人与捐赠票据号：借 银行存款，贷 捐赠收入。"""

    class Arguments:
        scheme_year = graphene.Int(required=True)
        source = graphene.Argument(
            FundSourceEnum, required=True, description="DONOR 乡贤及社会捐赠 / ENTERPRISE 等"
        )
        amount = graphene.String(required=True)
        donor_name = graphene.String(required=True)
        receipt_number = graphene.String(required=True, description="捐赠票据号")
        received_on = graphene.String(required=True)
        method = graphene.Argument(PaymentMethodEnum)
        reference = graphene.String()
        memo = graphene.String()

    class Meta:
        permission = POST_FUND_INCOME
        error_type = FundsError

    @classmethod
    def post(
        cls,
        actor,
        scheme_year,
        source,
        amount,
        donor_name,
        receipt_number,
        received_on,
        method=None,
        reference="",
        memo="",
    ):
        return actions.record_donation(
            scheme_year,
            source=_value(source),
            amount_fen=_fen(amount, "amount"),
            donor_name=donor_name,
            receipt_number=receipt_number,
            received_on=_date(received_on, "received_on"),
            method=_value(method) or PaymentMethod.BANK_TRANSFER,
            reference=reference or "",
            memo=memo or "",
            actor=actor,
        )


class FundRecordInterest(FundMutation):
    """银行存款利息：借 银行存款，贷 利息收入。"""

    class Arguments:
        scheme_year = graphene.Int(required=True)
        amount = graphene.String(required=True)
        received_on = graphene.String(required=True)
        reference = graphene.String()
        memo = graphene.String()

    class Meta:
        permission = POST_FUND_INCOME
        error_type = FundsError

    @classmethod
    def post(cls, actor, scheme_year, amount, received_on, reference="", memo=""):
        return actions.record_interest(
            scheme_year,
            amount_fen=_fen(amount, "amount"),
            received_on=_date(received_on, "received_on"),
            reference=reference or "",
            memo=memo or "",
            actor=actor,
        )


class FundRecordServiceFee(FundMutation):
    """确认应付第三方专业服务机构服务费（从互助资金支付）：借 服务费支出，贷 应付服务费。"""

    class Arguments:
        scheme_year = graphene.Int(required=True)
        amount = graphene.String(required=True)
        payee = graphene.String(required=True, description="服务机构名称")
        incurred_on = graphene.String(required=True, description="确认日期 YYYY-MM-DD")
        reference = graphene.String()
        memo = graphene.String()

    class Meta:
        permission = RECORD_FUND_EXPENSE
        error_type = FundsError

    @classmethod
    def post(cls, actor, scheme_year, amount, payee, incurred_on, reference="", memo=""):
        if not (payee or "").strip():
            raise ValidationError(
                {"payee": ValidationError("请填写服务机构", code=FundsErrorCode.REQUIRED.value)}
            )
        return actions.accrue_expense(
            scheme_year,
            expense="service_fees",
            amount_fen=_fen(amount, "amount"),
            payee=payee,
            incurred_on=_date(incurred_on, "incurred_on"),
            reference=reference or "",
            memo=memo or "",
            actor=actor,
        )


class FundPayServiceFee(FundMutation):
    """支付服务费：借 应付服务费，贷 银行存款；不超过应付余额与银行存款。"""

    class Arguments:
        scheme_year = graphene.Int(required=True)
        amount = graphene.String(required=True)
        payee = graphene.String(required=True)
        paid_on = graphene.String(required=True)
        reference = graphene.String()
        memo = graphene.String()

    class Meta:
        permission = RECORD_FUND_EXPENSE
        error_type = FundsError

    @classmethod
    def post(cls, actor, scheme_year, amount, payee, paid_on, reference="", memo=""):
        return actions.pay_payable(
            scheme_year,
            payable="service_fees",
            amount_fen=_fen(amount, "amount"),
            payee=payee,
            paid_on=_date(paid_on, "paid_on"),
            reference=reference or "",
            memo=memo or "",
            actor=actor,
        )


class FundReverseEntry(FundMutation):
    """冲销凭证：生成借贷方向相反的冲销凭证并记录原因；每张凭证只能冲销一次。"""

    class Arguments:
        entry_id = graphene.ID(required=True)
        reason = graphene.String(required=True)

    class Meta:
        permission = REVERSE_FUND_ENTRY
        error_type = FundsError

    @classmethod
    def post(cls, actor, entry_id, reason):
        return postings.reverse_entry(
            pk_from_global_id(entry_id, "FundJournalEntry", "entryId"), reason=reason, actor=actor
        )


class FundCloseYear(BaseMutation):
    """年终结账：本年结余（收入 − 支出，含已确认未支付）结转为下一年度的上年结转。"""

    fund_year = graphene.Field(FundYearType)
    next_year = graphene.Field(FundSummaryType, description="下一年度资金池余额")

    class Arguments:
        scheme_year = graphene.Int(required=True)

    class Meta:
        permission = CLOSE_FUND_YEAR
        error_type = FundsError

    @classmethod
    def get_target(cls, info, **data):
        return Target.town(info.context.tenant.code)

    @classmethod
    def perform_mutation(cls, info, scheme_year):
        try:
            year = actions.close_year(scheme_year, info.context.user)
        except ValidationError as exc:
            raise _camel_errors(exc) from exc
        return cls(fund_year=year, next_year=_summary(scheme_year + 1))


class FundMutations(graphene.ObjectType):
    fund_record_underwriting = FundRecordUnderwriting.Field()
    fund_record_grant = FundRecordGrant.Field()
    fund_record_pledge = FundRecordPledge.Field()
    fund_settle_pledge = FundSettlePledge.Field()
    fund_record_advance = FundRecordAdvance.Field()
    fund_repay_advance = FundRepayAdvance.Field()
    fund_record_donation = FundRecordDonation.Field()
    fund_record_interest = FundRecordInterest.Field()
    fund_record_service_fee = FundRecordServiceFee.Field()
    fund_pay_service_fee = FundPayServiceFee.Field()
    fund_reverse_entry = FundReverseEntry.Field()
    fund_close_year = FundCloseYear.Field()


__all__ = ["FundMutations", "FundQueries"]
