"""The town's postings as one table: each row names the mutation, the kind of entry it writes, the domain action,
its arguments (how each reaches the action) and its permission; the mutation classes are generated from it.

The accounts each kind debits and credits are the domain action's; the default memo a row names is the domain's
(``mutualaid.funds.actions.DEFAULT_MEMOS``). This table only says how the API reaches them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import graphene
from django.core.exceptions import ValidationError
from graphene.utils.str_converters import to_snake_case

from mutualaid.funds import actions, postings
from mutualaid.funds.error_codes import FundsErrorCode
from mutualaid.funds.models import EntryKind, JournalEntry, PaymentMethod
from mutualaid.funds.permissions import POST_FUND_INCOME, RECORD_FUND_EXPENSE, REVERSE_FUND_ENTRY
from mutualaid.graphql.core.mutations import pk_from_global_id
from mutualaid.graphql.core.values import enum_value, fen, optional_fen, parse_date
from mutualaid.graphql.funds.inputs import FundSourceAmountInput
from mutualaid.graphql.funds.mutations.base import FundMutation, FundsError
from mutualaid.graphql.funds.types import FundSourceEnum, PaymentMethodEnum
from mutualaid.platform.accounts.permissions import Rule

PLEDGE_SOURCE_NOTE = "资金来源：不能是个人缴费或利息"


@dataclass(frozen=True)
class Arg:
    """One argument: ``argument`` makes its graphene argument, ``convert(value, name)`` gives the action's value
    (absent optional arguments arrive as None), passed as keyword ``to`` (default: the argument's name)."""

    name: str
    argument: Callable[[], Any]
    convert: Callable[[Any, str], Any] = lambda value, name: value
    to: str | None = None
    required_message: str | None = None  # a blank value is refused with this before anything is converted


def _text(value, name: str) -> str:
    return value or ""


def _amount(value, name: str) -> int:
    return fen(value, name)


def _optional_amount(value, name: str) -> int:
    return optional_fen(value, name) or 0


def _date(value, name: str):
    return parse_date(value, name)


def _enum(value, name: str):
    return enum_value(value)


def _method(value, name: str) -> str:
    return enum_value(value) or PaymentMethod.BANK_TRANSFER


def _amounts_by_source(items, name: str) -> dict[str, int]:
    amounts: dict[str, int] = {}
    for item in items:
        source = enum_value(item.source)
        if source in amounts:
            raise ValidationError(
                {name: ValidationError("资金来源重复", code=FundsErrorCode.INVALID_SOURCE.value)}
            )
        amounts[source] = fen(item.amount, name)
    return amounts


def _entry_pk(value, name: str) -> int:
    return pk_from_global_id(value, "FundJournalEntry", "entryId")


# Arguments used by many rows.
YEAR = Arg("scheme_year", lambda: graphene.Int(required=True))
AMOUNT = Arg("amount", lambda: graphene.String(required=True), _amount, to="amount_fen")
REFERENCE = Arg("reference", graphene.String, _text)
MEMO = Arg("memo", graphene.String, _text)
METHOD = Arg("method", lambda: graphene.Argument(PaymentMethodEnum), _method)


def day(name: str, description: str | None = None) -> Arg:
    return Arg(name, lambda: graphene.Date(required=True, description=description), _date)


def source(description: str | None = None) -> Arg:
    return Arg(
        "source", lambda: graphene.Argument(FundSourceEnum, required=True, description=description), _enum
    )


def text(name: str, *, required: bool = False, description: str | None = None, **options) -> Arg:
    return Arg(name, lambda: graphene.String(required=required, description=description), _text, **options)


def town_village(description_town: str | None = None, description_village: str | None = None) -> list[Arg]:
    return [
        Arg(
            "town_amount", lambda: graphene.String(description=description_town), _optional_amount, "town_fen"
        ),
        Arg(
            "village_amount",
            lambda: graphene.String(description=description_village),
            _optional_amount,
            "village_fen",
        ),
    ]


@dataclass(frozen=True)
class Posting:
    """One row: mutation ``name`` writes an entry of ``kind`` through ``action``."""

    name: str
    kind: EntryKind
    action: Callable[..., JournalEntry]
    permission: Rule
    arguments: list[Arg]
    doc: str
    memo: str | None = None  # the domain's default memo (``actions.DEFAULT_MEMOS``) when none is typed
    fixed: dict[str, Any] = field(default_factory=dict)  # keywords the action always gets

    def call(self, actor, data: dict[str, Any]) -> JournalEntry:
        for arg in self.arguments:
            if arg.required_message and not (data.get(arg.name) or "").strip():
                raise ValidationError(
                    {arg.name: ValidationError(arg.required_message, code=FundsErrorCode.REQUIRED.value)}
                )
        values = {arg.to or arg.name: arg.convert(data.get(arg.name), arg.name) for arg in self.arguments}
        return self.action(**self.fixed, **values, actor=actor)


POSTINGS: list[Posting] = [
    Posting(
        "FundRecordUnderwriting",
        EntryKind.CONTRIBUTION,
        actions.record_underwriting,
        POST_FUND_INCOME,
        [
            YEAR,
            Arg(
                "amounts_by_source",
                lambda: graphene.List(graphene.NonNull(FundSourceAmountInput), required=True),
                _amounts_by_source,
            ),
            day("received_on", "到账日期 YYYY-MM-DD"),
            METHOD,
            REFERENCE,
            MEMO,
        ],
        "筹资补助到账（镇村托底、镇财政、村集体、慈善等分担部分）：借 银行存款，贷 各来源收入。个人缴费由参保登记记账。",
        memo="underwriting",
    ),
    Posting(
        "FundRecordGrant",
        EntryKind.GRANT,
        actions.record_grant,
        POST_FUND_INCOME,
        [
            YEAR,
            source(PLEDGE_SOURCE_NOTE),
            AMOUNT,
            text("grantor", required=True, description="拨款单位"),
            day("received_on"),
            REFERENCE,
            MEMO,
        ],
        "补助资金到账（如市老促会每镇 4 万元）：借 银行存款，贷 补助收入。",
        memo="grant",
    ),
    Posting(
        "FundRecordPledge",
        EntryKind.PLEDGE,
        actions.record_pledge,
        POST_FUND_INCOME,
        [
            YEAR,
            source(PLEDGE_SOURCE_NOTE),
            AMOUNT,
            text("grantor", required=True),
            day("pledged_on", "承诺（发文）日期 YYYY-MM-DD"),
            REFERENCE,
            MEMO,
        ],
        "承诺拨付的补助记为应收（如市农业农村局每镇 25 万元，2023 年上半年拨付）：借 应收补助款，贷 补助收入。",
        memo="pledge",
    ),
    Posting(
        "FundSettlePledge",
        EntryKind.PLEDGE_SETTLEMENT,
        actions.settle_pledge,
        POST_FUND_INCOME,
        [YEAR, source(), AMOUNT, day("received_on"), text("grantor"), REFERENCE, MEMO],
        "应收补助到账：借 银行存款，贷 应收补助款。",
        memo="pledge_settlement",
    ),
    Posting(
        "FundRecordAdvance",
        EntryKind.ADVANCE,
        actions.record_advance,
        POST_FUND_INCOME,
        [YEAR, *town_village("镇级垫付（元）", "村级垫付（元）"), day("received_on"), REFERENCE, MEMO],
        "镇、村预垫资金到账：借 银行存款，贷 应付镇级/村级垫付款。",
        memo="advance",
    ),
    Posting(
        "FundRepayAdvance",
        EntryKind.ADVANCE_REPAYMENT,
        actions.repay_advance,
        POST_FUND_INCOME,
        [YEAR, *town_village(), day("paid_on"), REFERENCE, MEMO],
        "归还镇、村垫付款：借 应付垫付款，贷 银行存款。",
        memo="advance_repayment",
    ),
    Posting(
        "FundRecordDonation",
        EntryKind.DONATION,
        actions.record_donation,
        POST_FUND_INCOME,
        [
            YEAR,
            source("DONOR 乡贤及社会捐赠 / ENTERPRISE 等"),
            AMOUNT,
            text("donor_name", required=True),
            text("receipt_number", required=True, description="捐赠票据号"),
            day("received_on"),
            METHOD,
            REFERENCE,
            MEMO,
        ],
        "捐赠收入（乡贤、爱心企业等），记录捐赠人与捐赠票据号：借 银行存款，贷 捐赠收入。",
        memo="donation",
    ),
    Posting(
        "FundRecordInterest",
        EntryKind.INTEREST,
        actions.record_interest,
        POST_FUND_INCOME,
        [YEAR, AMOUNT, day("received_on"), REFERENCE, MEMO],
        "银行存款利息：借 银行存款，贷 利息收入。",
        memo="interest",
    ),
    Posting(
        "FundRecordServiceFee",
        EntryKind.EXPENSE_ACCRUAL,
        actions.accrue_expense,
        RECORD_FUND_EXPENSE,
        [
            YEAR,
            AMOUNT,
            text("payee", required=True, description="服务机构名称", required_message="请填写服务机构"),
            day("incurred_on", "确认日期 YYYY-MM-DD"),
            REFERENCE,
            MEMO,
        ],
        "确认应付第三方专业服务机构服务费（政策规定从互助资金支付时）：借 服务费支出，贷 应付服务费；"
        "政策规定由镇财政预算支付的服务费不记入互助资金（FEE_NOT_FROM_FUND）。",
        memo="expense:service_fees",
        fixed={"expense": "service_fees"},
    ),
    Posting(
        "FundPayServiceFee",
        EntryKind.PAYMENT,
        actions.pay_payable,
        RECORD_FUND_EXPENSE,
        [YEAR, AMOUNT, text("payee", required=True), day("paid_on"), REFERENCE, MEMO],
        "支付服务费：借 应付服务费，贷 银行存款；不超过应付余额与银行存款。",
        memo="payment",
        fixed={"payable": "service_fees"},
    ),
    Posting(
        "FundReverseEntry",
        EntryKind.REVERSAL,
        postings.reverse_entry,
        REVERSE_FUND_ENTRY,
        [Arg("entry_id", lambda: graphene.ID(required=True), _entry_pk), text("reason", required=True)],
        "冲销凭证：生成借贷方向相反的冲销凭证并记录原因；每张凭证只能冲销一次。",
    ),
]


def _mutation(posting: Posting) -> type[FundMutation]:
    def post(cls, actor, **data) -> JournalEntry:
        return posting.call(actor, data)

    namespace = {
        "__doc__": posting.doc,
        "__module__": __name__,
        "posting": posting,
        "Arguments": type("Arguments", (), {arg.name: arg.argument() for arg in posting.arguments}),
        "Meta": type("Meta", (), {"permission": posting.permission, "error_type": FundsError}),
        "post": classmethod(post),
    }
    return type(posting.name, (FundMutation,), namespace)


POSTING_MUTATIONS: dict[str, type[FundMutation]] = {
    to_snake_case(posting.name): _mutation(posting) for posting in POSTINGS
}
