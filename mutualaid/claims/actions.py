"""The review of a claim (审核) and what follows its approval, inside a town's schema: review started, approved (one
claim, or a reviewed list at once), rejected or sent back for more documents; each refuses bad input with
``ValidationError({field: ValidationError(message, code=ClaimErrorCode value)})`` before writing anything and moves
the claim through ``transitions`` (event, audit, review queue, SMS). The application is in ``application``, the
reopening of an approved claim in ``reopening``.

Approval locks the member's year (``MemberYearTotal``, SELECT … FOR UPDATE) before it reads what was approved so
far, then the claim; so concurrent approvals for one member are judged one after another against the yearly cap,
and a claim is approved (and posted to the ledger) once.
"""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F

from mutualaid.claims import adjudication, selectors, transitions
from mutualaid.claims.error_codes import ClaimErrorCode as Code
from mutualaid.claims.models import (
    Claim,
    ClaimEvent,
    ClaimState,
    Decision,
    DecisionOutcome,
    MemberYearTotal,
    SmsNotice,
)
from mutualaid.claims.stay_checks import invalid, text_field
from mutualaid.claims.tasks import send_decision_sms_many
from mutualaid.claims_queue import api as queue
from mutualaid.funds import ledger
from mutualaid.funds.actions import pay_payable
from mutualaid.funds.chart import EXPENSE_SUBSIDIES, PAYABLE_SUBSIDIES
from mutualaid.funds.models import EntryKind
from mutualaid.platform.audit.models import AuditEvent
from mutualaid.platform.money import MAX_FEN, fen_to_yuan
from mutualaid.policies.selectors import policy_for_admission
from mutualaid.policies.values import InsuranceType

DEFAULT_DRG_VERSION = "chs-drg-1.1"


# --- review ------------------------------------------------------------------------------------------------------------


@transaction.atomic
def start_review(claim: Claim, *, actor) -> Claim:
    claim = transitions.locked_claim(claim)
    transitions.require_state(claim, (ClaimState.SUBMITTED, ClaimState.RESUBMITTED), "开始审核")
    previous = claim.state
    claim.state = ClaimState.IN_REVIEW
    policy = policy_for_admission(claim.admission_date)
    suggested = selectors.suggest_drg(
        claim, (policy.drg_catalogue_version if policy else "") or DEFAULT_DRG_VERSION
    )
    if suggested and not claim.suggested_drg_code:
        claim.suggested_drg_code = suggested
        claim.drg_code = claim.drg_code or suggested
    claim.save(update_fields=["state", "suggested_drg_code", "drg_code", "updated_at"])
    transitions.record_transition(
        claim, "review_started", actor, from_state=previous, data={"suggested_drg_code": suggested or ""}
    )
    transitions.sync_queue(claim)
    return claim


def _check_drg(code: str, claim: Claim, field: str = "drg_code") -> str:
    code = selectors.normalise_code(code)
    policy = policy_for_admission(claim.admission_date)
    version = (policy.drg_catalogue_version if policy else "") or DEFAULT_DRG_VERSION
    known = selectors.drg_known(version, code)
    if known is None:
        raise invalid(field, f"DRG 分组方案 {version} 尚未导入，无法核对病组", Code.CATALOGUE_MISSING)
    if not known:
        raise invalid(field, f"病组 {code} 不在 {version} 分组方案中", Code.UNKNOWN_DRG_CODE)
    return code


def lock_member_year(member_id: int, scheme_year: int) -> MemberYearTotal:
    """The member's year row, created if needed and locked for the rest of the transaction, in one statement
    (an upsert's update takes the row lock; concurrent ones wait for it and then see the committed total).
    Whatever changes a member's yearly total takes this lock first: approvals here, recoveries in payouts."""
    table = MemberYearTotal._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (member_id, scheme_year, approved_fen, approved_count) VALUES (%s, %s, 0, 0) "
            "ON CONFLICT (member_id, scheme_year) DO UPDATE SET member_id = EXCLUDED.member_id "
            "RETURNING id, approved_fen, approved_count",
            [member_id, scheme_year],
        )
        pk, approved_fen, approved_count = cursor.fetchone()
    return MemberYearTotal(
        pk=pk,
        member_id=member_id,
        scheme_year=scheme_year,
        approved_fen=approved_fen,
        approved_count=approved_count,
    )


