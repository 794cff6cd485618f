"""Town finance's postings (镇财政 / 慈善基金会) and the year-end close. Each action validates everything first,
then locks the scheme year, writes one balanced entry (close writes up to three) and audits it; a
ValidationError with a ``FundsErrorCode`` leaves nothing written.

How the seed documents' money maps onto entries (all amounts fen):

- 海安 100 元: 50 from the person (enrolment → ``postings.post_contribution``), the rest underwritten by town and
  village (镇村托底) → ``record_underwriting``: Dr bank, Cr income:town_finance / income:village_collective.
- 市老促会 40,000 per town → ``record_grant`` (source charity): Dr bank, Cr income:charity.
- 市农业农村局 250,000 per town, paid H1 2023, advanced by town and village in 2022 →
  ``record_pledge`` (Dr receivable:government_grant, Cr income:government_grant), ``record_advance``
  (Dr bank, Cr payable:advance_town / payable:advance_village), then ``settle_pledge`` (Dr bank,
  Cr receivable:government_grant) and ``repay_advance`` (Dr payable:advance_*, Cr bank).
- 乡贤 / 爱心企业 donations with donor name and 捐赠票据号 → ``record_donation``: Dr bank, Cr income:donor|enterprise.
- bank interest (互助资金及其利息) → ``record_interest``: Dr bank, Cr income:interest.
- subsidies and the service firm's fee → ``accrue_expense`` (Dr expense, Cr payable) and ``pay_payable``; the
  fee only where the year's policy pays it from the fund (``service_fee_from_fund``, 新胜镇 三（三）: 互助资金……
  用于……支付服务费). Where the town's budget pays the firm (海安's preset), the fee is no fund payable and its
  accrual is refused (``fee_not_from_fund``); the fund's books never see it.
- 当年度结余资金结转下年度 (新胜镇) → ``close_year``.
"""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from mutualaid.funds import ledger
from mutualaid.funds.chart import (
    BANK,
    CARRIED_FORWARD,
    CURRENT_SURPLUS,
    PAYABLE_ADVANCE_TOWN,
    PAYABLE_ADVANCE_VILLAGE,
    PLEDGE_SOURCES,
    SOURCE_LABELS,
    AccountKind,
    income,
    receivable,
)
from mutualaid.funds.error_codes import FundsErrorCode as Code
from mutualaid.funds.models import EntryKind, FundYear, FundYearStatus, JournalEntry, PaymentMethod
from mutualaid.funds.rules import (
    check_amount,
    check_choice,
    check_entry_date,
    check_scheme_year,
    check_text,
    invalid,
    posting_window,
)
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.money import fen_to_yuan
from mutualaid.policies.selectors import policy_in_force
from mutualaid.policies.terms import FundingSource

DONATION_SOURCES = (
    FundingSource.DONOR,
    FundingSource.ENTERPRISE,
    FundingSource.CHARITY,
    FundingSource.TOWN_CHARITY_FOUNDATION,
)
UNDERWRITING_SOURCES = tuple(s for s in FundingSource.values if s != FundingSource.PERSON)
EXPENSES = {
    "subsidies": ("expense:subsidies", "payable:subsidies"),
    "service_fees": ("expense:service_fees", "payable:service_fees"),
}
PAYABLES = ("subsidies", "service_fees", "advance_town", "advance_village")
# The memo a posting gets when none is typed, by posting (``str.format`` fields filled by the action).
DEFAULT_MEMOS = {
    "underwriting": "筹资补助到账（{sources}）",
    "grant": "{grantor}补助资金到账",
    "pledge": "{grantor}承诺补助（应收）",
    "pledge_settlement": "应收补助到账（{source}）",
    "advance": "镇村预垫资金到账",
    "advance_repayment": "归还镇村预垫资金",
    "donation": "{source}：{donor}捐赠",
    "interest": "银行存款利息",
    "expense:subsidies": "确认应付互助补助",
    "expense:service_fees": "确认应付第三方服务费",
    "payment": "支付应付款",
}


def default_memo(posting: str, **fields: str) -> str:
    return DEFAULT_MEMOS[posting].format(**fields)


