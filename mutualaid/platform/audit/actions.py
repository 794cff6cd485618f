"""Write an audit event in the current schema (a town's own, or public for platform events)."""

from __future__ import annotations

from typing import Any

from mutualaid.platform.audit.models import AuditEvent


def record_event(actor, action: str, obj: Any, data: dict | None = None) -> AuditEvent:
    """Record who did what to which object. ``data`` must never hold unmasked personal data."""
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor_id=actor.pk if authenticated else None,
        actor_username=actor.get_username() if authenticated else "",
        action=action,
        object_type=type(obj).__name__ if obj is not None else "",
        object_id=str(getattr(obj, "pk", "") or ""),
        data=data or {},
    )