def _decide(
    claim: Claim, computed: adjudication.Decision, inputs: tuple, *, outcome: str, amount_fen: int, drg_code: str,
    amount_overridden: bool, drg_overridden: bool, override_reason: str, note: str, actor, entry_id=None,
) -> Decision:  # fmt: skip
    policy, enrolled, stay, history = inputs
    return Decision.objects.create(
        claim=claim,
        outcome=outcome,
        policy_id=computed.policy_id,
        policy_version=computed.policy_version,
        scheme_year=claim.scheme_year,
        inputs=adjudication.inputs_to_json(policy, enrolled, stay, history),
        reasons=computed.to_json(),
        computed_eligible=computed.eligible,
        computed_amount_fen=computed.amount_fen,
        computed_drg_code=computed.drg_code,
        amount_fen=amount_fen,
        drg_code=drg_code,
        amount_overridden=amount_overridden,
        drg_overridden=drg_overridden,
        override_reason=override_reason,
        note=note,
        journal_entry_id=entry_id,
        decided_by_id=actor.pk if actor is not None and actor.is_authenticated else None,
        decided_at=selectors.now(),
    )


@transaction.atomic
def approve(
    claim: Claim,
    *,
    actor,
    drg_code: str | None = None,
    amount_fen: int | None = None,
    override_reason: str = "",
    note: str = "",
) -> Claim:
    """Approve with the computed amount (or the reviewer's, with a reason): post expense / payable to the ledger,
    record the decision with its inputs, and send the applicant an SMS after commit."""
    given_drg = selectors.normalise_code(drg_code) if drg_code else ""
    if given_drg:
        given_drg = _check_drg(given_drg, claim)
    if amount_fen is not None and (
        isinstance(amount_fen, bool)
        or not isinstance(amount_fen, int)
        or amount_fen <= 0
        or amount_fen > MAX_FEN
    ):
        raise invalid("amount_fen", "补助金额应为大于零的整数（分）", Code.INVALID_AMOUNT)
    # The member's year first, then the claim: the same order in every approval.
    year_total = lock_member_year(claim.member_id, claim.scheme_year)
    claim = transitions.locked_claim(claim)
    transitions.require_state(claim, (ClaimState.IN_REVIEW,), "核准")
    # The DRG the rules suggest (the grouper's, when there is one); a reviewer choosing another overrides it.
    suggested = claim.suggested_drg_code
    final_drg = given_drg or claim.drg_code or suggested
    drg_overridden = bool(suggested) and final_drg != suggested
    inputs = selectors.inputs(claim, drg_code=final_drg, approved_fen=year_total.approved_fen)
    computed = adjudication.adjudicate(*inputs)
    amount_overridden = amount_fen is not None and amount_fen != computed.amount_fen
    reason = ""
    if drg_overridden or amount_overridden:
        reason = transitions.reason_text(override_reason, "override_reason")
    if not final_drg:
        raise invalid("drg_code", "请填写 DRG 病组", Code.REQUIRED)
    hard_failures = [
        r for r in computed.reasons if not r.passed and r.code not in ("drg_quota", "yearly_cap")
    ]
    if hard_failures:
        raise invalid(
            "claim", "不符合补助条件：" + "；".join(r.message for r in hard_failures), Code.NOT_ELIGIBLE
        )
    policy = inputs[0]
    final = computed.amount_fen if amount_fen is None else amount_fen
    if final <= 0 and "yearly_cap" in computed.failed:
        raise invalid("amount_fen", "本年度累计补助已达上限，不能再补助", Code.EXCEEDS_YEARLY_CAP)
    if final <= 0:
        failed = [r.message for r in computed.reasons if not r.passed]
        raise invalid("claim", "按规则补助金额为零：" + "；".join(failed), Code.NOT_ELIGIBLE)
    if amount_overridden:
        base = claim.total_cost_fen if claim.insurance_type == InsuranceType.NONE else claim.out_of_pocket_fen
        if final > base:
            raise invalid(
                "amount_fen", f"补助不能超过个人支付金额 {fen_to_yuan(base)} 元", Code.EXCEEDS_OUT_OF_POCKET
            )
        if policy and policy.per_stay_max_fen is not None and final > policy.per_stay_max_fen:
            raise invalid(
                "amount_fen",
                f"超过单次住院最高补助 {fen_to_yuan(policy.per_stay_max_fen)} 元",
                Code.EXCEEDS_PER_STAY_MAXIMUM,
            )
    if (
        policy
        and policy.yearly_cap_fen is not None
        and year_total.approved_fen + final > policy.yearly_cap_fen
    ):
        left = max(policy.yearly_cap_fen - year_total.approved_fen, 0)
        raise invalid(
            "amount_fen",
            f"超过年度累计最高补助，本年度剩余额度 {fen_to_yuan(left)} 元",
            Code.EXCEEDS_YEARLY_CAP,
        )
    fund_year = ledger.lock_year(claim.scheme_year)
    try:
        ledger.require_open(fund_year)
    except ValidationError as exc:
        raise invalid("claim", f"{claim.scheme_year}互助年度已结账，不能再核准补助", Code.LEDGER) from exc
    entry = ledger.post(
        fund_year,
        EntryKind.EXPENSE_ACCRUAL,
        [ledger.debit(EXPENSE_SUBSIDIES, final), ledger.credit(PAYABLE_SUBSIDIES, final)],
        entry_date=transitions.entry_date(claim.scheme_year),
        actor=actor,
        memo=f"核准互助补助（申请 {claim.pk}）",
        reference=f"claim:{claim.pk}",
        audit={"claim": claim.pk},
    )
    MemberYearTotal.objects.filter(pk=year_total.pk).update(
        approved_fen=F("approved_fen") + final, approved_count=F("approved_count") + 1
    )
    decision = _decide(
        claim, computed, inputs, outcome=DecisionOutcome.APPROVED, amount_fen=final, drg_code=final_drg,
        amount_overridden=amount_overridden, drg_overridden=drg_overridden, override_reason=reason,
        note=note.strip()[:1000], actor=actor, entry_id=entry.pk,
    )  # fmt: skip
    claim.state = ClaimState.APPROVED
    claim.amount_fen = final
    claim.drg_code = final_drg
    claim.decided_at = selectors.now()
    claim.save(update_fields=["state", "amount_fen", "drg_code", "decided_at", "updated_at"])
    event = transitions.record_transition(
        claim, "approved", actor, from_state=ClaimState.IN_REVIEW, reason=reason or note.strip()[:1000],
        data={"decision": decision.pk, "amount_fen": final, "drg_code": final_drg, "voucher": entry.voucher,
              "amount_overridden": amount_overridden, "drg_overridden": drg_overridden},
    )  # fmt: skip
    transitions.sync_queue(claim)
    transitions.notify(claim, event, _approval_text(claim, final))
    return claim


