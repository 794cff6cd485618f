"""The fund ledger's API for other apps (enrolment records fees here). Stable signatures:

    post_contribution(scheme_year, amounts_by_source, *, method, reference, memo, actor) -> JournalEntry
    reverse_entry(entry_id, *, reason, actor) -> JournalEntry
    book_recovery(scheme_year, *, amount_fen, reference, on, memo, actor) -> JournalEntry
    receive_recovery(scheme_year, *, amount_fen, reference, on, memo, actor) -> JournalEntry
    write_off_recovery(scheme_year, *, amount_fen, reference, on, memo, reason, actor) -> JournalEntry

The recovery postings (payouts' fraud recovery, 骗取补助) keep one business item's receivable under its
``reference`` (``recovery:<id>``): ``ledger.reference_balance(MEMBER_RECEIVABLE, reference)`` is what the member
still owes. They post in the scheme year given or, when it is closed, in the first open year after it (the close
carried the receivable there). Their entries are not reversed by hand (``not_reversible``): the recovery's own
steps move the receivable, so the recovery record and the ledger cannot drift apart.

Amounts are integer fen. Every call runs in its own transaction (or the caller's), locks the scheme year, writes
one balanced entry and one audit event, and raises ``django.core.exceptions.ValidationError`` with
``FundsErrorCode`` codes on bad input, writing nothing.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from mutualaid.funds import ledger
from mutualaid.funds.chart import (
    BANK,
    EXPENSE_RECOVERY_WRITE_OFFS,
    EXPENSE_SUBSIDIES,
    MEMBER_RECEIVABLE,
    SOURCE_LABELS,
    income,
)
from mutualaid.funds.error_codes import FundsErrorCode as Code
from mutualaid.funds.models import SYSTEM_KINDS, EntryKind, JournalEntry, PaymentMethod
from mutualaid.funds.rules import (
    check_amount,
    check_choice,
    check_entry_date,
    check_scheme_year,
    check_text,
    invalid,
    posting_window,
)
from mutualaid.platform.money import MAX_FEN, fen_to_yuan
from mutualaid.policies.terms import FundingSource

__all__ = [
    "RECOVERY_REFERENCE_PREFIX",
    "JournalEntry",
    "book_recovery",
    "post_contribution",
    "receive_recovery",
    "reverse_entry",
    "write_off_recovery",
]

RECOVERY_REFERENCE_PREFIX = "recovery:"


def _check_amounts_by_source(amounts_by_source, field: str = "amounts_by_source") -> dict[str, int]:
    if not isinstance(amounts_by_source, dict) or not amounts_by_source:
        raise invalid(field, "请至少填写一个资金来源的金额", Code.REQUIRED)
    checked: dict[str, int] = {}
    for source, amount in amounts_by_source.items():
        check_choice(source, field, FundingSource.values, Code.INVALID_SOURCE, "资金来源")
        checked[source] = check_amount(amount, field)
    if sum(checked.values()) > MAX_FEN:
        raise invalid(field, "合计金额超出合理范围", Code.INVALID_AMOUNT)
    # Chart order, so the same contribution always produces the same lines.
    return {s: checked[s] for s in FundingSource.values if s in checked}


@transaction.atomic
def post_contribution(
    scheme_year: int,
    amounts_by_source: dict[str, int],
    *,
    method: str,
    reference: str,
    memo: str,
    actor,
    received_on: date | None = None,
) -> JournalEntry:
    """Fees or shares received (互助费): Dr bank (the total), Cr income:<source> per source, in fen.

    ``amounts_by_source`` maps ``FundingSource`` values to fen, e.g. 海安 ``{"person": 5000, "town_finance":
    2500, "village_collective": 2500}``. ``method`` is cash / bank_transfer / mobile_payment. ``received_on``
    defaults to today (not checked against the year: enrolment owns its window); a given date must fall within
    the scheme year's posting window and not in the future.
    """
    now = ledger.today()
    check_scheme_year(scheme_year, now)
    amounts = _check_amounts_by_source(amounts_by_source)
    check_choice(method, "method", PaymentMethod.values, Code.INVALID_METHOD, "收款方式")
    reference = check_text(reference, "reference", 100, label="业务参考号")
    memo = check_text(memo, "memo", 200, label="摘要")
    entry_date = (
        now if received_on is None else check_entry_date(received_on, scheme_year, now, "received_on")
    )
    year = ledger.lock_year(scheme_year)
    ledger.require_open(year)
    lines = [ledger.debit(BANK, sum(amounts.values()))]
    lines += [ledger.credit(income(source), amount) for source, amount in amounts.items()]
    default_memo = "互助费收入（" + "、".join(f"{SOURCE_LABELS[s]}" for s in amounts) + "）"
    return ledger.post(
        year,
        EntryKind.CONTRIBUTION,
        lines,
        entry_date=entry_date,
        actor=actor,
        memo=memo or default_memo,
        reference=reference,
        method=method,
    )


@transaction.atomic
def reverse_entry(entry_id: int, *, reason: str, actor) -> JournalEntry:
    """Reverse a posted entry (冲销): a new entry with every line on the other side, linked to the original and
    dated today, with the reason kept. An entry is reversed at most once; reversals, and the entries written by
    the year-end close, cannot be reversed; a closed year's entries cannot be reversed (correct them in the
    open year instead)."""
    reason = check_text(reason, "reason", 200, required=True, label="冲销原因")
    if isinstance(entry_id, bool) or not isinstance(entry_id, int):
        raise invalid("entry_id", "凭证不存在", Code.NOT_FOUND)
    found = JournalEntry.objects.filter(pk=entry_id).values_list("scheme_year", flat=True).first()
    if found is None:
        raise invalid("entry_id", "凭证不存在", Code.NOT_FOUND)
    year = ledger.lock_year(found)
    original = JournalEntry.objects.prefetch_related("lines__account").get(pk=entry_id)
    if original.kind == EntryKind.REVERSAL or original.kind in SYSTEM_KINDS:
        raise invalid("entry_id", f"{original.get_kind_display()}凭证不能冲销", Code.NOT_REVERSIBLE)
    if original.reference.startswith(RECOVERY_REFERENCE_PREFIX):
        raise invalid(
            "entry_id",
            f"凭证 {original.voucher} 属于补助追回业务，请通过追回登记或核销办理，不能直接冲销",
            Code.NOT_REVERSIBLE,
        )
    if JournalEntry.objects.filter(reverses=original).exists():
        raise invalid("entry_id", f"凭证 {original.voucher} 已冲销，不能重复冲销", Code.ALREADY_REVERSED)
    ledger.require_open(year, "entry_id")
    lines = [
        ledger.credit(line.account.key, line.amount_fen)
        if line.side == "debit"
        else ledger.debit(line.account.key, line.amount_fen)
        for line in original.lines.all()
    ]
    return ledger.post(
        year,
        EntryKind.REVERSAL,
        lines,
        entry_date=ledger.today(),
        actor=actor,
        memo=f"冲销 {original.voucher}：{reason}"[:200],
        reference=original.reference,
        method=original.method,
        counterparty=original.counterparty,
        receipt_number=original.receipt_number,
        reverses=original,
        reason=reason,
        audit={"reversed_voucher": original.voucher, "reversed_kind": original.kind},
    )


# --- recovery of subsidies got by fraud (骗取补助) ---------------------------------------------------------------


def _recovery_args(amount_fen, reference: str, on) -> str:
    check_amount(amount_fen)
    if not isinstance(reference, str) or not reference.startswith(RECOVERY_REFERENCE_PREFIX):
        raise invalid("reference", "追回业务的参考号应为 recovery:<编号>", Code.INVALID)
    reference = check_text(reference, "reference", 100, required=True, label="业务参考号")
    if not isinstance(on, date):
        raise invalid("on", "日期格式不正确", Code.INVALID_DATE)
    return reference


def _recovery_date(on: date, scheme_year: int) -> date:
    """The business date within the posting window of the year the entry goes to (a late repayment of an
    earlier year's recovery is booked on the window's last day of that year if it is still open)."""
    start, end = posting_window(scheme_year)
    return min(max(on, start), end)


def _owed(reference: str, amount_fen: int) -> None:
    owed = ledger.reference_balance(MEMBER_RECEIVABLE, reference)
    if amount_fen > owed:
        raise invalid(
            "amount",
            f"超过应收个人退回补助余额：尚欠 {fen_to_yuan(owed)} 元，本次 {fen_to_yuan(amount_fen)} 元",
            Code.INSUFFICIENT_BALANCE,
        )


@transaction.atomic
def book_recovery(
    scheme_year: int, *, amount_fen: int, reference: str, on: date, memo: str = "", actor
) -> JournalEntry:
    """A paid subsidy found got by fraud: Dr 应收个人退回补助 / Cr 互助补助支出 — the member owes it back and the
    year's subsidy expense no longer counts it. One booking per reference."""
    reference = _recovery_args(amount_fen, reference, on)
    year = ledger.first_open_year(scheme_year)
    if JournalEntry.objects.filter(kind=EntryKind.SUBSIDY_RECOVERY, reference=reference).exists():
        raise invalid("reference", f"{reference} 已确认应收，不能重复确认", Code.INVALID)
    return ledger.post(
        year,
        EntryKind.SUBSIDY_RECOVERY,
        [ledger.debit(MEMBER_RECEIVABLE, amount_fen), ledger.credit(EXPENSE_SUBSIDIES, amount_fen)],
        entry_date=_recovery_date(on, year.scheme_year),
        actor=actor,
        memo=(memo or "追回骗取的互助补助（确认应收个人退回补助）")[:200],
        reference=reference,
        audit={"scheme_year_of_claim": scheme_year},
    )


