"""The bank's answer to an exported batch: its result file imported or lines marked by hand (paid, or returned
with the bank's reason: the payable owed again, the claim back to the next batch, the member told by SMS), and a
paid line reversed after the fact. Each step locks the batch row first, then its lines and claims in id order."""

from __future__ import annotations

from django.db import transaction

from mutualaid.claims import selectors as claim_selectors
from mutualaid.claims.models import ClaimState, SmsNotice
from mutualaid.claims.tasks import send_decision_sms_many
from mutualaid.enrolment.models import Member
from mutualaid.funds import ledger
from mutualaid.funds.chart import BANK, PAYABLE_SERVICE_FEES, PAYABLE_SUBSIDIES
from mutualaid.funds.models import EntryKind
from mutualaid.payouts import claim_states, rules, steps
from mutualaid.payouts.error_codes import PayoutErrorCode as Code
from mutualaid.payouts.models import (
    BatchState,
    LineKind,
    LineState,
    PayoutBatch,
    PayoutLine,
    PostingKind,
)
from mutualaid.payouts.rules import invalid
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.money import fen_to_yuan

# --- the bank's return ----------------------------------------------------------------------------------------------


@transaction.atomic
def import_return(batch: PayoutBatch, content: bytes, *, file_name: str, actor) -> PayoutBatch:
    """Read the bank's result file (csv or xlsx) and record it: every line named must be a pending line of this
    batch, once, with its amount; any error refuses the whole file."""
    batch = steps.locked_batch(batch)
    steps.require_batch_state(batch, (BatchState.EXPORTED,), "登记银行回盘")
    rows = rules.parse_return(rules.read_table(content, file_name), batch.month)
    results = [(r.line_id, r.paid, r.reason, r.amount_fen, r.name) for r in rows]
    return _record(batch, results, actor=actor, source=file_name[:100] or "file")


@transaction.atomic
def mark_lines(batch: PayoutBatch, results: list[tuple[int, bool, str]], *, actor) -> PayoutBatch:
    """Mark lines by hand: (line id, paid?, reason when returned)."""
    batch = steps.locked_batch(batch)
    steps.require_batch_state(batch, (BatchState.EXPORTED,), "登记发放结果")
    checked = []
    for line_id, paid, reason in results:
        checked.append((line_id, paid, "" if paid else steps.reason_text(reason), None, None))
    return _record(batch, checked, actor=actor, source="manual")


def _record(batch: PayoutBatch, results, *, actor, source: str) -> PayoutBatch:
    if not results:
        raise invalid("lines", "没有要登记的明细", Code.REQUIRED)
    ids = [r[0] for r in results]
    seen: set[int] = set()
    for line_id in ids:
        if line_id in seen:
            raise invalid("lines", f"明细 {line_id} 重复出现", Code.DUPLICATE_LINE)
        seen.add(line_id)
    lines = {
        line.pk: line
        for line in PayoutLine.objects.select_for_update().filter(batch=batch, pk__in=ids).order_by("pk")
    }
    for line_id, _paid, _reason_text, amount_fen, name in results:
        line = lines.get(line_id)
        if line is None:
            raise invalid("lines", f"明细 {line_id} 不属于本批次", Code.UNKNOWN_LINE)
        if line.state != LineState.PENDING:
            raise invalid(
                "lines",
                f"明细 {line_id} 已登记为“{line.get_state_display()}”，不能重复登记",
                Code.DUPLICATE_LINE,
            )
        if amount_fen is not None and amount_fen != line.amount_fen:
            raise invalid(
                "lines",
                f"明细 {line_id} 金额 {rules.yuan_text(amount_fen)} 与批次 {rules.yuan_text(line.amount_fen)} 不符",
                Code.AMOUNT_MISMATCH,
            )
        if name and name != line.payee_name:
            raise invalid("lines", f"明细 {line_id} 户名与批次不符", Code.AMOUNT_MISMATCH)
    now = claim_selectors.now()
    username = steps.who(actor)[1]
    paid = [lines[r[0]] for r in results if r[1]]
    returned = [(lines[r[0]], r[2]) for r in results if not r[1]]
    claim_ids = sorted(line.claim_id for line in lines.values() if line.claim_id)
    if claim_ids:
        claim_states.lock_claims(claim_ids, ClaimState.IN_BATCH)
    PayoutLine.objects.filter(pk__in=[line.pk for line in paid]).update(
        state=LineState.PAID, resolved_at=now, resolved_by_username=username
    )
    claim_states.move(
        [line.claim_id for line in paid if line.claim_id],
        from_state=ClaimState.IN_BATCH,
        to_state=ClaimState.PAID,
        action="paid",
        actor=actor,
        data={"batch": batch.reference, "paid_on": str(batch.paid_on)},
    )
    if returned:
        for line, reason in returned:
            line.state = LineState.RETURNED
            line.return_reason = reason[:200]
            line.resolved_at = now
            line.resolved_by_username = username
        PayoutLine.objects.bulk_update(
            [line for line, _ in returned], ["state", "return_reason", "resolved_at", "resolved_by_username"]
        )
        _reverse(batch, [line for line, _ in returned], PostingKind.RETURN, "银行退回", actor)
        reasons = {line.claim_id: reason for line, reason in returned if line.claim_id}
        events = claim_states.move(
            sorted(reasons),
            from_state=ClaimState.IN_BATCH,
            to_state=ClaimState.APPROVED,
            action="payment_returned",
            actor=actor,
            reasons=reasons,
            data={"batch": batch.reference},
        )
        _notify_returned(events, {line.claim_id: line for line, _ in returned if line.claim_id is not None})
    if not batch.lines.filter(state=LineState.PENDING).exists():
        batch.state = BatchState.SETTLED
        batch.settled_at = now
        batch.save(update_fields=["state", "settled_at"])
    record_event(
        actor,
        "payouts.results_recorded",
        batch,
        {
            "source": source,
            "paid": len(paid),
            "returned": len(returned),
            "returned_fen": sum(line.amount_fen for line, _ in returned),
        },
    )
    return batch