def lock_member_years(pairs: list[tuple[int, int]]) -> dict[tuple[int, int], MemberYearTotal]:
    """``lock_member_year`` for many members at once, in member order (the order every approval locks in)."""
    table = MemberYearTotal._meta.db_table
    pairs = sorted(set(pairs))
    values = ", ".join(["(%s, %s, 0, 0)"] * len(pairs))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (member_id, scheme_year, approved_fen, approved_count) VALUES {values} "
            "ON CONFLICT (member_id, scheme_year) DO UPDATE SET member_id = EXCLUDED.member_id "
            "RETURNING id, member_id, scheme_year, approved_fen, approved_count",
            [v for pair in pairs for v in pair],
        )
        rows = cursor.fetchall()
    return {
        (member_id, year): MemberYearTotal(
            pk=pk, member_id=member_id, scheme_year=year, approved_fen=fen, approved_count=count
        )
        for pk, member_id, year, fen, count in rows
    }


@transaction.atomic
def approve_many(
    claims, *, actor, note: str = ""
) -> tuple[list[Claim], list[tuple[Claim, adjudication.Decision]]]:
    """A reviewer's list of claims in review, each approved with what the rules compute (its DRG as entered or
    suggested; no overrides), in one transaction: the members' years locked first, one ledger voucher for the
    list (its decisions, each linked to the entry, give the breakdown by claim), decisions, events, audit and SMS
    notices written in bulk. Claims the rules do not approve stay in review and are returned with their
    decision. Returns (approved, left in review)."""
    ids = sorted({c.pk for c in claims})
    if not ids:
        return [], []
    pairs = list(Claim.objects.filter(pk__in=ids).values_list("member_id", "scheme_year"))
    totals = lock_member_years(pairs)
    locked = list(
        Claim.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    wrong = [c.pk for c in locked if c.state != ClaimState.IN_REVIEW]
    if wrong or len(locked) != len(ids):
        raise invalid("claims", f"以下申请不在审核中，不能核准：{wrong[:20]}", Code.WRONG_STATE)
    batch = selectors.batch_inputs(locked)
    now = selectors.now()
    approved: list[tuple[Claim, adjudication.Decision, tuple]] = []
    left: list[tuple[Claim, adjudication.Decision]] = []
    for claim in locked:
        total = totals[(claim.member_id, claim.scheme_year)]
        inputs = batch.inputs(claim, total.approved_fen)
        decision = adjudication.adjudicate(*inputs)
        if not decision.eligible:
            left.append((claim, decision))
            continue
        total.approved_fen += decision.amount_fen
        total.approved_count += 1
        batch.claimed(claim)
        approved.append((claim, decision, inputs))
    if not approved:
        return [], left
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    actor_id = actor.pk if authenticated else None
    username = actor.get_username() if authenticated else ""
    by_year: dict[int, list] = {}
    for item in approved:
        by_year.setdefault(item[0].scheme_year, []).append(item)
    entries = {}
    for year, items in by_year.items():
        fund_year = ledger.lock_year(year)
        try:
            ledger.require_open(fund_year)
        except ValidationError as exc:
            raise invalid("claims", f"{year}互助年度已结账，不能再核准补助", Code.LEDGER) from exc
        # One voucher for the list: its decisions (each linked to the entry) give the breakdown by claim.
        total = sum(decision.amount_fen for _, decision, _ in items)
        lines = [ledger.debit(EXPENSE_SUBSIDIES, total), ledger.credit(PAYABLE_SUBSIDIES, total)]
        entries[year] = ledger.post(
            fund_year,
            EntryKind.EXPENSE_ACCRUAL,
            lines,
            entry_date=transitions.entry_date(year),
            actor=actor,
            memo=f"核准互助补助 {len(items)} 笔（申请 {items[0][0].pk} 等）",
            reference=f"claims:{items[0][0].pk}-{items[-1][0].pk}",
            audit={"claims": [c.pk for c, _, _ in items]},
        )
    note = (note or "").strip()[:1000]
    Decision.objects.bulk_create(
        Decision(
            claim=claim, outcome=DecisionOutcome.APPROVED, policy_id=decision.policy_id,
            policy_version=decision.policy_version, scheme_year=claim.scheme_year,
            inputs=adjudication.inputs_to_json(*inputs), reasons=decision.to_json(), computed_eligible=True,
            computed_amount_fen=decision.amount_fen, computed_drg_code=decision.drg_code,
            amount_fen=decision.amount_fen, drg_code=decision.drg_code, note=note,
            journal_entry_id=entries[claim.scheme_year].pk, decided_by_id=actor_id, decided_at=now,
        )
        for claim, decision, inputs in approved
    )  # fmt: skip
    for claim, decision, _ in approved:
        claim.state, claim.amount_fen, claim.drg_code, claim.decided_at = (
            ClaimState.APPROVED, decision.amount_fen, decision.drg_code, now
        )  # fmt: skip
        claim.updated_at = now
    with (
        connection.cursor() as cursor
    ):  # one statement (bulk_update's CASE per row and field is slow to build)
        cursor.execute(
            f"UPDATE {Claim._meta.db_table} AS c SET state = %s, decided_at = %s, updated_at = %s, "
            "amount_fen = v.amount, drg_code = v.drg "
            f"FROM (VALUES {', '.join(['(%s, %s::bigint, %s)'] * len(approved))}) AS v(id, amount, drg) "
            "WHERE c.id = v.id",
            [
                ClaimState.APPROVED,
                now,
                now,
                *(x for c, d, _ in approved for x in (c.pk, d.amount_fen, d.drg_code)),
            ],
        )
    events = ClaimEvent.objects.bulk_create(
        ClaimEvent(
            claim=claim, action="approved", from_state=ClaimState.IN_REVIEW, to_state=ClaimState.APPROVED,
            reason=note, actor_id=actor_id, actor_username=username, at=now,
            data={"amount_fen": decision.amount_fen, "drg_code": decision.drg_code,
                  "voucher": entries[claim.scheme_year].voucher, "batch": True},
        )
        for claim, decision, _ in approved
    )  # fmt: skip
    AuditEvent.objects.bulk_create(
        AuditEvent(
            actor_id=actor_id, actor_username=username, action="claims.approved", object_type="Claim",
            object_id=str(claim.pk),
            data={"from": ClaimState.IN_REVIEW, "to": ClaimState.APPROVED, "amount_fen": decision.amount_fen,
                  "drg_code": decision.drg_code, "voucher": entries[claim.scheme_year].voucher},
        )
        for claim, decision, _ in approved
    )  # fmt: skip
    changed = [t for t in totals.values() if t.approved_count]
    if changed:
        table = MemberYearTotal._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET approved_fen = v.fen, approved_count = v.n "
                f"FROM (VALUES {', '.join(['(%s, %s::bigint, %s)'] * len(changed))}) AS v(id, fen, n) "
                "WHERE t.id = v.id",
                [x for t in changed for x in (t.pk, t.approved_fen, t.approved_count)],
            )
    queue.remove(transitions.town_code(), [c.pk for c, _, _ in approved])
    notices = SmsNotice.objects.bulk_create(
        SmsNotice(
            event=event, claim=claim, phone_masked=claim.member.phone_masked,
            text="【乡村医疗互助】" + _approval_text(claim, decision.amount_fen),
            skipped="" if claim.member.phone_encrypted else "no_phone",
        )
        for event, (claim, decision, _) in zip(events, approved, strict=True)
    )  # fmt: skip
    notice_ids = [n.pk for n in notices]
    transaction.on_commit(lambda: send_decision_sms_many.delay(notice_ids))
    return [c for c, _, _ in approved], left


