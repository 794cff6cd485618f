"""Writes of the disclosure domain, each in one transaction and audited (``record_event``).

- ``generate_draft(month)``: the month's first draft, built from the ledger once the month is over; idempotent
  (a month that has a disclosure is left alone), so beat may fire twice.
- ``refresh_draft`` rebuilds a draft; ``publish`` makes a reconciled draft public and immutable, opening the
  objection period (the policy's ``objection_days``); ``revise`` starts the next numbered revision of a
  published month, saying what changed.
- objections: ``request_code`` (one-time SMS code to a phone), ``submit_objection`` (a signed-in member, or a
  verified phone), ``answer_objection`` (the firm confirms or reopens the claim), ``resolve_objection`` (the
  re-review's outcome), ``hold`` / ``release`` (the town admin keeps a disclosed, unpaid subsidy out of the
  payout batch while its objection is open; payouts' gather step asks ``held_claim_ids``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from mutualaid.claims import reopening as claim_reopening
from mutualaid.claims import selectors as claim_selectors
from mutualaid.claims.models import OPEN_STATES, Claim, ClaimEvent, ClaimState
from mutualaid.claims_queue import api as review_queue
from mutualaid.disclosure import builder, rules
from mutualaid.disclosure.error_codes import DisclosureErrorCode as Code
from mutualaid.disclosure.models import (
    Disclosure,
    DisclosureState,
    DonorDisplay,
    Objection,
    ObjectionState,
    PhoneCode,
)
from mutualaid.disclosure.rules import invalid
from mutualaid.payouts import actions as payouts
from mutualaid.payouts.models import BatchState, LineState, PayoutLine
from mutualaid.platform import crypto
from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.money import fen_to_yuan
from mutualaid.platform.sms import send_sms
from mutualaid.policies import selectors as policy_selectors

ADVISORY_KEY = 716_017  # one generation per town and month at a time
OBJECTION_REVIEW_WORKING_DAYS = 5  # the firm's time to answer, as for a claim's review


def now() -> datetime:
    return claim_selectors.now()


def today() -> date:
    return claim_selectors.today()


def _who(actor) -> tuple[int | None, str]:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.pk, actor.get_username()
    return None, ""


def _town() -> tuple[str, str]:
    tenant = getattr(connection, "tenant", None)
    return getattr(tenant, "code", ""), getattr(tenant, "name", "")


def objection_days(on: date) -> int:
    """The objection period of the policy in force (the scheme year of ``on`` or the one before), default 7."""
    for year in (on.year, on.year - 1):
        policy = policy_selectors.policy_in_force(year, on)
        days = getattr(policy, "objection_days", None) if policy is not None else None
        if days:
            return int(days)
    return rules.DEFAULT_OBJECTION_DAYS


def shown_objection_ids() -> set[int]:
    """Objections a published disclosure already showed with their answer (not shown again)."""
    shown: set[int] = set()
    for content in Disclosure.objects.published().values_list("content", flat=True):
        # Shown finished (with its outcome): an objection shown while its re-review was still open is shown
        # again, with the outcome, on the next disclosure.
        shown |= {o["id"] for o in content.get("objections", []) if o.get("outcome")}
    return shown


def _build(month: date) -> builder.Built:
    code, name = _town()
    return builder.build(month, town_code=code, town_name=name, shown_objections=shown_objection_ids())


def _apply(disclosure: Disclosure, built: builder.Built) -> None:
    disclosure.content = built.content
    disclosure.opening_fen = built.opening_fen
    disclosure.inflow_fen = built.inflow_fen
    disclosure.outflow_fen = built.outflow_fen
    disclosure.closing_fen = built.closing_fen
    disclosure.reconciled = built.reconciled
    disclosure.generated_at = now()


@transaction.atomic
def generate_draft(month: date, *, actor) -> tuple[Disclosure, bool]:
    """The month's disclosure, drafted from the ledger if it has none yet. Returns (disclosure, created)."""
    month = rules.check_month_over(month, today())
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", [ADVISORY_KEY])
    existing = Disclosure.objects.filter(month=month).order_by("-revision").first()
    if existing is not None:
        return existing, False
    disclosure = Disclosure(month=month, revision=1, objection_days=objection_days(month))
    _apply(disclosure, _build(month))
    disclosure.save()
    record_event(
        actor,
        "disclosure.drafted",
        disclosure,
        {"month": disclosure.label, "revision": 1, "reconciled": disclosure.reconciled},
    )
    return disclosure, True