def _common(scheme_year, on, *, reference="", memo="", method=None, date_field="date"):
    now = ledger.today()
    check_scheme_year(scheme_year, now)
    entry_date = check_entry_date(on, scheme_year, now, date_field)
    reference = check_text(reference, "reference", 100, label="业务参考号")
    memo = check_text(memo, "memo", 200, label="摘要")
    if method is not None:
        check_choice(method, "method", PaymentMethod.values, Code.INVALID_METHOD, "收款方式")
    return entry_date, reference, memo


def service_fee_from_fund(scheme_year: int, on: date | None = None) -> bool:
    """Whether the service firm's fee of ``scheme_year`` is paid from the fund: the published policy in force
    (on ``on``, default today) says so; without a published policy, the registry's default (yes)."""
    policy = policy_in_force(scheme_year, on)
    return True if policy is None else bool(policy.service_fee_from_fund)


def _open_year(scheme_year: int) -> FundYear:
    year = ledger.lock_year(scheme_year)
    ledger.require_open(year)
    return year


def _require_balance(scheme_year: int, key: str, amount_fen: int, field: str, label: str) -> None:
    available = ledger.balance_of(scheme_year, key)
    if available < amount_fen:
        raise invalid(
            field,
            f"{label}余额不足：现有 {fen_to_yuan(available)} 元，需 {fen_to_yuan(amount_fen)} 元",
            Code.INSUFFICIENT_BALANCE,
        )


@transaction.atomic
def record_underwriting(
    scheme_year: int,
    amounts_by_source: dict[str, int],
    *,
    received_on: date,
    method: str = PaymentMethod.BANK_TRANSFER,
    reference: str = "",
    memo: str = "",
    actor,
) -> JournalEntry:
    """Shares paid by institutions (镇村托底, 镇财政补助, 村集体扶持 …): Dr bank, Cr income:<source> per source.
    Persons' fees are not recorded here: they come through enrolment (``post_contribution``)."""
    if not isinstance(amounts_by_source, dict) or not amounts_by_source:
        raise invalid("amounts_by_source", "请至少填写一个资金来源的金额", Code.REQUIRED)
    amounts = {}
    for source, amount in amounts_by_source.items():
        check_choice(source, "amounts_by_source", UNDERWRITING_SOURCES, Code.INVALID_SOURCE, "资金来源")
        amounts[source] = check_amount(amount, "amounts_by_source")
    entry_date, reference, memo = _common(
        scheme_year, received_on, reference=reference, memo=memo, method=method, date_field="received_on"
    )
    year = _open_year(scheme_year)
    ordered = [s for s in UNDERWRITING_SOURCES if s in amounts]
    lines = [ledger.debit(BANK, sum(amounts.values()))] + [
        ledger.credit(income(s), amounts[s]) for s in ordered
    ]
    return ledger.post(
        year,
        EntryKind.CONTRIBUTION,
        lines,
        entry_date=entry_date,
        actor=actor,
        memo=memo or default_memo("underwriting", sources="、".join(SOURCE_LABELS[s] for s in ordered)),
        reference=reference,
        method=method,
    )


@transaction.atomic
def record_grant(
    scheme_year: int,
    *,
    source: str,
    amount_fen: int,
    grantor: str,
    received_on: date,
    reference: str = "",
    memo: str = "",
    actor,
) -> JournalEntry:
    """A grant received in the bank (市老促会 40,000 元): Dr bank, Cr income:<source>."""
    check_choice(source, "source", PLEDGE_SOURCES, Code.INVALID_SOURCE, "资金来源")
    check_amount(amount_fen)
    grantor = check_text(grantor, "grantor", 100, required=True, label="拨款单位")
    entry_date, reference, memo = _common(
        scheme_year, received_on, reference=reference, memo=memo, date_field="received_on"
    )
    year = _open_year(scheme_year)
    return ledger.post(
        year,
        EntryKind.GRANT,
        [ledger.debit(BANK, amount_fen), ledger.credit(income(source), amount_fen)],
        entry_date=entry_date,
        actor=actor,
        memo=memo or default_memo("grant", grantor=grantor),
        reference=reference,
        method=PaymentMethod.BANK_TRANSFER,
        counterparty=grantor,
    )


