"""Recovery of a subsidy got by fraud (骗取补助) as a receivable in the ledger (``funds.postings``' recovery
postings, referenced ``recovery:<id>``): marking the paid claim recovered books Dr member_receivable /
Cr expense:subsidies, each repayment Dr bank / Cr member_receivable, an approved write-off
Dr expense:recovery_write_offs / Cr member_receivable. The recovery row's outstanding amount and the receivable's
balance for it move in the same transaction (``recovery_consistency``)."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum

from mutualaid.claims import selectors as claim_selectors
from mutualaid.claims.actions import lock_member_year
from mutualaid.claims.models import Claim, ClaimState, MemberYearTotal
from mutualaid.enrolment.models import Member
from mutualaid.funds import ledger, postings
from mutualaid.funds.chart import MEMBER_RECEIVABLE
from mutualaid.funds.models import EntryKind, JournalLine
from mutualaid.payouts import claim_states, steps
from mutualaid.payouts.error_codes import PayoutErrorCode as Code
from mutualaid.payouts.models import (
    Recovery,
    RecoveryState,
    Repayment,
    TownNotice,
)
from mutualaid.payouts.rules import invalid
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.crypto import mask_name
from mutualaid.platform.money import MAX_FEN, fen_to_yuan

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
    actor_id, _ = steps.who(actor)
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
        created_by_id=steps.who(actor)[0],
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
    reason = steps.reason_text(reason)
    recovery = Recovery.objects.select_for_update().get(pk=recovery.pk)
    if recovery.state != RecoveryState.OPEN:
        raise invalid("recovery", "只有追缴中的款项可以申请核销", Code.WRONG_STATE)
    recovery.state = RecoveryState.WRITE_OFF_REQUESTED
    recovery.write_off_reason = reason
    recovery.write_off_requested_by_id = steps.who(actor)[0]
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
    actor_id = steps.who(actor)[0]
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
