"""Writes of the payouts domain, each in one transaction and audited.

Every step on a batch locks the batch row first (SELECT … FOR UPDATE), then its lines and claims in id order, so
two people exporting or marking the same batch at once are served one after the other and the second sees the
first's result: a claim is never paid twice (and a partial unique index keeps one live line per claim).

Ledger: a claim's approval already posted Dr expense:subsidies / Cr payable:subsidies. Exporting a batch to the
bank pays it: Dr payable / Cr bank, one entry per scheme year (the firm's fee from payable:service_fees alike). A
line the bank returns reverses its part (Dr bank / Cr payable) and its claim goes back to the next batch.

Recovery of fraud is a receivable in the ledger (``funds.postings``' recovery postings, referenced
``recovery:<id>``): marking the paid claim recovered books Dr member_receivable / Cr expense:subsidies, each
repayment Dr bank / Cr member_receivable, an approved write-off Dr expense:recovery_write_offs /
Cr member_receivable. The recovery row's outstanding amount and the receivable's balance for it move in the same
transaction (``recovery_consistency``).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Q, Sum

from mutualaid.claims import selectors as claim_selectors
from mutualaid.claims.actions import lock_member_year
from mutualaid.claims.models import Claim, ClaimState, MemberYearTotal, SmsNotice
from mutualaid.claims.tasks import send_decision_sms_many
from mutualaid.enrolment.models import Member
from mutualaid.funds import ledger, postings
from mutualaid.funds.actions import service_fee_from_fund
from mutualaid.funds.chart import BANK, MEMBER_RECEIVABLE, PAYABLE_SERVICE_FEES, PAYABLE_SUBSIDIES
from mutualaid.funds.models import EntryKind, JournalLine
from mutualaid.funds.rules import posting_window
from mutualaid.payouts import claim_states, rules
from mutualaid.payouts.error_codes import PayoutErrorCode as Code
from mutualaid.payouts.models import (
    BatchPosting,
    BatchState,
    LineKind,
    LineState,
    PayoutBatch,
    PayoutLine,
    PostingKind,
    Reconciliation,
    Recovery,
    RecoveryState,
    Repayment,
    TownNotice,
)
from mutualaid.payouts.rules import invalid
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.crypto import mask_name
from mutualaid.platform.money import MAX_FEN, fen_to_yuan

ADVISORY_KEY = 716_016  # pg_advisory_xact_lock(key, hash of the town's schema): one batch creation at a time


def _who(actor) -> tuple[int | None, str]:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.pk, actor.get_username()
    return None, ""


def _locked_batch(batch: PayoutBatch | int) -> PayoutBatch:
    pk = batch if isinstance(batch, int) else batch.pk
    return PayoutBatch.objects.select_for_update().get(pk=pk)


def _require_batch_state(batch: PayoutBatch, allowed: tuple, action: str, code: Code = Code.WRONG_STATE):
    if batch.state not in allowed:
        raise invalid("batch", f"批次当前状态为“{batch.get_state_display()}”，不能{action}", code)


def _refresh_totals(batch: PayoutBatch) -> None:
    totals = batch.lines.exclude(state=LineState.REMOVED).aggregate(
        total=Sum("amount_fen"), count=Count("id")
    )
    batch.total_fen = totals["total"] or 0
    batch.line_count = totals["count"] or 0


def _clamped(on: date, scheme_year: int) -> date:
    start, end = posting_window(scheme_year)
    return min(max(on, start), end)


def _reason(value: str, field: str = "reason") -> str:
    text = (value or "").strip()
    if not text:
        raise invalid(field, "请填写原因", Code.REASON_REQUIRED)
    if len(text) > 200:
        raise invalid(field, "原因过长（不超过 200 字）", Code.INVALID)
    return text


# --- gathering ----------------------------------------------------------------------------------------------------


def due_month(today: date | None = None) -> date:
    return rules.month_start(today or claim_selectors.today())


@transaction.atomic
def gather_batch(month: date | None = None, *, actor) -> tuple[PayoutBatch, bool]:
    """The batch of ``month`` (default: this month): every approved, unpaid claim approved up to the end of the
    previous month (claims the bank returned are approved again, with their reason carried), and the service
    firm's fee owed. Idempotent: a month's batch is made once; asking again returns it. Returns (batch, created)."""
    today = claim_selectors.today()
    month = rules.month_start(month or today)
    if month > rules.month_start(today):
        raise invalid("month", "不能为未来月份编制发放批次", Code.INVALID_MONTH)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", [ADVISORY_KEY])
    existing = PayoutBatch.objects.filter(month=month).first()
    if existing is not None:
        return existing, False
    period_end = rules.previous_month_end(month)
    actor_id, username = _who(actor)
    batch = PayoutBatch.objects.create(
        month=month,
        period_end=period_end,
        prepared_by_id=actor_id,
        prepared_by_username=username,
        prepared_at=claim_selectors.now(),
    )
    ids = list(
        Claim.objects.filter(
            state=ClaimState.APPROVED, decided_at__date__lte=period_end, amount_fen__gt=0
        ).values_list("pk", flat=True)
    )
    if apps.is_installed("mutualaid.disclosure"):  # held while an objection to their disclosure is open
        held = apps.get_app_config("disclosure").held_claim_ids()  # type: ignore[attr-defined]
        ids = [pk for pk in ids if pk not in held]
    claims = claim_states.lock_claims(ids, ClaimState.APPROVED) if ids else []
    members = {
        m["pk"]: m
        for m in Member.objects.filter(pk__in={c.member_id for c in claims}).values(
            "pk", "name", "id_masked", "household__village__name"
        )
    }
    carried = dict(
        PayoutLine.objects.filter(claim_id__in=ids, state=LineState.RETURNED)
        .order_by("claim_id", "-id")
        .distinct("claim_id")
        .values_list("claim_id", "return_reason")
    )
    lines = [
        PayoutLine(
            batch=batch,
            kind=LineKind.SUBSIDY,
            claim_id=c.pk,
            member_id=c.member_id,
            scheme_year=c.scheme_year,
            village_code=c.village_code,
            village_name=members[c.member_id]["household__village__name"],
            payee_name=members[c.member_id]["name"],
            id_masked=members[c.member_id]["id_masked"],
            drg_code=c.drg_code,
            bank_name=c.bank_name,
            bank_card_encrypted=c.bank_card_encrypted,
            bank_card_masked=c.bank_card_masked,
            amount_fen=c.amount_fen or 0,
            carried_reason=carried.get(c.pk, "")[:200],
        )
        for c in claims
    ]
    lines += _service_fee_lines(batch)
    PayoutLine.objects.bulk_create(lines, batch_size=2000)
    claim_states.move(
        [c.pk for c in claims],
        from_state=ClaimState.APPROVED,
        to_state=ClaimState.IN_BATCH,
        action="batched",
        actor=actor,
        data={"batch": batch.reference},
    )
    _refresh_totals(batch)
    batch.save(update_fields=["total_fen", "line_count"])
    record_event(
        actor,
        "payouts.batch_prepared",
        batch,
        {"month": batch.reference, "lines": batch.line_count, "total_fen": batch.total_fen},
    )
    return batch, True


def _service_fee_lines(batch: PayoutBatch) -> list[PayoutLine]:
    """The service firm's fee owed (payable:service_fees of each open year, less what other batches carry), for
    the scheme years whose policy pays the fee from the fund (``service_fee_from_fund``); where the town's budget
    pays the firm the fee is not a fund outflow and the batch leaves it out."""
    from mutualaid.tenants.models import ServiceFirm

    tenant = getattr(connection, "tenant", None)
    firm = ServiceFirm.objects.filter(towns__code=getattr(tenant, "code", "")).order_by("pk").first()
    payee = firm.name if firm else "第三方专业服务机构"
    owed = (
        JournalLine.objects.filter(account__key=PAYABLE_SERVICE_FEES)
        .values("scheme_year")
        .annotate(
            credit=Sum("amount_fen", filter=Q(side="credit")),
            debit=Sum("amount_fen", filter=Q(side="debit")),
        )
    )
    pending = dict(
        PayoutLine.objects.filter(
            kind=LineKind.SERVICE_FEE,
            state=LineState.PENDING,
            batch__state__in=[BatchState.PREPARED, BatchState.APPROVED],
        )
        .values("scheme_year")
        .annotate(total=Sum("amount_fen"))
        .values_list("scheme_year", "total")
    )
    lines = []
    for row in owed:
        amount = (row["credit"] or 0) - (row["debit"] or 0) - pending.get(row["scheme_year"], 0)
        if amount > 0 and service_fee_from_fund(row["scheme_year"], batch.period_end):
            lines.append(
                PayoutLine(
                    batch=batch,
                    kind=LineKind.SERVICE_FEE,
                    scheme_year=row["scheme_year"],
                    payee_name=payee[:100],
                    amount_fen=amount,
                )
            )
    return lines


# --- before approval ----------------------------------------------------------------------------------------------


@transaction.atomic
def remove_line(line: PayoutLine, *, reason: str, actor) -> PayoutLine:
    """Take a line out of a batch that is not approved yet; its claim is approved again (next batch)."""
    reason = _reason(reason)
    batch = _locked_batch(line.batch_id)
    _require_batch_state(batch, (BatchState.PREPARED,), "移出明细（审批后请冲销）")
    line = PayoutLine.objects.select_for_update().get(pk=line.pk)
    if line.state != LineState.PENDING:
        raise invalid("line", "该明细已移出", Code.WRONG_STATE)
    if line.claim_id:
        claim_states.lock_claims([line.claim_id], ClaimState.IN_BATCH)
        claim_states.move(
            [line.claim_id],
            from_state=ClaimState.IN_BATCH,
            to_state=ClaimState.APPROVED,
            action="unbatched",
            actor=actor,
            reasons={line.claim_id: reason},
            data={"batch": batch.reference},
        )
    line.state = LineState.REMOVED
    line.removed_reason = reason
    line.resolved_at = claim_selectors.now()
    line.resolved_by_username = _who(actor)[1]
    line.save(update_fields=["state", "removed_reason", "resolved_at", "resolved_by_username"])
    _refresh_totals(batch)
    batch.save(update_fields=["total_fen", "line_count"])
    record_event(
        actor, "payouts.line_removed", batch, {"line": line.pk, "claim": line.claim_id, "reason": reason}
    )
    return line


@transaction.atomic
def approve_batch(batch: PayoutBatch, *, actor) -> PayoutBatch:
    """Town finance approves the printed lists; never the person who prepared the batch."""
    batch = _locked_batch(batch)
    _require_batch_state(batch, (BatchState.PREPARED,), "审批")
    actor_id, username = _who(actor)
    if actor_id is None or actor_id == batch.prepared_by_id:
        raise invalid("batch", "编制人不能审批自己编制的发放批次", Code.SAME_PERSON)
    if batch.line_count == 0:
        raise invalid("batch", "批次中没有待发放的明细", Code.EMPTY_BATCH)
    batch.state = BatchState.APPROVED
    batch.approved_by_id = actor_id
    batch.approved_by_username = username
    batch.approved_at = claim_selectors.now()
    batch.save(update_fields=["state", "approved_by_id", "approved_by_username", "approved_at"])
    record_event(
        actor, "payouts.batch_approved", batch, {"total_fen": batch.total_fen, "lines": batch.line_count}
    )
    return batch


# --- export: the bank file pays the batch -----------------------------------------------------------------------


@transaction.atomic
def export_batch(batch: PayoutBatch, *, fmt: str, actor) -> tuple[PayoutBatch, bytes]:
    """The bank transfer file (代发) of an approved batch, as ``xlsx`` or ``csv``. The first export pays the
    batch in the ledger (Dr payable / Cr bank per scheme year); later ones only write the file again. Every
    export is audited."""
    from mutualaid.payouts import exports

    if fmt not in ("xlsx", "csv"):
        raise invalid("format", "文件格式应为 xlsx 或 csv", Code.INVALID)
    batch = _locked_batch(batch)
    if batch.state == BatchState.PREPARED:
        raise invalid("batch", "批次尚未审批，不能导出银行代发文件", Code.NOT_APPROVED)
    first = batch.state == BatchState.APPROVED
    if first:
        _pay(batch, actor)
    batch.export_count += 1
    batch.exported_by_username = _who(actor)[1]
    batch.save(update_fields=["export_count", "exported_by_username"])
    content = exports.bank_file(batch, fmt)
    record_event(
        actor,
        "payouts.bank_file_exported",
        batch,
        {"format": fmt, "first": first, "count": batch.export_count, "total_fen": batch.total_fen},
    )
    return batch, content


def _sums_by_year(lines) -> dict[tuple[int, str], int]:
    sums: dict[tuple[int, str], int] = defaultdict(int)
    for scheme_year, kind, amount in lines:
        sums[(scheme_year, kind)] += amount
    return sums


def _pay(batch: PayoutBatch, actor) -> None:
    rows = list(batch.lines.filter(state=LineState.PENDING).values_list("scheme_year", "kind", "amount_fen"))
    sums = _sums_by_year(rows)
    today = claim_selectors.today()
    for scheme_year in sorted({y for y, _ in sums}):
        subsidies = sums.get((scheme_year, LineKind.SUBSIDY), 0)
        fees = sums.get((scheme_year, LineKind.SERVICE_FEE), 0)
        total = subsidies + fees
        year = ledger.lock_year(scheme_year)
        try:
            ledger.require_open(year)
        except ValidationError as exc:
            raise invalid("batch", f"{scheme_year}互助年度已结账，不能发放", Code.LEDGER) from exc
        if subsidies and ledger.balance_of(scheme_year, PAYABLE_SUBSIDIES) < subsidies:
            raise invalid("batch", f"{scheme_year}年度应付补助余额不足", Code.LEDGER)
        if fees and ledger.balance_of(scheme_year, PAYABLE_SERVICE_FEES) < fees:
            raise invalid("batch", f"{scheme_year}年度应付服务费余额不足", Code.LEDGER)
        held = ledger.balance_of(scheme_year, BANK)
        if held < total:
            raise invalid(
                "batch",
                f"{scheme_year}年度互助资金专户余额 {fen_to_yuan(held)} 元，不足以发放 {fen_to_yuan(total)} 元",
                Code.INSUFFICIENT_FUNDS,
            )
        lines = []
        if subsidies:
            lines.append(ledger.debit(PAYABLE_SUBSIDIES, subsidies))
        if fees:
            lines.append(ledger.debit(PAYABLE_SERVICE_FEES, fees))
        lines.append(ledger.credit(BANK, total))
        entry = ledger.post(
            year,
            EntryKind.PAYMENT,
            lines,
            entry_date=_clamped(today, scheme_year),
            actor=actor,
            memo=f"{batch.month:%Y年%m月}补助发放（银行代发）",
            reference=f"payout:{batch.reference}",
            method="bank_transfer",
            audit={"batch": batch.pk},
        )
        BatchPosting.objects.create(
            batch=batch,
            kind=PostingKind.PAYMENT,
            scheme_year=scheme_year,
            entry_id=entry.pk,
            voucher=entry.voucher,
            amount_fen=total,
        )
    # The firm's fee is transferred with the batch (not a line of the members' transfer sheet): paid now.
    batch.lines.filter(kind=LineKind.SERVICE_FEE, state=LineState.PENDING).update(
        state=LineState.PAID, resolved_at=claim_selectors.now(), resolved_by_username=_who(actor)[1]
    )
    batch.state = BatchState.EXPORTED
    batch.exported_at = claim_selectors.now()
    batch.paid_on = today
    batch.save(update_fields=["state", "exported_at", "paid_on"])


# --- the bank's return ----------------------------------------------------------------------------------------------


@transaction.atomic
def import_return(batch: PayoutBatch, content: bytes, *, file_name: str, actor) -> PayoutBatch:
    """Read the bank's result file (csv or xlsx) and record it: every line named must be a pending line of this
    batch, once, with its amount; any error refuses the whole file."""
    batch = _locked_batch(batch)
    _require_batch_state(batch, (BatchState.EXPORTED,), "登记银行回盘")
    rows = rules.parse_return(rules.read_table(content, file_name), batch.month)
    results = [(r.line_id, r.paid, r.reason, r.amount_fen, r.name) for r in rows]
    return _record(batch, results, actor=actor, source=file_name[:100] or "file")


@transaction.atomic
def mark_lines(batch: PayoutBatch, results: list[tuple[int, bool, str]], *, actor) -> PayoutBatch:
    """Mark lines by hand: (line id, paid?, reason when returned)."""
    batch = _locked_batch(batch)
    _require_batch_state(batch, (BatchState.EXPORTED,), "登记发放结果")
    checked = []
    for line_id, paid, reason in results:
        checked.append((line_id, paid, "" if paid else _reason(reason), None, None))
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
    username = _who(actor)[1]
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
    sums = _sums_by_year([(line.scheme_year, line.kind, line.amount_fen) for line in lines])
    today = claim_selectors.today()
    for scheme_year in sorted({y for y, _ in sums}):
        subsidies = sums.get((scheme_year, LineKind.SUBSIDY), 0)
        fees = sums.get((scheme_year, LineKind.SERVICE_FEE), 0)
        year = ledger.lock_year(scheme_year)
        try:
            ledger.require_open(year)
        except ValidationError as exc:
            raise invalid("lines", f"{scheme_year}互助年度已结账，不能登记退回", Code.LEDGER) from exc
        entry_lines = [ledger.debit(BANK, subsidies + fees)]
        if subsidies:
            entry_lines.append(ledger.credit(PAYABLE_SUBSIDIES, subsidies))
        if fees:
            entry_lines.append(ledger.credit(PAYABLE_SERVICE_FEES, fees))
        entry = ledger.post(
            year,
            EntryKind.REVERSAL,
            entry_lines,
            entry_date=_clamped(today, scheme_year),
            actor=actor,
            memo=f"{batch.month:%Y年%m月}补助发放{why}（{len(lines)} 笔）",
            reference=f"payout:{batch.reference}",
            reason=why,
            audit={"batch": batch.pk, "lines": [line.pk for line in lines][:100]},
        )
        BatchPosting.objects.create(
            batch=batch,
            kind=kind,
            scheme_year=scheme_year,
            entry_id=entry.pk,
            voucher=entry.voucher,
            amount_fen=subsidies + fees,
        )


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
    reason = _reason(reason)
    batch = _locked_batch(line.batch_id)
    line = PayoutLine.objects.select_for_update().get(pk=line.pk)
    if line.state != LineState.PAID:
        raise invalid("line", "只有已到账的明细可以冲销", Code.WRONG_STATE)
    if line.claim_id:
        claim_states.lock_claims([line.claim_id], ClaimState.PAID)
    line.state = LineState.REVERSED
    line.return_reason = reason
    line.resolved_at = claim_selectors.now()
    line.resolved_by_username = _who(actor)[1]
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


# --- printouts (audited) --------------------------------------------------------------------------------------------


def record_printout(batch: PayoutBatch, *, kind: str, fmt: str, actor) -> None:
    record_event(actor, "payouts.printout", batch, {"kind": kind, "format": fmt})


# --- recovery of fraud (骗取补助) ------------------------------------------------------------------------------------


@transaction.atomic
def recover_claim(claim: Claim, *, finding: str, actor) -> Recovery:
    """The town admin marks a paid claim as got by fraud: the subsidy becomes a receivable from the member, the
    member's yearly total no longer counts it, and a town-wide notice (通报) is published."""
    finding = (finding or "").strip()
    if not finding:
        raise invalid("finding", "请填写查实情况", Code.REASON_REQUIRED)
    if len(finding) > 2000:
        raise invalid("finding", "查实情况过长（不超过 2000 字）", Code.INVALID)
    year_total = lock_member_year(claim.member_id, claim.scheme_year)
    claims = list(Claim.objects.select_for_update(of=("self",)).filter(pk=claim.pk))
    if not claims or claims[0].state != ClaimState.PAID:
        if claims and claims[0].state == ClaimState.RECOVERED:
            raise invalid("claim", "该补助已追回", Code.ALREADY_RECOVERED)
        raise invalid("claim", "只有已发放的补助可以追回", Code.WRONG_STATE)
    claim = claims[0]
    amount = claim.amount_fen or 0
    MemberYearTotal.objects.filter(pk=year_total.pk).update(
        approved_fen=F("approved_fen") - amount, approved_count=F("approved_count") - 1
    )
    claim_states.move(
        [claim.pk],
        from_state=ClaimState.PAID,
        to_state=ClaimState.RECOVERED,
        action="recovered",
        actor=actor,
        reasons={claim.pk: finding[:1000]},
        data={"amount_fen": amount},
    )
    actor_id, _ = _who(actor)
    recovery = Recovery.objects.create(
        claim_id=claim.pk,
        member_id=claim.member_id,
        scheme_year=claim.scheme_year,
        village_code=claim.village_code,
        amount_fen=amount,
        finding=finding,
        created_by_id=actor_id,
    )
    if amount > 0:
        entry = _ledger_step(
            postings.book_recovery,
            recovery,
            amount_fen=amount,
            on=claim_selectors.today(),
            memo=f"追回骗取的互助补助（申请 {claim.pk}），确认应收个人退回补助",
            actor=actor,
        )
        recovery.entry_id, recovery.voucher = entry.pk, entry.voucher
        recovery.save(update_fields=["entry_id", "voucher"])
    else:  # nothing was paid: nothing is owed
        recovery.state, recovery.closed_at = RecoveryState.SETTLED, claim_selectors.now()
        recovery.save(update_fields=["state", "closed_at"])
    member = Member.objects.select_related("household__village").get(pk=claim.member_id)
    TownNotice.objects.create(
        kind="fraud_recovery",
        title=f"关于追回{member.household.village.name}{mask_name(member.name)}骗取互助补助的通报",
        body=(
            f"经查实，{member.household.village.name}{mask_name(member.name)}于 {claim.admission_date:%Y年%m月%d日} "
            f"住院申请的互助补助 {fen_to_yuan(amount)} 元系骗取所得：{finding[:500]}。"
            "现予以追回并通报全镇。请广大参加成员如实申请，共同维护互助资金安全。"
        ),
        recovery=recovery,
        published_at=claim_selectors.now(),
        created_by_id=actor_id,
    )
    record_event(
        actor,
        "payouts.claim_recovered",
        recovery,
        {"claim": claim.pk, "amount_fen": amount, "voucher": recovery.voucher},
    )
    return recovery


