"""Reopening an approved, unpaid claim (a disclosure objection upheld): the approval's ledger entry reversed, the
member's yearly total restored, the claim back in review with a fresh due date."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F

from mutualaid.claims import selectors, transitions
from mutualaid.claims.actions import lock_member_year
from mutualaid.claims.error_codes import ClaimErrorCode as Code
from mutualaid.claims.models import (
    Claim,
    ClaimState,
    Decision,
    DecisionOutcome,
    MemberYearTotal,
)
from mutualaid.claims.stay_checks import invalid
from mutualaid.funds import ledger
from mutualaid.funds.chart import EXPENSE_SUBSIDIES, PAYABLE_SUBSIDIES
from mutualaid.funds.models import EntryKind, JournalEntry
from mutualaid.policies.selectors import policy_for_admission

# --- reopening an approved claim (a disclosure objection upheld) -------------------------------------------------------


def _approval_entry(claim: Claim) -> JournalEntry | None:
    """The ledger entry that booked the claim's current approval (its latest approving decision's, or one posted
    for this claim alone), if it can be reversed as a whole: it carries only this claim's amount and nothing
    reversed it yet. A list approval's shared voucher is not reversed as a whole (the reversal only refers to it)."""
    entry_id = (
        Decision.objects.filter(claim=claim, outcome=DecisionOutcome.APPROVED, journal_entry_id__isnull=False)
        .order_by("-decided_at", "-id")
        .values_list("journal_entry_id", flat=True)
        .first()
    )
    entries = JournalEntry.objects.filter(kind=EntryKind.EXPENSE_ACCRUAL)
    entry = (
        entries.filter(pk=entry_id).first()
        if entry_id
        else entries.filter(reference=f"claim:{claim.pk}").order_by("-pk").first()
    )
    if (
        entry is None
        or entry.total_fen != claim.amount_fen
        or JournalEntry.objects.filter(reverses=entry).exists()
    ):
        return None
    return entry


@transaction.atomic
def reopen_claim(claim: Claim, *, actor, reason: str, objection: int | None = None) -> Claim:
    """Move an approved, unpaid claim back into review (the service firm upholds an objection to its disclosure):
    its payable and expense are reversed by a reversal entry (Dr payable:subsidies / Cr expense:subsidies; the
    approval's entry is never edited), the member's yearly total no longer counts it, and it re-enters the firms'
    review queue in review with a fresh due date. The decision stays on record; the re-review decides again.

    Only an approved claim: one in a payout batch must leave the batch first (payouts' ``remove_line``, before
    the batch is approved); a paid one is not reopened but recovered (payouts' ``recover_claim``, the town admin).
    """
    reason = transitions.reason_text(reason)
    year_total = lock_member_year(claim.member_id, claim.scheme_year)  # the year first, as every approval
    claim = transitions.locked_claim(claim)
    if claim.state in (ClaimState.PAID, ClaimState.RECOVERED):
        raise invalid(
            "claim",
            "该补助已发放，不能退回重新审核；如查实系骗取补助，请镇农业服务中心办理追回",
            Code.ALREADY_PAID,
        )
    if claim.state == ClaimState.IN_BATCH:
        raise invalid(
            "claim", "该补助已列入发放批次，请先将其移出批次（批次审批前）再重新审核", Code.IN_BATCH
        )
    transitions.require_state(claim, (ClaimState.APPROVED,), "退回重新审核")
    amount = claim.amount_fen or 0
    voucher = ""
    if amount > 0:
        fund_year = ledger.lock_year(claim.scheme_year)
        try:
            ledger.require_open(fund_year)
        except ValidationError as exc:
            raise invalid(
                "claim", f"{claim.scheme_year}互助年度已结账，不能再退回重新审核", Code.LEDGER
            ) from exc
        original = _approval_entry(claim)
        entry = ledger.post(
            fund_year,
            EntryKind.REVERSAL,
            [ledger.debit(PAYABLE_SUBSIDIES, amount), ledger.credit(EXPENSE_SUBSIDIES, amount)],
            entry_date=transitions.entry_date(claim.scheme_year),
            actor=actor,
            memo=f"冲减已核准补助，重新审核（申请 {claim.pk}）",
            reference=f"claim:{claim.pk}",
            reverses=original,
            reason=f"重新审核：{reason}"[:200],
            audit={"claim": claim.pk, "objection": objection},
        )
        voucher = entry.voucher
        MemberYearTotal.objects.filter(pk=year_total.pk).update(
            approved_fen=F("approved_fen") - amount, approved_count=F("approved_count") - 1
        )
    policy = policy_for_admission(claim.admission_date)
    days = (policy.review_working_days if policy else None) or 5
    claim.state = ClaimState.IN_REVIEW
    claim.amount_fen = None
    claim.decided_at = None
    claim.due_date = selectors.add_working_days(selectors.today(), days)
    if claim.submitted_at is None:
        claim.submitted_at = selectors.now()
    claim.save(update_fields=["state", "amount_fen", "decided_at", "due_date", "submitted_at", "updated_at"])
    event = transitions.record_transition(
        claim, "reopened", actor, from_state=ClaimState.APPROVED, reason=reason,
        data={"amount_fen": amount, "voucher": voucher, "objection": objection, "due_date": str(claim.due_date)},
    )  # fmt: skip
    transitions.sync_queue(claim)
    transitions.notify(
        claim,
        event,
        f"您于 {claim.admission_date.isoformat()} 入院的互助补助申请因公示异议需重新审核，暂缓发放，审核结果将另行通知。",
    )
    return claim
