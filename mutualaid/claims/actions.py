"""Writes of the claims app (run inside a town's schema). Each refuses bad input with
``ValidationError({field: ValidationError(message, code=ClaimErrorCode value)})`` before writing anything, records
the transition as a ``ClaimEvent`` (who, when, why) and an audit event, and keeps the public review queue in sync
in the same transaction. Audit data never holds names, ID, phone or bank card numbers.

Approval locks the member's year (``MemberYearTotal``, SELECT … FOR UPDATE) before it reads what was approved so
far, then the claim; so concurrent approvals for one member are judged one after another against the yearly cap,
and a claim is approved (and posted to the ledger) once.
"""

from __future__ import annotations

import hashlib
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from mutualaid.claims import adjudication, selectors
from mutualaid.claims.documents import UnsupportedFile, clean
from mutualaid.claims.error_codes import ClaimErrorCode as Code
from mutualaid.claims.models import (
    EDITABLE_STATES,
    OPEN_STATES,
    Channel,
    Claim,
    ClaimDocument,
    ClaimEvent,
    ClaimState,
    Decision,
    DecisionOutcome,
    DocumentKind,
    MemberYearTotal,
    SmsNotice,
)
from mutualaid.claims.stay_checks import bank_card, invalid, mask_card, stay_fields, text_field
from mutualaid.claims.tasks import send_decision_sms, send_decision_sms_many
from mutualaid.claims_queue import api as queue
from mutualaid.enrolment.models import Member
from mutualaid.funds import ledger
from mutualaid.funds.actions import pay_payable
from mutualaid.funds.chart import EXPENSE_SUBSIDIES, PAYABLE_SUBSIDIES
from mutualaid.funds.models import EntryKind, JournalEntry
from mutualaid.funds.rules import posting_window
from mutualaid.platform import crypto
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.audit.models import AuditEvent
from mutualaid.platform.money import MAX_FEN, fen_to_yuan
from mutualaid.policies.selectors import policy_for_admission
from mutualaid.policies.values import InsuranceType

DEFAULT_MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
DEFAULT_DRG_VERSION = "chs-drg-1.1"


def town_code() -> str:
    # A schema entered by name (a throw-away test schema) has no town: its schema name stands in.
    return getattr(connection.tenant, "code", None) or connection.schema_name  # type: ignore[attr-defined]


def max_document_bytes() -> int:
    return int(getattr(settings, "CLAIM_DOCUMENT_MAX_BYTES", DEFAULT_MAX_DOCUMENT_BYTES))


# --- events ------------------------------------------------------------------------------------------------------------


def _event(
    claim: Claim, action: str, actor, *, from_state: str = "", reason: str = "", data=None
) -> ClaimEvent:
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    event = ClaimEvent.objects.create(
        claim=claim,
        action=action,
        from_state=from_state,
        to_state=claim.state,
        reason=reason,
        actor_id=actor.pk if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        data=data or {},
        at=selectors.now(),
    )
    record_event(
        actor,
        f"claims.{action}",
        claim,
        {"from": from_state, "to": claim.state, "reason": reason, **(data or {})},
    )
    return event


def _sync_queue(claim: Claim) -> None:
    queue.sync(
        town_code(),
        claim.pk,
        state=claim.state,
        submitted_at=claim.submitted_at,
        due_date=claim.due_date,
        open=claim.state in OPEN_STATES,
    )


def _require_state(claim: Claim, allowed, action: str) -> None:
    if claim.state not in allowed:
        raise invalid("state", f"申请当前状态为“{claim.get_state_display()}”，不能{action}", Code.WRONG_STATE)


def _locked(claim: Claim) -> Claim:
    return Claim.objects.select_for_update(of=("self",)).select_related("member").get(pk=claim.pk)


# --- application ------------------------------------------------------------------------------------------------------