def _approval_text(claim: Claim, amount_fen: int) -> str:
    return (
        f"您于 {claim.admission_date.isoformat()} 入院的互助补助申请已审核通过，"
        f"核定补助 {fen_to_yuan(amount_fen)} 元，将于下月统一发放。"
    )


@transaction.atomic
def reject(claim: Claim, *, actor, reason: str) -> Claim:
    reason = transitions.reason_text(reason)
    claim = transitions.locked_claim(claim)
    transitions.require_state(claim, (ClaimState.IN_REVIEW,), "作出不予补助决定")
    inputs = selectors.inputs(claim)
    computed = adjudication.adjudicate(*inputs)
    decision = _decide(
        claim, computed, inputs, outcome=DecisionOutcome.REJECTED, amount_fen=0, drg_code=claim.drg_code,
        amount_overridden=False, drg_overridden=False, override_reason="", note=reason, actor=actor,
    )  # fmt: skip
    claim.state = ClaimState.REJECTED
    claim.amount_fen = 0
    claim.decided_at = selectors.now()
    claim.save(update_fields=["state", "amount_fen", "decided_at", "updated_at"])
    event = transitions.record_transition(
        claim,
        "rejected",
        actor,
        from_state=ClaimState.IN_REVIEW,
        reason=reason,
        data={"decision": decision.pk},
    )
    transitions.sync_queue(claim)
    transitions.notify(
        claim, event, f"您于 {claim.admission_date.isoformat()} 入院的互助补助申请未通过审核：{reason[:60]}"
    )
    return claim


