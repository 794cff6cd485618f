"""What every write of the payouts domain shares: who acts, the batch row locked first, the state a step needs,
a reason's checks, a date kept inside its scheme year's posting window, and amounts summed per scheme year."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError

from mutualaid.funds import ledger
from mutualaid.funds.rules import posting_window
from mutualaid.payouts.error_codes import PayoutErrorCode as Code
from mutualaid.payouts.models import (
    BatchPosting,
    PayoutBatch,
)
from mutualaid.payouts.rules import invalid


def who(actor) -> tuple[int | None, str]:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.pk, actor.get_username()
    return None, ""


def locked_batch(batch: PayoutBatch | int) -> PayoutBatch:
    pk = batch if isinstance(batch, int) else batch.pk
    return PayoutBatch.objects.select_for_update().get(pk=pk)


def require_batch_state(batch: PayoutBatch, allowed: tuple, action: str, code: Code = Code.WRONG_STATE):
    if batch.state not in allowed:
        raise invalid("batch", f"批次当前状态为“{batch.get_state_display()}”，不能{action}", code)


def clamped(on: date, scheme_year: int) -> date:
    start, end = posting_window(scheme_year)
    return min(max(on, start), end)


def reason_text(value: str, field: str = "reason") -> str:
    text = (value or "").strip()
    if not text:
        raise invalid(field, "请填写原因", Code.REASON_REQUIRED)
    if len(text) > 200:
        raise invalid(field, "原因过长（不超过 200 字）", Code.INVALID)
    return text


def sums_by_year(lines) -> dict[tuple[int, str], int]:
    sums: dict[tuple[int, str], int] = defaultdict(int)
    for scheme_year, kind, amount in lines:
        sums[(scheme_year, kind)] += amount
    return sums


def open_year(scheme_year: int, field: str, refusal: str):
    """The scheme year's ledger year, locked; refused with ``refusal`` once the year is closed (结账)."""
    year = ledger.lock_year(scheme_year)
    try:
        ledger.require_open(year)
    except ValidationError as exc:
        raise invalid(field, f"{scheme_year}互助年度已结账，{refusal}", Code.LEDGER) from exc
    return year


def record_posting(batch: PayoutBatch, kind: str, scheme_year: int, entry, amount_fen: int) -> BatchPosting:
    """The batch's note of a ledger entry it posted (the batch's totals are checked against these)."""
    return BatchPosting.objects.create(
        batch=batch, kind=kind, scheme_year=scheme_year, entry_id=entry.pk, voucher=entry.voucher,
        amount_fen=amount_fen,
    )  # fmt: skip