@transaction.atomic
def record_pledge(
    scheme_year: int,
    *,
    source: str,
    amount_fen: int,
    grantor: str,
    pledged_on: date,
    reference: str = "",
    memo: str = "",
    actor,
) -> JournalEntry:
    """A grant pledged but not yet paid (市农业农村局 250,000 元, paid H1 2023): Dr receivable, Cr income."""
    check_choice(source, "source", PLEDGE_SOURCES, Code.INVALID_SOURCE, "资金来源")
    check_amount(amount_fen)
    grantor = check_text(grantor, "grantor", 100, required=True, label="拨款单位")
    entry_date, reference, memo = _common(
        scheme_year, pledged_on, reference=reference, memo=memo, date_field="pledged_on"
    )
    year = _open_year(scheme_year)
    return ledger.post(
        year,
        EntryKind.PLEDGE,
        [ledger.debit(receivable(source), amount_fen), ledger.credit(income(source), amount_fen)],
        entry_date=entry_date,
        actor=actor,
        memo=memo or default_memo("pledge", grantor=grantor),
        reference=reference,
        counterparty=grantor,
    )


@transaction.atomic
def settle_pledge(
    scheme_year: int,
    *,
    source: str,
    amount_fen: int,
    received_on: date,
    grantor: str = "",
    reference: str = "",
    memo: str = "",
    actor,
) -> JournalEntry:
    """Pledged money arrives: Dr bank, Cr receivable:<source>. Not more than is receivable in the year's books
    (after a close, the receivable is in the next year's books)."""
    check_choice(source, "source", PLEDGE_SOURCES, Code.INVALID_SOURCE, "资金来源")
    check_amount(amount_fen)
    grantor = check_text(grantor, "grantor", 100, label="拨款单位")
    entry_date, reference, memo = _common(
        scheme_year, received_on, reference=reference, memo=memo, date_field="received_on"
    )
    year = _open_year(scheme_year)
    _require_balance(scheme_year, receivable(source), amount_fen, "amount", "应收补助款")
    return ledger.post(
        year,
        EntryKind.PLEDGE_SETTLEMENT,
        [ledger.debit(BANK, amount_fen), ledger.credit(receivable(source), amount_fen)],
        entry_date=entry_date,
        actor=actor,
        memo=memo or default_memo("pledge_settlement", source=SOURCE_LABELS[source]),
        reference=reference,
        method=PaymentMethod.BANK_TRANSFER,
        counterparty=grantor,
    )


