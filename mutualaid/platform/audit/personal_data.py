"""A per-user budget for unmasked personal data (decrypted ID and phone numbers), counted in the audit log.

Every unmasked read is recorded as an audit event naming the objects, the fields and how many values were shown
(``data["values"]``, never the values themselves). Before a read, the values the same user was shown in this
schema over the last ``PERSONAL_DATA_READ_WINDOW_SECONDS`` are summed from those events; a read that would take
the user over ``PERSONAL_DATA_READ_BUDGET`` is refused (``PersonalDataBudgetExceeded``) and flagged in the audit
log as ``personal_data.budget_exceeded``. Bulk work (roster exports, imports) does not go through this path.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import IntegerField, Sum
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.audit.models import AuditEvent

READ_ACTION_SUFFIX = ".personal_data.read"
EXCEEDED_ACTION = "personal_data.budget_exceeded"


class PersonalDataBudgetExceeded(PermissionDenied):
    """The user has seen as many unmasked values as the window allows."""


def budget() -> int:
    return int(getattr(settings, "PERSONAL_DATA_READ_BUDGET", 2000))


def window() -> timedelta:
    return timedelta(seconds=int(getattr(settings, "PERSONAL_DATA_READ_WINDOW_SECONDS", 3600)))


def values_read(actor, *, since=None) -> int:
    """Unmasked values shown to ``actor`` in the current schema since ``since`` (default: the window)."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        return 0
    since = since or timezone.now() - window()
    total = (
        AuditEvent.objects.filter(actor_id=actor.pk, action__endswith=READ_ACTION_SUFFIX, at__gte=since)
        .annotate(values=Cast(KeyTextTransform("values", "data"), IntegerField()))
        .aggregate(total=Sum("values"))["total"]
    )
    return total or 0


def record_personal_data_read(actor, action: str, objects: Sequence, fields: Sequence[str]) -> None:
    """Charge ``len(objects) × len(fields)`` values to ``actor``'s budget and record the read, or refuse it.

    Call before decrypting. ``action`` ends with ``.personal_data.read`` (e.g. ``enrolment.personal_data.read``).
    """
    if not action.endswith(READ_ACTION_SUFFIX):
        raise ValueError(f"{action!r} is not a personal data read")
    fields = sorted(set(fields))
    wanted = len(objects) * len(fields)
    if not wanted:
        return
    used, limit = values_read(actor), budget()
    if used + wanted > limit:
        record_event(
            actor,
            EXCEEDED_ACTION,
            None,
            {"action": action, "requested": wanted, "used": used, "budget": limit, "fields": fields},
        )
        hours = window().total_seconds() / 3600
        raise PersonalDataBudgetExceeded(
            f"查看完整身份证号、手机号的次数已达上限（{hours:g} 小时内 {limit} 项），请稍后再试；本次请求已记录"
        )
    record_event(
        actor,
        action,
        objects[0] if len(objects) == 1 else None,
        {"member_ids": [obj.pk for obj in objects], "fields": fields, "values": wanted},
    )