def _reverse(batch: PayoutBatch, lines: list[PayoutLine], kind: str, why: str, actor) -> None:
    """Money back in the bank for ``lines``: Dr bank / Cr payable per scheme year, owed again."""
    sums = steps.sums_by_year([(line.scheme_year, line.kind, line.amount_fen) for line in lines])
    today = claim_selectors.today()
    for scheme_year in sorted({y for y, _ in sums}):
        subsidies = sums.get((scheme_year, LineKind.SUBSIDY), 0)
        fees = sums.get((scheme_year, LineKind.SERVICE_FEE), 0)
        year = steps.open_year(scheme_year, "lines", "不能登记退回")
        entry_lines = [ledger.debit(BANK, subsidies + fees)]
        if subsidies:
            entry_lines.append(ledger.credit(PAYABLE_SUBSIDIES, subsidies))
        if fees:
            entry_lines.append(ledger.credit(PAYABLE_SERVICE_FEES, fees))
        entry = ledger.post(
            year,
            EntryKind.REVERSAL,
            entry_lines,
            entry_date=steps.clamped(today, scheme_year),
            actor=actor,
            memo=f"{batch.month:%Y年%m月}补助发放{why}（{len(lines)} 笔）",
            reference=f"payout:{batch.reference}",
            reason=why,
            audit={"batch": batch.pk, "lines": [line.pk for line in lines][:100]},
        )
        steps.record_posting(batch, kind, scheme_year, entry, subsidies + fees)


def _notify_returned(events, lines: dict[int | None, PayoutLine]) -> None:
    members = {
        m.pk: m
        for m in Member.objects.filter(pk__in={line.member_id for line in lines.values()}).only(
            "pk", "phone_masked", "phone_encrypted"
        )
    }
    notices = []
    for event in events:
        line = lines[event.claim_id]
        member = members.get(line.member_id or 0)
        text = (
            f"【乡村医疗互助】您的互助补助 {fen_to_yuan(line.amount_fen)} 元银行转账被退回（{line.return_reason[:40]}），"
            "请到村委会或镇农业服务中心核对银行卡信息，将在下月重新发放。"
        )
        notices.append(
            SmsNotice(
                event=event,
                claim_id=event.claim_id,
                phone_masked=member.phone_masked if member else "",
                text=text,
                skipped="" if member is not None and member.phone_encrypted else "no_phone",
            )
        )
    created = SmsNotice.objects.bulk_create(notices)
    ids = [n.pk for n in created if not n.skipped]
    if ids:
        transaction.on_commit(lambda: send_decision_sms_many.delay(ids))


# --- after payment: reversal ----------------------------------------------------------------------------------


@transaction.atomic
def reverse_line(line: PayoutLine, *, reason: str, actor) -> PayoutLine:
    """A paid line found wrong after approval (the bank recalled the transfer): the money is back in the bank,
    the payable owed again, and the claim goes to the next batch."""
    reason = steps.reason_text(reason)
    batch = steps.locked_batch(line.batch_id)
    line = PayoutLine.objects.select_for_update().get(pk=line.pk)
    if line.state != LineState.PAID:
        raise invalid("line", "只有已到账的明细可以冲销", Code.WRONG_STATE)
    if line.claim_id:
        claim_states.lock_claims([line.claim_id], ClaimState.PAID)
    line.state = LineState.REVERSED
    line.return_reason = reason
    line.resolved_at = claim_selectors.now()
    line.resolved_by_username = steps.who(actor)[1]
    line.save(update_fields=["state", "return_reason", "resolved_at", "resolved_by_username"])
    _reverse(batch, [line], PostingKind.REVERSAL, "冲销", actor)
    if line.claim_id:
        claim_states.move(
            [line.claim_id],
            from_state=ClaimState.PAID,
            to_state=ClaimState.APPROVED,
            action="payment_reversed",
            actor=actor,
            reasons={line.claim_id: reason},
            data={"batch": batch.reference},
        )
    record_event(
        actor, "payouts.line_reversed", batch, {"line": line.pk, "claim": line.claim_id, "reason": reason}
    )
    return line