@transaction.atomic
def create_claim(member: Member, data: dict, *, actor, channel: str = Channel.SELF) -> Claim:
    """A draft claim for one stay of ``member`` (checked in full: codes, amounts, dates, enrolment)."""
    if channel not in Channel.values:
        raise invalid("channel", "申请渠道不正确", Code.INVALID_CHOICE)
    fields = stay_fields(data, member)
    card = bank_card(data)
    household = member.household
    claim = Claim.objects.create(
        member=member,
        village_code=household.village.code,
        household_id=household.pk,
        channel=channel,
        bank_card_encrypted=crypto.encrypt(card),
        bank_card_masked=mask_card(card),
        created_by_id=actor.pk if actor is not None and actor.is_authenticated else None,
        **fields,
    )
    _event(claim, "created", actor, data={"channel": channel, "scheme_year": claim.scheme_year})
    return claim


@transaction.atomic
def update_claim(claim: Claim, data: dict, *, actor) -> Claim:
    """Change a draft (or a claim sent back for more information): the given fields replace the stored ones and
    the whole claim is checked again."""
    claim = _locked(claim)
    _require_state(claim, EDITABLE_STATES, "修改")
    current = {
        "hospital_name": claim.hospital_name,
        "hospital_level": claim.hospital_level,
        "hospital_designated": claim.hospital_designated,
        "hospital_mainland": claim.hospital_mainland,
        "admission_date": claim.admission_date,
        "discharge_date": claim.discharge_date,
        "inpatient": claim.inpatient,
        "cause": claim.cause,
        "insurance_type": claim.insurance_type,
        "total_cost_fen": claim.total_cost_fen,
        "insurance_paid_fen": claim.insurance_paid_fen,
        "out_of_pocket_fen": claim.out_of_pocket_fen,
        "diagnosis_codes": claim.diagnosis_codes,
        "procedure_codes": claim.procedure_codes,
        "bank_name": claim.bank_name,
    }
    given = {k: v for k, v in data.items() if v is not None}
    fields = stay_fields({**current, **given}, claim.member)
    if claim.state == ClaimState.MORE_INFO and fields["scheme_year"] != claim.scheme_year:
        raise invalid("admission_date", "补充材料时不能改到另一个互助年度", Code.OUTSIDE_SCHEME_YEAR)
    changed = sorted(k for k, v in fields.items() if getattr(claim, k) != v)
    for key, value in fields.items():
        setattr(claim, key, value)
    if given.get("bank_card"):
        card = bank_card(given)
        claim.bank_card_encrypted, claim.bank_card_masked = crypto.encrypt(card), mask_card(card)
        changed.append("bank_card")
    claim.save()
    _event(claim, "updated", actor, from_state=claim.state, data={"fields": changed})
    return claim


@transaction.atomic
def upload_document(claim: Claim, kind: str, content: bytes, *, file_name: str = "", actor) -> ClaimDocument:
    """Store one document (photo or PDF; type by content, size-limited, photos without EXIF)."""
    if kind not in DocumentKind.values:
        raise invalid("kind", "材料类别不正确", Code.INVALID_CHOICE)
    if not content:
        raise invalid("file", "文件为空", Code.EMPTY_FILE)
    check_document_size(len(content))
    try:
        cleaned = clean(content)
    except UnsupportedFile as exc:
        raise invalid(
            "file", f"{exc}；请上传照片（JPEG、PNG、HEIC）或 PDF", Code.UNSUPPORTED_FILE_TYPE
        ) from exc
    claim = _locked(claim)
    _require_state(claim, EDITABLE_STATES, "上传材料")
    digest = hashlib.sha256(cleaned.content).hexdigest()
    document = ClaimDocument(
        claim=claim,
        kind=kind,
        content_type=cleaned.content_type,
        size=len(cleaned.content),
        sha256=digest,
        original_name=(file_name or "").strip()[:200],
        uploaded_by_id=actor.pk if actor is not None and actor.is_authenticated else None,
    )
    document.file.save(
        f"{town_code()}-{claim.pk}-{kind}-{digest[:12]}.{cleaned.extension}",
        ContentFile(cleaned.content),
        save=False,
    )
    try:
        document.save()
    except Exception:
        document.file.delete(save=False)
        raise
    _event(
        claim,
        "document_uploaded",
        actor,
        from_state=claim.state,
        data={"kind": kind, "document": document.pk},
    )
    return document


