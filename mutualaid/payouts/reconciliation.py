"""The dedicated account's bank statement reconciled with the ledger's bank lines month by month (对账), and a
line only the bank knows (its interest) booked with a reason."""

from __future__ import annotations

from datetime import date

from django.db import transaction

from mutualaid.claims import selectors as claim_selectors
from mutualaid.funds.chart import BANK
from mutualaid.funds.models import JournalLine
from mutualaid.payouts import rules, steps
from mutualaid.payouts.error_codes import PayoutErrorCode as Code
from mutualaid.payouts.models import (
    Reconciliation,
)
from mutualaid.payouts.rules import invalid
from mutualaid.platform.audit.actions import record_event

# --- bank statement reconciliation (8a) -----------------------------------------------------------------------------


@transaction.atomic
def reconcile(month: date, content: bytes, *, file_name: str, actor) -> Reconciliation:
    """Match the dedicated account's statement for ``month`` with the ledger's bank lines of that month (by date
    and amount); the month is closed only when nothing is left unmatched and the difference is zero."""
    from mutualaid.funds.models import JournalEntry

    month = rules.month_start(month)
    end = rules.next_month(month)
    statement = [
        r for r in rules.parse_statement(rules.read_table(content, file_name)) if month <= r.on < end
    ]
    bank_lines = (
        JournalLine.objects.filter(account__key=BANK, entry__entry_date__gte=month, entry__entry_date__lt=end)
        .values_list("entry_id", "side", "amount_fen")
        .order_by("entry_id")
    )
    entries = {e.pk: e for e in JournalEntry.objects.filter(pk__in={line[0] for line in bank_lines})}
    ledger_rows: list[dict] = []
    for entry_id, side, amount in bank_lines:
        entry = entries[entry_id]
        signed = amount if side == "debit" else -amount
        ledger_rows.append({"voucher": entry.voucher, "date": entry.entry_date.isoformat(), "amount_fen": signed,
                            "memo": entry.memo})  # fmt: skip
    unmatched = list(ledger_rows)
    matched: list[dict] = []
    bank_only: list[dict] = []
    for row in statement:
        hit = next(
            (x for x in unmatched if x["amount_fen"] == row.amount_fen and x["date"] == row.on.isoformat()),
            None,
        ) or next((x for x in unmatched if x["amount_fen"] == row.amount_fen), None)
        bank = {"row": row.row, "date": row.on.isoformat(), "amount_fen": row.amount_fen, "memo": row.memo}
        if hit is None:
            bank_only.append(bank)
        else:
            unmatched.remove(hit)
            matched.append({"bank": bank, "ledger": hit})
    bank_total = sum(r.amount_fen for r in statement)
    ledger_total = sum(r["amount_fen"] for r in ledger_rows)
    difference = bank_total - ledger_total
    recon, _ = Reconciliation.objects.select_for_update().update_or_create(
        month=month,
        defaults={
            "bank_total_fen": bank_total,
            "ledger_total_fen": ledger_total,
            "difference_fen": difference,
            "matched": matched,
            "ledger_only": unmatched,
            "bank_only": bank_only,
            "closed": difference == 0 and not unmatched and not bank_only,
            "reconciled_by_id": steps.who(actor)[0],
            "reconciled_at": claim_selectors.now(),
        },
    )
    record_event(
        actor,
        "payouts.bank_reconciled",
        recon,
        {"month": f"{month:%Y-%m}", "difference_fen": difference, "closed": recon.closed,
         "matched": len(matched), "ledger_only": len(unmatched), "bank_only": len(bank_only)},
    )  # fmt: skip
    return recon


@transaction.atomic
def book_statement_line(month: date, row: int, *, scheme_year: int, reason: str, actor) -> Reconciliation:
    """Book a bank line the ledger does not know from the statement, with a reason: money in the bank paid (the
    account's interest) is posted Dr bank / Cr income:interest; money out must be booked in the fund ledger as
    what it is. The line then counts as matched and the month's difference is worked out again."""
    from mutualaid.funds.actions import record_interest

    reason = steps.reason_text(reason)
    recon = Reconciliation.objects.select_for_update().filter(month=rules.month_start(month)).first()
    if recon is None:
        raise invalid("month", "该月尚未导入对账单", Code.WRONG_STATE)
    found = next((b for b in recon.bank_only if b["row"] == row), None)
    if found is None:
        raise invalid("row", f"对账单第 {row} 行不是银行有、台账无的记录", Code.UNKNOWN_LINE)
    if found["amount_fen"] <= 0:
        raise invalid("row", "银行支出请在资金台账按实际用途记账后重新对账", Code.INVALID)
    entry = record_interest(
        scheme_year,
        amount_fen=found["amount_fen"],
        received_on=date.fromisoformat(found["date"]),
        reference=f"statement:{recon.month:%Y-%m}:{row}",
        memo=f"据银行对账单补记：{reason}"[:200],
        actor=actor,
    )
    ledger_row = {"voucher": entry.voucher, "date": found["date"], "amount_fen": found["amount_fen"],
                  "memo": entry.memo}  # fmt: skip
    recon.bank_only = [b for b in recon.bank_only if b["row"] != row]
    recon.matched = [*recon.matched, {"bank": found, "ledger": ledger_row, "booked": reason}]
    recon.ledger_total_fen += found["amount_fen"]
    recon.difference_fen = recon.bank_total_fen - recon.ledger_total_fen
    recon.closed = recon.difference_fen == 0 and not recon.ledger_only and not recon.bank_only
    recon.save(update_fields=["bank_only", "matched", "ledger_total_fen", "difference_fen", "closed"])
    record_event(
        actor, "payouts.statement_line_booked", recon,
        {"row": row, "voucher": entry.voucher, "reason": reason, "closed": recon.closed},
    )  # fmt: skip
    return recon