def _town_village(town_fen: int, village_fen: int) -> tuple[int, int]:
    for field, value in (("town_amount", town_fen), ("village_amount", village_fen)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise invalid(field, "金额应为非负整数（分）", Code.INVALID_AMOUNT)
        if value:
            check_amount(value, field)
    if town_fen + village_fen == 0:
        raise invalid("town_amount", "镇级与村级金额至少填写一项", Code.REQUIRED)
    return town_fen, village_fen


@transaction.atomic
def record_advance(
    scheme_year: int,
    *,
    town_fen: int = 0,
    village_fen: int = 0,
    received_on: date,
    reference: str = "",
    memo: str = "",
    actor,
) -> JournalEntry:
    """Town and village advance money until a pledged grant arrives (2022 年由镇、村先预垫): Dr bank,
    Cr payable:advance_town / payable:advance_village — owed back, not income."""
    town_fen, village_fen = _town_village(town_fen, village_fen)
    entry_date, reference, memo = _common(
        scheme_year, received_on, reference=reference, memo=memo, date_field="received_on"
    )
    year = _open_year(scheme_year)
    lines = [
        ledger.debit(BANK, town_fen + village_fen),
        ledger.credit(PAYABLE_ADVANCE_TOWN, town_fen) if town_fen else None,
        ledger.credit(PAYABLE_ADVANCE_VILLAGE, village_fen) if village_fen else None,
    ]
    return ledger.post(
        year,
        EntryKind.ADVANCE,
        lines,
        entry_date=entry_date,
        actor=actor,
        memo=memo or default_memo("advance"),
        reference=reference,
        method=PaymentMethod.BANK_TRANSFER,
    )


@transaction.atomic
def repay_advance(
    scheme_year: int,
    *,
    town_fen: int = 0,
    village_fen: int = 0,
    paid_on: date,
    reference: str = "",
    memo: str = "",
    actor,
) -> JournalEntry:
    """Pay the town and village back: Dr payable:advance_*, Cr bank; never more than is owed or in the bank."""
    town_fen, village_fen = _town_village(town_fen, village_fen)
    entry_date, reference, memo = _common(
        scheme_year, paid_on, reference=reference, memo=memo, date_field="paid_on"
    )
    year = _open_year(scheme_year)
    if town_fen:
        _require_balance(scheme_year, PAYABLE_ADVANCE_TOWN, town_fen, "town_amount", "应付镇级垫付款")
    if village_fen:
        _require_balance(
            scheme_year, PAYABLE_ADVANCE_VILLAGE, village_fen, "village_amount", "应付村级垫付款"
        )
    _require_balance(scheme_year, BANK, town_fen + village_fen, "town_amount", "银行存款")
    lines = [
        ledger.debit(PAYABLE_ADVANCE_TOWN, town_fen) if town_fen else None,
        ledger.debit(PAYABLE_ADVANCE_VILLAGE, village_fen) if village_fen else None,
        ledger.credit(BANK, town_fen + village_fen),
    ]
    return ledger.post(
        year,
        EntryKind.ADVANCE_REPAYMENT,
        lines,
        entry_date=entry_date,
        actor=actor,
        memo=memo or default_memo("advance_repayment"),
        reference=reference,
        method=PaymentMethod.BANK_TRANSFER,
    )


@transaction.atomic
def record_donation(
    scheme_year: int,
    *,
    source: str,
    amount_fen: int,
    donor_name: str,
    receipt_number: str,
    received_on: date,
    method: str = PaymentMethod.BANK_TRANSFER,
    reference: str = "",
    memo: str = "",
    actor,
) -> JournalEntry:
    """A donation (乡贤、爱心企业 …) with the donor's name and the donation receipt number (捐赠票据号):
    Dr bank, Cr income:<source>. A receipt number is used once, unless its entry was reversed."""
    check_choice(source, "source", DONATION_SOURCES, Code.INVALID_SOURCE, "捐赠来源")
    check_amount(amount_fen)
    donor_name = check_text(donor_name, "donor_name", 100, required=True, label="捐赠人")
    receipt_number = check_text(receipt_number, "receipt_number", 64, required=True, label="捐赠票据号")
    entry_date, reference, memo = _common(
        scheme_year, received_on, reference=reference, memo=memo, method=method, date_field="received_on"
    )
    # Receipt numbers are unique across the town's years: serialise donations of this schema.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':funds.donation_receipt'))"
        )
    year = _open_year(scheme_year)
    used = JournalEntry.objects.filter(
        kind=EntryKind.DONATION, receipt_number=receipt_number, reversed_by__isnull=True
    ).first()
    if used is not None:
        raise invalid(
            "receipt_number",
            f"捐赠票据号 {receipt_number} 已在凭证 {used.voucher} 使用",
            Code.DUPLICATE_RECEIPT,
        )
    return ledger.post(
        year,
        EntryKind.DONATION,
        [ledger.debit(BANK, amount_fen), ledger.credit(income(source), amount_fen)],
        entry_date=entry_date,
        actor=actor,
        memo=memo or default_memo("donation", source=SOURCE_LABELS[source], donor=donor_name),
        reference=reference,
        method=method,
        counterparty=donor_name,
        receipt_number=receipt_number,
    )


@transaction.atomic
def record_interest(
    scheme_year: int, *, amount_fen: int, received_on: date, reference: str = "", memo: str = "", actor
) -> JournalEntry:
    """Bank interest on the pool (互助资金及其利息): Dr bank, Cr income:interest."""
    check_amount(amount_fen)
    entry_date, reference, memo = _common(
        scheme_year, received_on, reference=reference, memo=memo, date_field="received_on"
    )
    year = _open_year(scheme_year)
    return ledger.post(
        year,
        EntryKind.INTEREST,
        [ledger.debit(BANK, amount_fen), ledger.credit(income("interest"), amount_fen)],
        entry_date=entry_date,
        actor=actor,
        memo=memo or default_memo("interest"),
        reference=reference,
        method=PaymentMethod.BANK_TRANSFER,
    )