@transaction.atomic
def receive_recovery(
    scheme_year: int, *, amount_fen: int, reference: str, on: date, memo: str = "", actor
) -> JournalEntry:
    """The member repays into the fund's bank account: Dr 银行存款 / Cr 应收个人退回补助, never more than the
    reference still owes."""
    reference = _recovery_args(amount_fen, reference, on)
    year = ledger.first_open_year(scheme_year)
    _owed(reference, amount_fen)
    return ledger.post(
        year,
        EntryKind.RECOVERY_REPAYMENT,
        [ledger.debit(BANK, amount_fen), ledger.credit(MEMBER_RECEIVABLE, amount_fen)],
        entry_date=_recovery_date(on, year.scheme_year),
        actor=actor,
        memo=(memo or "收到退回的骗取补助")[:200],
        reference=reference,
        method=PaymentMethod.BANK_TRANSFER,
        audit={"scheme_year_of_claim": scheme_year},
    )


@transaction.atomic
def write_off_recovery(
    scheme_year: int, *, amount_fen: int, reference: str, on: date, reason: str, memo: str = "", actor
) -> JournalEntry:
    """What cannot be recovered, written off after approval: Dr 追回补助核销损失 / Cr 应收个人退回补助 (a loss of
    the fund, not a subsidy: see ``chart``), never more than the reference still owes."""
    reference = _recovery_args(amount_fen, reference, on)
    reason = check_text(reason, "reason", 200, required=True, label="核销原因")
    year = ledger.first_open_year(scheme_year)
    _owed(reference, amount_fen)
    return ledger.post(
        year,
        EntryKind.RECOVERY_WRITE_OFF,
        [ledger.debit(EXPENSE_RECOVERY_WRITE_OFFS, amount_fen), ledger.credit(MEMBER_RECEIVABLE, amount_fen)],
        entry_date=_recovery_date(on, year.scheme_year),
        actor=actor,
        memo=(memo or f"核销无法追回的骗取补助：{reason}")[:200],
        reference=reference,
        audit={"scheme_year_of_claim": scheme_year, "write_off_reason": reason},
    )
