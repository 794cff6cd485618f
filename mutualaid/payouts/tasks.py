"""Celery tasks of payouts. The monthly task runs from ``celery beat`` on the 1st (Asia/Shanghai) in the public
schema and prepares each active town's batch inside that town's schema; preparing is idempotent (one batch per
town and month), so a second run, a double fire of beat or a redelivered message makes no second batch."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django_tenants.utils import tenant_context

from mutualaid.payouts import actions


@shared_task(name="payouts.prepare_monthly_batches", bind=True, max_retries=3, default_retry_delay=300)
def prepare_monthly_batches(self, month: str | None = None) -> dict[str, str]:
    """This month's batch (or ``month``, ``YYYY-MM-01``) in every active town: ``created`` or ``exists``."""
    from mutualaid.tenants.models import Town, TownStatus

    when = date.fromisoformat(month) if month else None
    outcome: dict[str, str] = {}
    for town in Town.objects.filter(status=TownStatus.ACTIVE).order_by("code"):
        with tenant_context(town):
            try:
                _, created = actions.gather_batch(when, actor=None)
            except Exception as exc:  # one town's failure must not stop the others; it is retried
                outcome[town.code] = f"error: {exc}"[:200]
                continue
        outcome[town.code] = "created" if created else "exists"
    return outcome