def _locked(disclosure: Disclosure) -> Disclosure:
    return Disclosure.objects.select_for_update().get(pk=disclosure.pk)


@transaction.atomic
def refresh_draft(disclosure: Disclosure, *, actor) -> Disclosure:
    disclosure = _locked(disclosure)
    if disclosure.is_published:
        raise invalid("disclosure", "已发布的公示不可修改，请发布修订版", Code.PUBLISHED)
    _apply(disclosure, _build(disclosure.month))
    disclosure.save()
    record_event(actor, "disclosure.refreshed", disclosure, {"month": disclosure.label})
    return disclosure


@transaction.atomic
def publish(disclosure: Disclosure, *, actor) -> Disclosure:
    """Publish a draft (the town admin, after review). It must reconcile with the ledger."""
    disclosure = _locked(disclosure)
    if disclosure.is_published:
        raise invalid("disclosure", "该公示已发布", Code.PUBLISHED)
    if not disclosure.reconciled:
        raise invalid("disclosure", "公示数据与资金台账核对不一致，请核查后重新生成", Code.NOT_RECONCILED)
    if disclosure.revision > 1 and not disclosure.changes:
        raise invalid("changes", "修订版须说明修改内容", Code.REQUIRED)
    actor_id, username = _who(actor)
    moment = now()
    disclosure.state = DisclosureState.PUBLISHED
    disclosure.published_at = moment
    disclosure.objection_until = rules.objection_until(moment.date(), disclosure.objection_days)
    disclosure.published_by_id = actor_id
    disclosure.published_by_username = username
    Disclosure.objects.filter(pk=disclosure.pk).update(
        state=disclosure.state,
        published_at=moment,
        objection_until=disclosure.objection_until,
        published_by_id=actor_id,
        published_by_username=username,
    )
    record_event(
        actor,
        "disclosure.published",
        disclosure,
        {"month": disclosure.label, "revision": disclosure.revision, "closing_fen": disclosure.closing_fen},
    )
    return disclosure


def _diff(old: dict, new: dict) -> list[str]:
    """What changed between two contents, in words (totals and subsidy lines)."""
    out = []
    labels = {
        "opening_fen": "期初结余",
        "inflow_fen": "本月收入",
        "outflow_fen": "本月支出",
        "closing_fen": "期末结余",
    }
    for key, label in labels.items():
        if old.get(key) != new.get(key):
            out.append(
                f"{label}由 {fen_to_yuan(old.get(key) or 0)} 元改为 {fen_to_yuan(new.get(key) or 0)} 元"
            )
    before = {s["no"]: s for s in old.get("subsidies", [])}
    after = {s["no"]: s for s in new.get("subsidies", [])}
    for no in sorted(after.keys() - before.keys()):
        out.append(f"新增补助 {after[no]['village']} {after[no]['name']}")
    for no in sorted(before.keys() - after.keys()):
        out.append(f"删除补助 {before[no]['village']} {before[no]['name']}")
    for no in sorted(before.keys() & after.keys()):
        if before[no] != after[no]:
            out.append(f"更正补助 {after[no]['village']} {after[no]['name']}")
    return out


@transaction.atomic
def revise(month: date, *, changes: str, actor) -> Disclosure:
    """A correction of a published month: the next revision as a draft, rebuilt from the ledger, with what
    changed (the admin's words and the differences found)."""
    changes = rules.check_text(changes, "changes", rules.CHANGES_MAX, "修改说明")
    month = rules.month_start(month)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(current_schema()))", [ADVISORY_KEY])
    latest = Disclosure.objects.filter(month=month).order_by("-revision").first()
    if latest is None or not latest.is_published:
        raise invalid("month", "该月尚无已发布的公示，无需修订", Code.WRONG_STATE)
    built = _build(month)
    found = _diff(latest.content, built.content)
    disclosure = Disclosure(
        month=month,
        revision=latest.revision + 1,
        objection_days=latest.objection_days,
        changes="；".join([changes, *found])[:2000],
    )
    _apply(disclosure, built)
    disclosure.save()
    record_event(
        actor, "disclosure.revised", disclosure, {"month": disclosure.label, "revision": disclosure.revision}
    )
    return disclosure


@transaction.atomic
def set_donor_display(receipt_number: str, *, anonymous: bool, actor) -> DonorDisplay:
    receipt_number = rules.check_text(receipt_number, "receipt_number", 64, "捐赠票据号")
    row, _ = DonorDisplay.objects.update_or_create(
        receipt_number=receipt_number, defaults={"anonymous": anonymous}
    )
    record_event(
        actor, "disclosure.donor_display", row, {"receipt_number": receipt_number, "anonymous": anonymous}
    )
    return row