def record_document_read(document: ClaimDocument, *, actor) -> None:
    """A document was opened (the caller checked the permission): who read which one, never its content."""
    record_event(
        actor, "claims.document_read", document.claim, {"document": document.pk, "kind": document.kind}
    )


def check_document_size(size: int) -> None:
    limit = max_document_bytes()
    if size > limit:
        raise invalid("file", f"文件过大（不超过 {limit // (1024 * 1024)} MB）", Code.FILE_TOO_LARGE)


def required_documents(claim: Claim) -> list[str]:
    kinds = [DocumentKind.DISCHARGE_RECORD, DocumentKind.COST_LIST]
    if claim.insurance_type != InsuranceType.NONE:
        kinds.append(DocumentKind.INSURANCE_STATEMENT)
    return [str(k) for k in kinds]


def missing_documents(claim: Claim) -> list[str]:
    present = set(claim.documents.values_list("kind", flat=True))
    return [k for k in required_documents(claim) if k not in present]


def _require_complete(claim: Claim) -> None:
    missing = missing_documents(claim)
    if missing:
        labels = "、".join(str(DocumentKind(k).label) for k in missing)
        raise invalid("documents", f"材料不全，缺少：{labels}；已保存为草稿，补齐后再提交", Code.INCOMPLETE)


def _start_clock(claim: Claim) -> None:
    now = selectors.now()
    policy = policy_for_admission(claim.admission_date)
    days = (policy.review_working_days if policy else None) or 5
    claim.submitted_at = now
    claim.due_date = selectors.add_working_days(timezone.localdate(now), days)


@transaction.atomic
def submit(claim: Claim, *, actor) -> Claim:
    claim = _locked(claim)
    _require_state(claim, (ClaimState.DRAFT,), "提交")
    _require_complete(claim)
    claim.state = ClaimState.SUBMITTED
    claim.filed_on = selectors.today()
    _start_clock(claim)
    claim.save(update_fields=["state", "filed_on", "submitted_at", "due_date", "updated_at"])
    _event(claim, "submitted", actor, from_state=ClaimState.DRAFT, data={"due_date": str(claim.due_date)})
    _sync_queue(claim)
    return claim


@transaction.atomic
def resubmit(claim: Claim, *, actor, note: str = "") -> Claim:
    claim = _locked(claim)
    _require_state(claim, (ClaimState.MORE_INFO,), "重新提交")
    _require_complete(claim)
    claim.state = ClaimState.RESUBMITTED
    _start_clock(claim)
    claim.save(update_fields=["state", "submitted_at", "due_date", "updated_at"])
    _event(claim, "resubmitted", actor, from_state=ClaimState.MORE_INFO, reason=note[:500])
    _sync_queue(claim)
    return claim


# --- review ------------------------------------------------------------------------------------------------------------


@transaction.atomic
def start_review(claim: Claim, *, actor) -> Claim:
    claim = _locked(claim)
    _require_state(claim, (ClaimState.SUBMITTED, ClaimState.RESUBMITTED), "开始审核")
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
    _event(claim, "review_started", actor, from_state=previous, data={"suggested_drg_code": suggested or ""})
    _sync_queue(claim)
    return claim


