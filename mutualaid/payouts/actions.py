"""Writes of a payout batch up to the bank: gathered, lines taken out, approved, exported (which pays it), each in
one transaction and audited.

Every step on a batch locks the batch row first (SELECT … FOR UPDATE), then its lines and claims in id order, so
two people exporting or marking the same batch at once are served one after the other and the second sees the
first's result: a claim is never paid twice (and a partial unique index keeps one live line per claim).

Ledger: a claim's approval already posted Dr expense:subsidies / Cr payable:subsidies. Exporting a batch to the
bank pays it: Dr payable / Cr bank, one entry per scheme year (the firm's fee from payable:service_fees alike). A
line the bank returns reverses its part (Dr bank / Cr payable) and its claim goes back to the next batch.

The bank's answer and reversals are in ``bank_return``, fraud recovery in ``recoveries``, the monthly bank
statement in ``reconciliation``; what they share with these steps is in ``steps``.
"""

from __future__ import annotations

from datetime import date

from django.apps import apps
from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from mutualaid.claims import selectors as claim_selectors
from mutualaid.claims.models import Claim, ClaimState
from mutualaid.enrolment.models import Member
from mutualaid.funds import ledger
from mutualaid.funds.actions import service_fee_from_fund
from mutualaid.funds.chart import BANK, PAYABLE_SERVICE_FEES, PAYABLE_SUBSIDIES
from mutualaid.funds.models import EntryKind, JournalLine
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

ADVISORY_KEY = 716_016  # pg_advisory_xact_lock(key, hash of the town's schema): one batch creation at a time


def _refresh_totals(batch: PayoutBatch) -> None:
    totals = batch.lines.exclude(state=LineState.REMOVED).aggregate(
        total=Sum("amount_fen"), count=Count("id")
    )
    batch.total_fen = totals["total"] or 0
    batch.line_count = totals["count"] or 0


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
    actor_id, username = steps.who(actor)
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
    reason = steps.reason_text(reason)
    batch = steps.locked_batch(line.batch_id)
    steps.require_batch_state(batch, (BatchState.PREPARED,), "移出明细（审批后请冲销）")
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
    line.resolved_by_username = steps.who(actor)[1]
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
    batch = steps.locked_batch(batch)
    steps.require_batch_state(batch, (BatchState.PREPARED,), "审批")
    actor_id, username = steps.who(actor)
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
    batch = steps.locked_batch(batch)
    if batch.state == BatchState.PREPARED:
        raise invalid("batch", "批次尚未审批，不能导出银行代发文件", Code.NOT_APPROVED)
    first = batch.state == BatchState.APPROVED
    if first:
        _pay(batch, actor)
    batch.export_count += 1
    batch.exported_by_username = steps.who(actor)[1]
    batch.save(update_fields=["export_count", "exported_by_username"])
    content = exports.bank_file(batch, fmt)
    record_event(
        actor,
        "payouts.bank_file_exported",
        batch,
        {"format": fmt, "first": first, "count": batch.export_count, "total_fen": batch.total_fen},
    )
    return batch, content


def _pay(batch: PayoutBatch, actor) -> None:
    rows = list(batch.lines.filter(state=LineState.PENDING).values_list("scheme_year", "kind", "amount_fen"))
    sums = steps.sums_by_year(rows)
    today = claim_selectors.today()
    for scheme_year in sorted({y for y, _ in sums}):
        subsidies = sums.get((scheme_year, LineKind.SUBSIDY), 0)
        fees = sums.get((scheme_year, LineKind.SERVICE_FEE), 0)
        total = subsidies + fees
        year = steps.open_year(scheme_year, "batch", "不能发放")
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
            entry_date=steps.clamped(today, scheme_year),
            actor=actor,
            memo=f"{batch.month:%Y年%m月}补助发放（银行代发）",
            reference=f"payout:{batch.reference}",
            method="bank_transfer",
            audit={"batch": batch.pk},
        )
        steps.record_posting(batch, PostingKind.PAYMENT, scheme_year, entry, total)
    # The firm's fee is transferred with the batch (not a line of the members' transfer sheet): paid now.
    batch.lines.filter(kind=LineKind.SERVICE_FEE, state=LineState.PENDING).update(
        state=LineState.PAID, resolved_at=claim_selectors.now(), resolved_by_username=steps.who(actor)[1]
    )
    batch.state = BatchState.EXPORTED
    batch.exported_at = claim_selectors.now()
    batch.paid_on = today
    batch.save(update_fields=["state", "exported_at", "paid_on"])


# --- printouts (audited) --------------------------------------------------------------------------------------------


def record_printout(batch: PayoutBatch, *, kind: str, fmt: str, actor) -> None:
    record_event(actor, "payouts.printout", batch, {"kind": kind, "format": fmt})


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