# --- public reads --------------------------------------------------------------------------------------------------


def current(month: date) -> Disclosure | None:
    """The latest published revision of a month."""
    return Disclosure.objects.published().filter(month=month).order_by("-revision").first()


def published_months() -> list[Disclosure]:
    """The latest published revision of every month, newest first."""
    return list(Disclosure.objects.published().order_by("month", "-revision").distinct("month"))[::-1]


# --- objections ----------------------------------------------------------------------------------------------------


def _hash(kind: str, value: str) -> str:
    return hmac.new(str(settings.SECRET_KEY).encode(), f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def address_hash(address: str) -> str:
    return _hash("address", address or "")


def _code_hash(phone_hash: str, code: str) -> str:
    return _hash("objection-code", f"{phone_hash}:{code}")


@transaction.atomic
def request_code(phone: str, *, address: str = "") -> None:
    """Send a one-time code to a phone, so its holder may object. Rate-limited per phone and per address; the
    answer never says whether the phone belongs to a member."""
    phone = rules.check_phone(phone)
    phone_hash = crypto.lookup_hash(phone)
    addr = address_hash(address)
    since = now() - timedelta(hours=1)
    if (
        PhoneCode.objects.filter(phone_hash=phone_hash, created_at__gte=since).count()
        >= rules.CODES_PER_PHONE_PER_HOUR
    ):
        raise invalid("phone", "获取验证码过于频繁，请稍后再试", Code.RATE_LIMITED)
    if address and PhoneCode.objects.filter(address_hash=addr, created_at__gte=since).count() >= (
        rules.CODES_PER_ADDRESS_PER_HOUR
    ):
        raise invalid("phone", "获取验证码过于频繁，请稍后再试", Code.RATE_LIMITED)
    code = f"{secrets.randbelow(10**6):06d}"
    moment = now()
    PhoneCode.objects.filter(phone_hash=phone_hash, used_at__isnull=True).update(used_at=moment)
    PhoneCode.objects.create(
        phone_hash=phone_hash,
        address_hash=addr if address else "",
        code_hash=_code_hash(phone_hash, code),
        created_at=moment,
        expires_at=moment + rules.CODE_TTL,
    )
    _, town_name = _town()
    text = f"【{town_name}互助公示】您的异议验证码为 {code}，10 分钟内有效。"
    transaction.on_commit(lambda: send_sms(phone, text))


def _redeem(phone_hash: str, code: str) -> None:
    """Use up the phone's live code; a wrong code counts an attempt (kept even though the caller fails)."""
    wrong = invalid("code", "验证码错误或已失效，请重新获取", Code.BAD_CODE)
    with transaction.atomic():
        live = (
            PhoneCode.objects.select_for_update()
            .filter(phone_hash=phone_hash, used_at__isnull=True, expires_at__gt=now())
            .order_by("-created_at", "-pk")
            .first()
        )
        if live is None or live.attempts >= rules.CODE_ATTEMPTS:
            raise wrong
        if not hmac.compare_digest(live.code_hash, _code_hash(phone_hash, (code or "").strip())):
            live.attempts += 1
            live.save(update_fields=["attempts"])
            failed = True
        else:
            live.used_at = now()
            live.save(update_fields=["used_at"])
            failed = False
    if failed:
        raise wrong


def _subject(line: dict) -> str:
    return f"{line['village']} {line['name']} {line['drg']} {fen_to_yuan(line['amount_fen'])} 元"[:100]


def submit_objection(
    disclosure: Disclosure,
    claim_no: int,
    reason: str,
    *,
    user=None,
    phone: str = "",
    code: str = "",
    address: str = "",
) -> Objection:
    """An objection to a subsidy a published disclosure lists, within its objection period, from a signed-in
    user or a phone verified by a one-time code. Runs the code check in its own transaction (a wrong code's
    attempt is kept), then records the objection."""
    reason = rules.check_reason(reason)
    if not disclosure.is_published or disclosure.objection_until is None:
        raise invalid("disclosure", "该公示尚未发布", Code.NOT_DISCLOSED)
    if today() > disclosure.objection_until:
        raise invalid(
            "disclosure", f"异议期已于 {disclosure.objection_until:%Y-%m-%d} 结束", Code.PERIOD_CLOSED
        )
    line = next((s for s in disclosure.content.get("subsidies", []) if s.get("no") == claim_no), None)
    if line is None:
        raise invalid("claim", "公示中没有该笔补助", Code.NOT_DISCLOSED)
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    phone_hash = ""
    if not signed_in:
        phone = rules.check_phone(phone)
        phone_hash = crypto.lookup_hash(phone)
        _redeem(phone_hash, code)
    addr = address_hash(address) if address else ""
    with transaction.atomic():
        since = now() - timedelta(days=1)
        mine = Objection.objects.filter(submitted_at__gte=since)
        mine = mine.filter(user_id=user.pk) if signed_in else mine.filter(phone_hash=phone_hash)
        if mine.count() >= rules.OBJECTIONS_PER_PHONE_PER_DAY:
            raise invalid("reason", "今日提出的异议已达上限，请明日再试", Code.RATE_LIMITED)
        if addr and Objection.objects.filter(submitted_at__gte=since, address_hash=addr).count() >= (
            rules.OBJECTIONS_PER_ADDRESS_PER_DAY
        ):
            raise invalid("reason", "今日提出的异议已达上限，请明日再试", Code.RATE_LIMITED)
        objection = Objection.objects.create(
            disclosure=disclosure,
            claim_id=claim_no,
            subject=_subject(line),
            reason=reason,
            user_id=user.pk if signed_in else None,
            phone_hash=phone_hash,
            address_hash=addr,
            submitted_at=now(),
        )
        _queue(objection.claim_id)
        record_event(
            user if signed_in else None,
            "disclosure.objection_submitted",
            objection,
            {"claim": claim_no, "month": disclosure.label, "verified_by": "account" if signed_in else "sms"},
        )
    return objection


def _queue(claim_id: int) -> None:
    """Keep the claim in the service firms' review queue while an objection to it is open (due in
    ``OBJECTION_REVIEW_WORKING_DAYS`` working days from the earliest open one), out of it after."""
    code, _ = _town()
    first = (
        Objection.objects.filter(claim_id=claim_id, state__in=(ObjectionState.OPEN, ObjectionState.REOPENED))
        .order_by("submitted_at")
        .first()
    )
    row = Claim.objects.filter(pk=claim_id).values_list("state", "submitted_at", "due_date").first()
    if row is None:
        return
    state, submitted_at, due_date = row
    if state in OPEN_STATES:  # reopened into review: the claim's own row (its fresh due date) stands
        review_queue.sync(
            code, claim_id, state=state, submitted_at=submitted_at, due_date=due_date, open=True
        )
        return
    if first is None:
        review_queue.remove(code, [claim_id])
        return
    due = claim_selectors.add_working_days(first.submitted_at.date(), OBJECTION_REVIEW_WORKING_DAYS)
    review_queue.sync(code, claim_id, state=state, submitted_at=first.submitted_at, due_date=due, open=True)


def _claim_event(claim_id: int, action: str, reason: str, actor) -> None:
    claim = Claim.objects.filter(pk=claim_id).first()
    if claim is None:
        return
    actor_id, username = _who(actor)
    ClaimEvent.objects.create(
        claim=claim,
        action=action,
        from_state=claim.state,
        to_state=claim.state,
        reason=reason[:1000],
        actor_id=actor_id,
        actor_username=username,
        at=now(),
    )


def _leave_batch(claim: Claim, actor) -> None:
    """An objected claim listed in a payout batch leaves it before it is reopened (payouts' ``remove_line``, which
    only a batch not yet approved allows)."""
    line = (
        PayoutLine.objects.filter(claim_id=claim.pk, state=LineState.PENDING).select_related("batch").first()
    )
    if line is None or line.batch.state != BatchState.PREPARED:
        raise invalid(
            "objection",
            "该补助所在的发放批次已审批，不能退回重新审核；请待银行回盘后办理（已发放的如查实骗取，按追回办理）",
            Code.IN_APPROVED_BATCH,
        )
    payouts.remove_line(line, reason="公示异议，退回重新审核", actor=actor)


def _reopen(objection: Objection, answer: str, actor) -> bool:
    """Reopen the objected claim into review (claims' ``reopen_claim``: the payable and expense reversed, the
    member's year released, back in the firms' queue), out of an unapproved payout batch first. A paid claim is
    not reopened: the objection waits for the town admin's recovery (payouts' ``recover_claim``). Returns
    whether the claim went back into review."""
    claim = Claim.objects.filter(pk=objection.claim_id).first()
    if claim is None or claim.state in rules.PAID_STATES or claim.state in rules.REVIEW_FLOW_STATES:
        return False
    if claim.state == ClaimState.IN_BATCH:
        _leave_batch(claim, actor)
        claim.refresh_from_db()
    if claim.state != ClaimState.APPROVED:
        raise invalid(
            "objection", f"申请当前状态为“{claim.get_state_display()}”，不能重新审核", Code.WRONG_STATE
        )
    claim_reopening.reopen_claim(
        claim, actor=actor, reason=f"公示异议：{answer}"[:1000], objection=objection.pk
    )
    return True


@transaction.atomic
def answer_objection(objection: Objection, *, reopen: bool, answer: str, actor) -> Objection:
    """The service firm's answer: the decision stands (confirmed), or the claim is reviewed again (reopened: an
    approved, unpaid claim goes back into review — out of an unapproved payout batch, its payable reversed —;
    a paid one waits for the town admin's recovery). ``resolve_objection`` records the re-review's outcome."""
    answer = rules.check_text(answer, "answer", rules.ANSWER_MAX, "核查答复")
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.state != ObjectionState.OPEN:
        raise invalid("objection", "该异议已答复", Code.WRONG_STATE)
    if reopen:
        _reopen(objection, answer, actor)
    actor_id, username = _who(actor)
    objection.state = ObjectionState.REOPENED if reopen else ObjectionState.CONFIRMED
    objection.answer = answer
    objection.answered_at = now()
    objection.answered_by_id = actor_id
    objection.answered_by_username = username
    if not reopen:
        objection.outcome = "维持原审核结论"
        objection.resolved_at = objection.answered_at
        objection.held = False
    objection.save()
    _queue(objection.claim_id)
    _claim_event(
        objection.claim_id,
        "objection_reopened" if reopen else "objection_confirmed",
        f"公示异议：{objection.reason}；答复：{answer}",
        actor,
    )
    record_event(actor, f"disclosure.objection_{objection.state}", objection, {"claim": objection.claim_id})
    return objection


@transaction.atomic
def resolve_objection(objection: Objection, *, outcome: str, actor) -> Objection:
    """The outcome of a reopened claim's re-review, published with the objection on the next disclosure."""
    outcome = rules.check_text(outcome, "outcome", rules.ANSWER_MAX, "处理结果")
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if objection.state != ObjectionState.REOPENED:
        raise invalid("objection", "只有已重新审核的异议可以办结", Code.WRONG_STATE)
    claim = Claim.objects.filter(pk=objection.claim_id).values("state", "amount_fen").first()
    if claim is not None and claim["state"] in rules.REVIEW_FLOW_STATES:
        raise invalid(
            "objection", "重新审核尚未完成：请先对该申请作出审核决定，再登记处理结果", Code.REVIEW_PENDING
        )
    if claim is not None:  # the claim's real state, published with the outcome
        outcome = f"{outcome}（{rules.claim_result(claim['state'], claim['amount_fen'])}）"
    objection.state = ObjectionState.RESOLVED
    objection.outcome = outcome
    objection.resolved_at = now()
    objection.held = False
    objection.save()
    _queue(objection.claim_id)
    _claim_event(objection.claim_id, "objection_resolved", f"重新审核结果：{outcome}", actor)
    record_event(actor, "disclosure.objection_resolved", objection, {"claim": objection.claim_id})
    return objection


@transaction.atomic
def hold(objection: Objection, *, held: bool, actor) -> Objection:
    """Keep (or stop keeping) the objected subsidy out of the payout batch while the objection is open."""
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    if held:
        if not objection.is_open:
            raise invalid("objection", "异议已办结，无需暂缓发放", Code.WRONG_STATE)
        state = Claim.objects.filter(pk=objection.claim_id).values_list("state", flat=True).first()
        if state != ClaimState.APPROVED:
            raise invalid("objection", "该补助已列入发放批次或已发放，不能暂缓", Code.ALREADY_PAID)
    _, username = _who(actor)
    objection.held = held
    objection.held_by_username = username if held else ""
    objection.save(update_fields=["held", "held_by_username"])
    record_event(
        actor, "disclosure.hold" if held else "disclosure.release", objection, {"claim": objection.claim_id}
    )
    return objection


def held_claim_ids() -> set[int]:
    """Claims the town admin holds out of the payout batch (an open objection to their disclosure)."""
    return set(
        Objection.objects.filter(
            held=True, state__in=(ObjectionState.OPEN, ObjectionState.REOPENED)
        ).values_list("claim_id", flat=True)
    )
