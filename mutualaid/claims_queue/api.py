"""The queue's API for the claims app (writes, from inside a town's schema: the table lives in public, which is
on every town's search path) and for the platform API (the reviewer's queue, one query).

    sync(town_code, claim_id, *, state, submitted_at, due_date, open) -> None
    queue_for(user) -> QuerySet[QueueEntry]
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection
from django.db.models import QuerySet

from mutualaid.claims_queue.models import QueueEntry
from mutualaid.platform.accounts.models import RoleAssignment
from mutualaid.platform.accounts.roles import Role
from mutualaid.tenants.models import Town


def sync(
    town_code: str,
    claim_id: int,
    *,
    state: str,
    submitted_at: datetime | None,
    due_date: date | None,
    open: bool,
) -> None:
    """Keep the claim's row: present with its state and due date while a reviewer has to act, gone after."""
    town_id = Town.objects.filter(code=town_code).values_list("pk", flat=True).first()
    if town_id is None:  # a schema without its town row (a throw-away test schema)
        return
    if not open or submitted_at is None or due_date is None:
        with connection.cursor() as cursor:  # one statement (Django's delete() selects the rows first)
            cursor.execute(
                f"DELETE FROM {QueueEntry._meta.db_table} WHERE town_id = %s AND claim_id = %s",
                [town_id, claim_id],
            )
        return
    QueueEntry.objects.update_or_create(
        town_id=town_id,
        claim_id=claim_id,
        defaults={"state": state, "submitted_at": submitted_at, "due_date": due_date},
    )


def remove(town_code: str, claim_ids: list[int]) -> None:
    """Drop the rows of claims that left the open states (one statement)."""
    town_id = Town.objects.filter(code=town_code).values_list("pk", flat=True).first()
    if town_id is None or not claim_ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"DELETE FROM {QueueEntry._meta.db_table} WHERE town_id = %s AND claim_id = ANY(%s)",
            [town_id, list(claim_ids)],
        )


def queue_for(user) -> QuerySet[QueueEntry]:
    """The open claims of every town the user's firms serve, by due date: one query (platform staff see all)."""
    entries = QueueEntry.objects.select_related("town")
    if user is not None and user.is_authenticated and user.is_staff:
        return entries.order_by("due_date", "submitted_at", "id")
    if user is None or not user.is_authenticated:
        return entries.none()
    firms = RoleAssignment.objects.filter(user_id=user.pk, role=Role.FIRM_REVIEWER, firm__isnull=False)
    return (
        entries.filter(town__service_firms__in=firms.values("firm_id"))
        .distinct()
        .order_by("due_date", "submitted_at", "id")
    )
