"""How a claim moves, for every write of the claims app: the claim's row locked, the state a step needs checked,
the move recorded as a ``ClaimEvent`` (who, when, why) and an audit event (never names, ID, phone or bank card
numbers), the public review queue kept in sync in the same transaction, and the member told by SMS once the
decision is committed."""

from __future__ import annotations

from datetime import date

from django.db import connection, transaction

from mutualaid.claims import selectors
from mutualaid.claims.error_codes import ClaimErrorCode as Code
from mutualaid.claims.models import (
    OPEN_STATES,
    Claim,
    ClaimEvent,
    SmsNotice,
)
from mutualaid.claims.stay_checks import invalid
from mutualaid.claims.tasks import send_decision_sms
from mutualaid.claims_queue import api as queue
from mutualaid.funds.rules import posting_window
from mutualaid.platform.audit.actions import record_event


def town_code() -> str:
    # A schema entered by name (a throw-away test schema) has no town: its schema name stands in.
    return getattr(connection.tenant, "code", None) or connection.schema_name  # type: ignore[attr-defined]


def record_transition(
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


def sync_queue(claim: Claim) -> None:
    queue.sync(
        town_code(),
        claim.pk,
        state=claim.state,
        submitted_at=claim.submitted_at,
        due_date=claim.due_date,
        open=claim.state in OPEN_STATES,
    )


def require_state(claim: Claim, allowed, action: str) -> None:
    if claim.state not in allowed:
        raise invalid("state", f"申请当前状态为“{claim.get_state_display()}”，不能{action}", Code.WRONG_STATE)


def locked_claim(claim: Claim) -> Claim:
    return Claim.objects.select_for_update(of=("self",)).select_related("member").get(pk=claim.pk)


def reason_text(reason: str, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise invalid(field, "请填写理由", Code.REASON_REQUIRED)
    if len(text) > 1000:
        raise invalid(field, "理由过长（不超过 1000 字）", Code.TOO_LONG)
    return text


def entry_date(scheme_year: int) -> date:
    start, end = posting_window(scheme_year)
    return min(max(selectors.today(), start), end)


def notify(claim: Claim, event: ClaimEvent, text: str) -> None:
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