@transaction.atomic
def accrue_expense(
    scheme_year: int,
    *,
    expense: str,
    amount_fen: int,
    incurred_on: date,
    payee: str = "",
    reference: str = "",
    memo: str = "",
    actor,
) -> JournalEntry:
    """Approved subsidies or the service firm's fee, owed but not paid yet: Dr expense, Cr payable.
    (For the payouts app; the monthly batch accrues its total and pays it with ``pay_payable``.) The firm's fee
    only where the year's policy pays it from the fund (``fee_not_from_fund`` otherwise: the town's budget pays
    it, so it is no payable of the fund)."""
    check_choice(expense, "expense", tuple(EXPENSES), Code.INVALID, "支出类别")
    check_amount(amount_fen)
    payee = check_text(payee, "payee", 100, label="收款单位")
    entry_date, reference, memo = _common(
        scheme_year, incurred_on, reference=reference, memo=memo, date_field="incurred_on"
    )
    if expense == "service_fees" and not service_fee_from_fund(scheme_year, entry_date):
        raise invalid(
            "scheme_year",
            f"{scheme_year}互助年度政策规定第三方服务费由镇财政预算支付，不从互助资金支付，不能记入互助资金应付款",
            Code.FEE_NOT_FROM_FUND,
        )
    year = _open_year(scheme_year)
    expense_key, payable_key = EXPENSES[expense]
    return ledger.post(
        year,
        EntryKind.EXPENSE_ACCRUAL,
        [ledger.debit(expense_key, amount_fen), ledger.credit(payable_key, amount_fen)],
        entry_date=entry_date,
        actor=actor,
        memo=memo or default_memo(f"expense:{expense}"),
        reference=reference,
        counterparty=payee,
    )


@transaction.atomic
def pay_payable(
    scheme_year: int,
    *,
    payable: str,
    amount_fen: int,
    paid_on: date,
    payee: str = "",
    reference: str = "",
    memo: str = "",
    actor,
) -> JournalEntry:
    """Pay what is owed from the bank: Dr payable:<payable>, Cr bank; never more than owed or held."""
    check_choice(payable, "payable", PAYABLES, Code.INVALID, "应付类别")
    check_amount(amount_fen)
    payee = check_text(payee, "payee", 100, label="收款单位")
    entry_date, reference, memo = _common(
        scheme_year, paid_on, reference=reference, memo=memo, date_field="paid_on"
    )
    year = _open_year(scheme_year)
    key = f"payable:{payable}"
    _require_balance(scheme_year, key, amount_fen, "amount", "应付款")
    _require_balance(scheme_year, BANK, amount_fen, "amount", "银行存款")
    return ledger.post(
        year,
        EntryKind.PAYMENT,
        [ledger.debit(key, amount_fen), ledger.credit(BANK, amount_fen)],
        entry_date=entry_date,
        actor=actor,
        memo=memo or default_memo("payment"),
        reference=reference,
        method=PaymentMethod.BANK_TRANSFER,
        counterparty=payee,
    )


# --- year-end close ------------------------------------------------------------------------------------------------