def _ledger_step(post, recovery: Recovery, *, amount_fen: int, on: date, actor, **extra):
    """One of ``funds.postings``' recovery postings for ``recovery``, its ledger refusals as payouts errors."""
    try:
        return post(
            recovery.scheme_year,
            amount_fen=amount_fen,
            reference=recovery.reference,
            on=on,
            actor=actor,
            **extra,
        )
    except ValidationError as exc:
        raise invalid("recovery", f"记账失败：{'；'.join(exc.messages)}", Code.LEDGER) from exc


@transaction.atomic
def record_repayment(recovery: Recovery, *, amount_fen: int, paid_on: date, actor) -> Recovery:
    """Money repaid by the member into the fund's bank account: Dr bank / Cr member_receivable (the expense was
    reduced when the claim was marked recovered)."""
    recovery = Recovery.objects.select_for_update().get(pk=recovery.pk)
    if recovery.state not in (RecoveryState.OPEN, RecoveryState.WRITE_OFF_REQUESTED):
        raise invalid("recovery", "该追回已结清或核销", Code.WRONG_STATE)
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or not 0 < amount_fen <= MAX_FEN:
        raise invalid("amount", "金额应大于零", Code.INVALID_AMOUNT)
    if amount_fen > recovery.outstanding_fen:
        raise invalid(
            "amount", f"超过尚未追回的 {fen_to_yuan(recovery.outstanding_fen)} 元", Code.EXCEEDS_BALANCE
        )
    if not isinstance(paid_on, date) or paid_on > claim_selectors.today():
        raise invalid("paid_on", "日期不正确", Code.INVALID)
    entry = _ledger_step(
        postings.receive_recovery,
        recovery,
        amount_fen=amount_fen,
        on=paid_on,
        memo=f"收到退回的骗取补助（申请 {recovery.claim_id}）",
        actor=actor,
    )
    Repayment.objects.create(
        recovery=recovery,
        amount_fen=amount_fen,
        paid_on=paid_on,
        entry_id=entry.pk,
        voucher=entry.voucher,
        created_by_id=_who(actor)[0],
    )
    recovery.repaid_fen += amount_fen
    if recovery.outstanding_fen == 0:
        recovery.state = RecoveryState.SETTLED
        recovery.closed_at = claim_selectors.now()
    recovery.save(update_fields=["repaid_fen", "state", "closed_at"])
    record_event(
        actor, "payouts.recovery_repaid", recovery, {"amount_fen": amount_fen, "voucher": entry.voucher}
    )
    return recovery