@transaction.atomic
def request_info(claim: Claim, *, actor, reason: str) -> Claim:
    reason = transitions.reason_text(reason)
    claim = transitions.locked_claim(claim)
    transitions.require_state(claim, (ClaimState.IN_REVIEW,), "要求补充材料")
    claim.state = ClaimState.MORE_INFO
    claim.save(update_fields=["state", "updated_at"])
    event = transitions.record_transition(
        claim, "info_requested", actor, from_state=ClaimState.IN_REVIEW, reason=reason
    )
    transitions.sync_queue(claim)
    transitions.notify(
        claim, event, f"您于 {claim.admission_date.isoformat()} 入院的互助补助申请需补充材料：{reason[:60]}"
    )
    return claim


# --- after approval: payout batch, payment ------------------------------------------------------------------------
# The monthly payout batches (printed lists, bank files) are the payouts domain's; these are the claim's side of
# it: the state, the event, and the ledger movement that belongs to the claim. Recovery of a paid subsidy got by
# fraud is payouts' alone (``payouts.recoveries.recover_claim``: a receivable from the member, repayments, write-off).


@transaction.atomic
def add_to_batch(claim: Claim, *, batch: str, actor) -> Claim:
    """Listed in a month's payout batch (``batch``: the batch's reference, e.g. ``2023-04``)."""
    batch = text_field({"batch": batch}, "batch", "发放批次", 64, required=True)
    claim = transitions.locked_claim(claim)
    transitions.require_state(claim, (ClaimState.APPROVED,), "列入发放批次")
    claim.state = ClaimState.IN_BATCH
    claim.save(update_fields=["state", "updated_at"])
    transitions.record_transition(
        claim, "batched", actor, from_state=ClaimState.APPROVED, data={"batch": batch}
    )
    return claim


@transaction.atomic
def mark_paid(claim: Claim, *, paid_on: date, reference: str, actor) -> Claim:
    """Paid by bank transfer: the payable is settled from the bank (Dr payable:subsidies, Cr bank)."""
    claim = transitions.locked_claim(claim)
    transitions.require_state(claim, (ClaimState.IN_BATCH,), "登记发放")
    entry = pay_payable(
        claim.scheme_year,
        payable="subsidies",
        amount_fen=claim.amount_fen or 0,
        paid_on=paid_on,
        reference=(reference or f"claim:{claim.pk}")[:100],
        memo=f"发放互助补助（申请 {claim.pk}）",
        actor=actor,
    )
    claim.state = ClaimState.PAID
    claim.save(update_fields=["state", "updated_at"])
    transitions.record_transition(
        claim,
        "paid",
        actor,
        from_state=ClaimState.IN_BATCH,
        data={"voucher": entry.voucher, "paid_on": str(paid_on)},
    )
    return claim