@transaction.atomic
def close_year(scheme_year: int, actor) -> FundYear:
    """Close a scheme year (年终结账) and carry its fund balance into the next year, in one audited step.

    1. closing entry (year Y): income and expense accounts to zero, the difference — the year's surplus, income −
       expenses, where expenses already include approved but unpaid subsidies and fees (the payables) — to
       本年结余;
    2. carry-forward entry (year Y): every remaining balance (bank, receivables, payables, 上年结转, 本年结余) out
       of year Y, so the closed year's books end at zero;
    3. opening entry (year Y+1): the same bank, receivable and payable balances into year Y+1, with their net —
       the fund balance — as Y+1's 上年结转.

    Decisions: a year closes once (``already_closed``); years close in order — Y is refused while Y−1 has
    postings and is still open (``previous_year_open``), since Y−1's carry-over would land in a closed year; Y+1
    may already hold postings (next year's fees are collected while this year's claims are still paid) — that is
    no conflict, the opening entry is one more entry of Y+1 — but a Y+1 that is already closed or already has an
    opening entry is (``next_year_conflict``). After closing, Y accepts no postings or reversals (``year_closed``).
    Years are locked in ascending order, so a close cannot deadlock with another close or a posting.
    """
    now = ledger.today()
    check_scheme_year(scheme_year, now)
    previous = (
        ledger.lock_year(scheme_year - 1)
        if FundYear.objects.filter(scheme_year=scheme_year - 1).exists()
        else None
    )
    year = ledger.lock_year(scheme_year)
    following = ledger.lock_year(scheme_year + 1)
    if year.is_closed:
        raise invalid("scheme_year", f"{scheme_year}互助年度已结账，不能重复结账", Code.ALREADY_CLOSED)
    if (
        previous is not None
        and not previous.is_closed
        and JournalEntry.objects.filter(scheme_year=scheme_year - 1).exists()
    ):
        raise invalid(
            "scheme_year",
            f"请先结账 {scheme_year - 1} 互助年度，再结账 {scheme_year} 年度",
            Code.PREVIOUS_YEAR_OPEN,
        )
    if (
        following.is_closed
        or JournalEntry.objects.filter(scheme_year=scheme_year + 1, kind=EntryKind.OPENING).exists()
    ):
        raise invalid(
            "scheme_year",
            f"{scheme_year + 1} 互助年度已结账或已有上年结转，无法结转",
            Code.NEXT_YEAR_CONFLICT,
        )

    _, window_end = posting_window(scheme_year)
    close_date = min(now, window_end)
    totals = ledger.account_totals(scheme_year)
    income_fen = sum(t.balance_fen for t in totals if t.account.kind == AccountKind.INCOME)
    expenses_fen = sum(t.balance_fen for t in totals if t.account.kind == AccountKind.EXPENSE)
    surplus = income_fen - expenses_fen
    entries: list[JournalEntry] = []

    closing = [
        ledger.signed(t.account.key, -t.balance_fen)
        for t in totals
        if t.account.kind in (AccountKind.INCOME, AccountKind.EXPENSE)
    ]
    closing.append(ledger.signed(CURRENT_SURPLUS, surplus))
    if any(closing):
        entries.append(
            ledger.post(
                year,
                EntryKind.CLOSING,
                closing,
                entry_date=close_date,
                actor=actor,
                memo=f"{scheme_year}互助年度结账：本年结余转入净资产",
            )
        )

    balances = {t.account.key: t.balance_fen for t in ledger.account_totals(scheme_year)}
    sheet = [t.account for t in totals if t.account.kind in (AccountKind.ASSET, AccountKind.LIABILITY)]
    carried = balances[CARRIED_FORWARD] + balances[CURRENT_SURPLUS]
    out_lines = [ledger.signed(a.key, -balances[a.key]) for a in sheet]
    out_lines += [
        ledger.signed(CARRIED_FORWARD, -balances[CARRIED_FORWARD]),
        ledger.signed(CURRENT_SURPLUS, -balances[CURRENT_SURPLUS]),
    ]
    if any(out_lines):
        entries.append(
            ledger.post(
                year,
                EntryKind.CARRY_FORWARD,
                out_lines,
                entry_date=close_date,
                actor=actor,
                memo=f"{scheme_year}互助年度余额结转下年",
            )
        )
        in_lines = [ledger.signed(a.key, balances[a.key]) for a in sheet] + [
            ledger.signed(CARRIED_FORWARD, carried)
        ]
        entries.append(
            ledger.post(
                following,
                EntryKind.OPENING,
                in_lines,
                entry_date=date(scheme_year + 1, 1, 1),
                actor=actor,
                memo=f"上年结转：{scheme_year}互助年度结余",
                reference=f"close:{scheme_year}",
            )
        )

    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    year.status = FundYearStatus.CLOSED
    year.closed_at = timezone.now()
    year.closed_by_id = actor.pk if authenticated else None
    year.surplus_fen = surplus
    year.carried_forward_fen = carried
    year.save(update_fields=["status", "closed_at", "closed_by_id", "surplus_fen", "carried_forward_fen"])
    record_event(
        actor,
        "funds.close_year",
        year,
        {
            "scheme_year": scheme_year,
            "income_fen": income_fen,
            "expenses_fen": expenses_fen,
            "surplus_fen": surplus,
            "carried_forward_fen": carried,
            "entries": [e.voucher for e in entries],
        },
    )
    return year


__all__ = [
    "accrue_expense",
    "close_year",
    "pay_payable",
    "record_advance",
    "record_donation",
    "record_grant",
    "record_interest",
    "record_pledge",
    "record_underwriting",
    "repay_advance",
    "service_fee_from_fund",
    "settle_pledge",
]