@transaction.atomic
def request_write_off(recovery: Recovery, *, reason: str, actor) -> Recovery:
    reason = _reason(reason)
    recovery = Recovery.objects.select_for_update().get(pk=recovery.pk)
    if recovery.state != RecoveryState.OPEN:
        raise invalid("recovery", "只有追缴中的款项可以申请核销", Code.WRONG_STATE)
    recovery.state = RecoveryState.WRITE_OFF_REQUESTED
    recovery.write_off_reason = reason
    recovery.write_off_requested_by_id = _who(actor)[0]
    recovery.save(update_fields=["state", "write_off_reason", "write_off_requested_by_id"])
    record_event(actor, "payouts.write_off_requested", recovery, {"reason": reason})
    return recovery


@transaction.atomic
def approve_write_off(recovery: Recovery, *, actor) -> Recovery:
    """Finance approves writing the rest off (never the person who asked): Dr expense:recovery_write_offs /
    Cr member_receivable for what is still owed (a loss of the fund, not a subsidy: the member's yearly total
    stays restored)."""
    recovery = Recovery.objects.select_for_update().get(pk=recovery.pk)
    if recovery.state != RecoveryState.WRITE_OFF_REQUESTED:
        raise invalid("recovery", "没有待审批的核销申请", Code.WRONG_STATE)
    actor_id = _who(actor)[0]
    if actor_id is None or actor_id == recovery.write_off_requested_by_id:
        raise invalid("recovery", "申请人不能审批自己的核销申请", Code.SAME_PERSON)
    amount = recovery.outstanding_fen
    if amount > 0:
        entry = _ledger_step(
            postings.write_off_recovery,
            recovery,
            amount_fen=amount,
            on=claim_selectors.today(),
            reason=recovery.write_off_reason,
            memo=f"核销无法追回的骗取补助（申请 {recovery.claim_id}）：{recovery.write_off_reason}",
            actor=actor,
        )
        recovery.write_off_entry_id, recovery.write_off_voucher = entry.pk, entry.voucher
    recovery.written_off_fen = amount
    recovery.write_off_approved_by_id = actor_id
    recovery.state = RecoveryState.WRITTEN_OFF
    recovery.closed_at = claim_selectors.now()
    recovery.save(
        update_fields=[
            "written_off_fen",
            "write_off_approved_by_id",
            "write_off_entry_id",
            "write_off_voucher",
            "state",
            "closed_at",
        ]
    )
    record_event(
        actor,
        "payouts.write_off_approved",
        recovery,
        {
            "written_off_fen": amount,
            "voucher": recovery.write_off_voucher,
            "requested_by": recovery.write_off_requested_by_id,
            "reason": recovery.write_off_reason,
        },
    )
    return recovery


