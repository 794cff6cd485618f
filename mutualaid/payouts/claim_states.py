"""The claims' side of a payout batch, for many claims at once: the state moves the claims domain defines after
approval (approved → in batch → paid, back to approved when taken out or returned by the bank, paid →
recovered), each with a ``ClaimEvent`` and an audit event, written in bulk (a month can hold 10,000 claims).

The claims domain's own single-claim helpers (``add_to_batch``, ``mark_paid``) post one ledger entry per claim;
a batch posts one entry per scheme year instead, so the moves are made here, under the same row locks.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from mutualaid.claims import selectors as claim_selectors
from mutualaid.claims.models import Claim, ClaimEvent
from mutualaid.payouts.error_codes import PayoutErrorCode as Code
from mutualaid.platform.audit.models import AuditEvent


def _actor_fields(actor) -> tuple[int | None, str]:
    if actor is not None and getattr(actor, "is_authenticated", False):
        return actor.pk, actor.get_username()
    return None, ""


def lock_claims(ids: list[int], state: str) -> list[Claim]:
    """The claims, locked in id order (the order every batch step locks in); each must be in ``state``."""
    claims = list(Claim.objects.select_for_update(of=("self",)).filter(pk__in=ids).order_by("pk"))
    wrong = [c.pk for c in claims if c.state != state]
    if len(claims) != len(set(ids)) or wrong:
        raise ValidationError(
            {
                "claims": ValidationError(
                    f"补助申请状态已变化，请刷新后重试（申请 {', '.join(map(str, wrong[:5]))}）",
                    code=Code.WRONG_STATE.value,
                )
            }
        )
    return claims


def move(
    ids: list[int],
    *,
    from_state: str,
    to_state: str,
    action: str,
    actor,
    reasons: dict[int, str] | None = None,
    data: dict | None = None,
) -> list[ClaimEvent]:
    """Move the claims (locked by the caller) and write one event and one audit record per claim."""
    if not ids:
        return []
    updated = Claim.objects.filter(pk__in=ids, state=from_state).update(
        state=to_state, updated_at=claim_selectors.now()
    )
    if updated != len(ids):
        raise ValidationError(
            {"claims": ValidationError("补助申请状态已变化，请刷新后重试", code=Code.WRONG_STATE.value)}
        )
    actor_id, username = _actor_fields(actor)
    at = claim_selectors.now()
    reasons = reasons or {}
    events = ClaimEvent.objects.bulk_create(
        [
            ClaimEvent(
                claim_id=pk,
                action=action,
                from_state=from_state,
                to_state=to_state,
                reason=reasons.get(pk, ""),
                actor_id=actor_id,
                actor_username=username,
                at=at,
                data=data or {},
            )
            for pk in ids
        ],
        batch_size=2000,
    )
    AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                actor_id=actor_id,
                actor_username=username,
                action=f"claims.{action}",
                object_type="Claim",
                object_id=str(pk),
                data={"from": from_state, "to": to_state, "reason": reasons.get(pk, ""), **(data or {})},
            )
            for pk in ids
        ],
        batch_size=2000,
    )
    return events
