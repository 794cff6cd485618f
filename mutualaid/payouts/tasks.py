"""Celery tasks of payouts. The monthly task runs from ``celery beat`` on the 1st (Asia/Shanghai) in the public
schema and prepares each active town's batch inside that town's schema; preparing is idempotent (one batch per
town and month), so a second run, a double fire of beat or a redelivered message makes no second batch."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django.core.exceptions import ValidationError
from django_tenants.utils import tenant_context

from mutualaid.claims import selectors as claim_selectors
from mutualaid.payouts import actions, rules


@shared_task(name="payouts.prepare_monthly_batches", bind=True, max_retries=3, default_retry_delay=300)
def prepare_monthly_batches(self, month: str | None = None) -> dict[str, str]:
    """This month's batch (or ``month``, ``YYYY-MM-01``) in every active town: ``created``, ``exists``, or the
    town's refusal. A town that failed for any other reason (the database went away mid-run) does not stop the
    others; the task is then retried for the same month, where the towns already done answer ``exists``."""
    from mutualaid.tenants.models import Town, TownStatus

    when = date.fromisoformat(month) if month else rules.month_start(claim_selectors.today())
    outcome: dict[str, str] = {}
    failed = False
    for town in Town.objects.filter(status=TownStatus.ACTIVE).order_by("code"):
        with tenant_context(town):
            try:
                _, created = actions.gather_batch(when, actor=None)
            except ValidationError as exc:  # the town's own refusal: retrying would not change it
                outcome[town.code] = f"refused: {'; '.join(exc.messages)}"[:200]
                continue
            except Exception as exc:
                outcome[town.code] = f"error: {exc}"[:200]
                failed = True
                continue
        outcome[town.code] = "created" if created else "exists"
    if failed:
        raise self.retry(kwargs={"month": when.isoformat()}, exc=RuntimeError(str(outcome)[:500]))
    return outcome