@transaction.atomic
def book_unbooked_recoveries(*, actor) -> int:
    """Recoveries marked before the receivable was in the ledger (no ``entry_id``): book what they still owe as
    the receivable (Dr member_receivable / Cr expense:subsidies; what they were repaid already went Dr bank /
    Cr expense:subsidies then), so their outstanding amount equals the receivable from now on. Idempotent;
    returns how many were booked."""
    booked = 0
    for recovery in Recovery.objects.select_for_update().filter(entry_id__isnull=True).order_by("pk"):
        if recovery.outstanding_fen <= 0 or recovery.state not in (
            RecoveryState.OPEN,
            RecoveryState.WRITE_OFF_REQUESTED,
        ):
            continue
        entry = _ledger_step(
            postings.book_recovery,
            recovery,
            amount_fen=recovery.outstanding_fen,
            on=claim_selectors.today(),
            memo=f"补记应收个人退回补助（申请 {recovery.claim_id}，追回时尚未记应收）",
            actor=actor,
        )
        recovery.entry_id, recovery.voucher = entry.pk, entry.voucher
        recovery.save(update_fields=["entry_id", "voucher"])
        record_event(
            actor,
            "payouts.recovery_receivable_booked",
            recovery,
            {"outstanding_fen": recovery.outstanding_fen, "voucher": entry.voucher},
        )
        booked += 1
    return booked


