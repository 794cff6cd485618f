"""The fund ledger's API for other apps (enrolment records fees here). Stable signatures:

    post_contribution(scheme_year, amounts_by_source, *, method, reference, memo, actor) -> JournalEntry
    reverse_entry(entry_id, *, reason, actor) -> JournalEntry

Amounts are integer fen. Every call runs in its own transaction (or the caller's), locks the scheme year, writes
one balanced entry and one audit event, and raises ``django.core.exceptions.ValidationError`` with
``FundsErrorCode`` codes on bad input, writing nothing.
"""

from __future__ import annotations

from datetime import date

from django.db import transaction

from mutualaid.funds import ledger
from mutualaid.funds.chart import BANK, SOURCE_LABELS, income
from mutualaid.funds.error_codes import FundsErrorCode as Code
from mutualaid.funds.models import SYSTEM_KINDS, EntryKind, JournalEntry, PaymentMethod
from mutualaid.funds.rules import (
    check_amount,
    check_choice,
    check_entry_date,
    check_scheme_year,
    check_text,
    invalid,
)
from mutualaid.platform.money import MAX_FEN
from mutualaid.policies.terms import FundingSource

__all__ = ["JournalEntry", "post_contribution", "reverse_entry"]


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
