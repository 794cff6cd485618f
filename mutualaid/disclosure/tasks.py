"""Celery tasks of disclosures. The monthly task runs from ``celery beat`` on the 2nd (after payouts' batch on the
1st) in the public schema and drafts last month's disclosure inside each active town's schema; drafting is
idempotent (one disclosure per town and month), so a double fire or a redelivered message drafts nothing twice."""

from __future__ import annotations

from datetime import date

from celery import shared_task
from django_tenants.utils import tenant_context

from mutualaid.disclosure import actions, rules
from mutualaid.tenants.models import Town, TownStatus


@shared_task(name="disclosure.draft_monthly_disclosures", bind=True, max_retries=3, default_retry_delay=300)
def draft_monthly_disclosures(self, month: str | None = None) -> dict[str, str]:
    """Last month's draft (or ``month``, ``YYYY-MM``) in every active town: ``created`` or ``exists``."""
    when = rules.parse_month(month) if month else rules.previous_month(actions.today())
    outcome: dict[str, str] = {}
    for town in Town.objects.filter(status=TownStatus.ACTIVE).order_by("code"):
        with tenant_context(town):
            try:
                _, created = actions.generate_draft(when, actor=None)
            except Exception as exc:  # one town's failure must not stop the others
                outcome[town.code] = f"error: {exc}"[:200]
                continue
        outcome[town.code] = "created" if created else "exists"
    return outcome


def month_of(value: date) -> str:
    return f"{value:%Y-%m}"