def recovery_consistency(recovery: Recovery) -> dict[str, int]:
    """The recovery's outstanding amount and the ledger's receivable for it (equal, always), and the ledger's
    repayments and write-off for it (equal to the row's)."""
    lines = (
        JournalLine.objects.filter(account__key=MEMBER_RECEIVABLE, entry__reference=recovery.reference)
        .values("entry__kind")
        .annotate(total=Sum("amount_fen"))
    )
    by_kind = {row["entry__kind"]: row["total"] for row in lines}
    return {
        "outstanding_fen": recovery.outstanding_fen,
        "receivable_fen": ledger.reference_balance(MEMBER_RECEIVABLE, recovery.reference),
        "booked_fen": by_kind.get(EntryKind.SUBSIDY_RECOVERY, 0),
        "amount_fen": recovery.amount_fen,
        "repaid_fen": recovery.repaid_fen,
        "ledger_repaid_fen": by_kind.get(EntryKind.RECOVERY_REPAYMENT, 0),
        "written_off_fen": recovery.written_off_fen,
        "ledger_written_off_fen": by_kind.get(EntryKind.RECOVERY_WRITE_OFF, 0),
    }


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
            "reconciled_by_id": _who(actor)[0],
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


def batch_consistency(batch: PayoutBatch) -> dict[str, int]:
    """The batch's totals, its lines and its ledger postings (the invariants a test and the demo check)."""
    lines = batch.lines.exclude(state=LineState.REMOVED)
    live = lines.aggregate(total=Sum("amount_fen"))["total"] or 0
    paid_out = sum(p.amount_fen for p in batch.postings.filter(kind=PostingKind.PAYMENT))
    back = sum(p.amount_fen for p in batch.postings.exclude(kind=PostingKind.PAYMENT))
    not_paid = (
        lines.filter(state__in=[LineState.RETURNED, LineState.REVERSED]).aggregate(t=Sum("amount_fen"))["t"]
        or 0
    )
    return {"total_fen": batch.total_fen, "lines_fen": live, "paid_out_fen": paid_out, "back_fen": back,
            "not_paid_fen": not_paid}  # fmt: skip


@transaction.atomic
def book_statement_line(month: date, row: int, *, scheme_year: int, reason: str, actor) -> Reconciliation:
    """Book a bank line the ledger does not know from the statement, with a reason: money in the bank paid (the
    account's interest) is posted Dr bank / Cr income:interest; money out must be booked in the fund ledger as
    what it is. The line then counts as matched and the month's difference is worked out again."""
    from mutualaid.funds.actions import record_interest

    reason = _reason(reason)
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