def _reason(reason: str, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise invalid(field, "请填写理由", Code.REASON_REQUIRED)
    if len(text) > 1000:
        raise invalid(field, "理由过长（不超过 1000 字）", Code.TOO_LONG)
    return text


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


def _entry_date(scheme_year: int) -> date:
    start, end = posting_window(scheme_year)
    return min(max(selectors.today(), start), end)


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
    claim = _locked(claim)
    _require_state(claim, (ClaimState.IN_REVIEW,), "核准")
    # The DRG the rules suggest (the grouper's, when there is one); a reviewer choosing another overrides it.
    suggested = claim.suggested_drg_code
    final_drg = given_drg or claim.drg_code or suggested
    drg_overridden = bool(suggested) and final_drg != suggested
    inputs = selectors.inputs(claim, drg_code=final_drg, approved_fen=year_total.approved_fen)
    computed = adjudication.adjudicate(*inputs)
    amount_overridden = amount_fen is not None and amount_fen != computed.amount_fen
    reason = ""
    if drg_overridden or amount_overridden:
        reason = _reason(override_reason, "override_reason")
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
        entry_date=_entry_date(claim.scheme_year),
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
    event = _event(
        claim, "approved", actor, from_state=ClaimState.IN_REVIEW, reason=reason or note.strip()[:1000],
        data={"decision": decision.pk, "amount_fen": final, "drg_code": final_drg, "voucher": entry.voucher,
              "amount_overridden": amount_overridden, "drg_overridden": drg_overridden},
    )  # fmt: skip
    _sync_queue(claim)
    _notify(claim, event, _approval_text(claim, final))
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
            entry_date=_entry_date(year),
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
    queue.remove(town_code(), [c.pk for c, _, _ in approved])
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
    reason = _reason(reason)
    claim = _locked(claim)
    _require_state(claim, (ClaimState.IN_REVIEW,), "作出不予补助决定")
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
    event = _event(
        claim,
        "rejected",
        actor,
        from_state=ClaimState.IN_REVIEW,
        reason=reason,
        data={"decision": decision.pk},
    )
    _sync_queue(claim)
    _notify(
        claim, event, f"您于 {claim.admission_date.isoformat()} 入院的互助补助申请未通过审核：{reason[:60]}"
    )
    return claim


@transaction.atomic
def request_info(claim: Claim, *, actor, reason: str) -> Claim:
    reason = _reason(reason)
    claim = _locked(claim)
    _require_state(claim, (ClaimState.IN_REVIEW,), "要求补充材料")
    claim.state = ClaimState.MORE_INFO
    claim.save(update_fields=["state", "updated_at"])
    event = _event(claim, "info_requested", actor, from_state=ClaimState.IN_REVIEW, reason=reason)
    _sync_queue(claim)
    _notify(
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
    claim = _locked(claim)
    _require_state(claim, (ClaimState.APPROVED,), "列入发放批次")
    claim.state = ClaimState.IN_BATCH
    claim.save(update_fields=["state", "updated_at"])
    _event(claim, "batched", actor, from_state=ClaimState.APPROVED, data={"batch": batch})
    return claim


@transaction.atomic
def mark_paid(claim: Claim, *, paid_on: date, reference: str, actor) -> Claim:
    """Paid by bank transfer: the payable is settled from the bank (Dr payable:subsidies, Cr bank)."""
    claim = _locked(claim)
    _require_state(claim, (ClaimState.IN_BATCH,), "登记发放")
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
    _event(
        claim,
        "paid",
        actor,
        from_state=ClaimState.IN_BATCH,
        data={"voucher": entry.voucher, "paid_on": str(paid_on)},
    )
    return claim


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
    reason = _reason(reason)
    year_total = lock_member_year(claim.member_id, claim.scheme_year)  # the year first, as every approval
    claim = _locked(claim)
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
    _require_state(claim, (ClaimState.APPROVED,), "退回重新审核")
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
            entry_date=_entry_date(claim.scheme_year),
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
    event = _event(
        claim, "reopened", actor, from_state=ClaimState.APPROVED, reason=reason,
        data={"amount_fen": amount, "voucher": voucher, "objection": objection, "due_date": str(claim.due_date)},
    )  # fmt: skip
    _sync_queue(claim)
    _notify(
        claim,
        event,
        f"您于 {claim.admission_date.isoformat()} 入院的互助补助申请因公示异议需重新审核，暂缓发放，审核结果将另行通知。",
    )
    return claim


# --- notices -----------------------------------------------------------------------------------------------------------


def _notify(claim: Claim, event: ClaimEvent, text: str) -> None:
    """The SMS owed for a decision, sent by a task once the decision is committed."""
    member = claim.member
    notice = SmsNotice.objects.create(
        event=event,
        claim=claim,
        phone_masked=member.phone_masked,
        text=f"【乡村医疗互助】{text}",
        skipped="" if member.phone_encrypted else "no_phone",
    )
    notice_id = notice.pk
    transaction.on_commit(lambda: send_decision_sms.delay(notice_id))
