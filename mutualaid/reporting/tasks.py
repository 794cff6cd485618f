"""Celery tasks of reporting: the coalesced refresh of one town, the nightly refresh of every town, the monthly
snapshot for trends and the quarterly report reminders. All run in the public schema and are idempotent."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from mutualaid.reporting import actions, refresh
from mutualaid.reporting.models import RollupKind
from mutualaid.tenants.models import Town, TownStatus


@shared_task(name="reporting.refresh_town_rollup", bind=True, max_retries=3, default_retry_delay=60)
def refresh_town_rollup(self, town_code: str) -> bool:
    return refresh.run_requested(town_code)


def _each_town(work) -> dict[str, str]:
    outcome: dict[str, str] = {}
    for town in Town.objects.filter(status=TownStatus.ACTIVE).order_by("code"):
        try:
            work(town)
        except Exception as exc:  # one town's failure must not stop the others
            outcome[town.code] = f"error: {exc}"[:200]
            continue
        outcome[town.code] = "ok"
    return outcome


@shared_task(name="reporting.refresh_all_rollups")
def refresh_all_rollups() -> dict[str, str]:
    """Nightly: every active town's current rows."""
    return _each_town(lambda town: refresh.refresh_town(town))


@shared_task(name="reporting.monthly_snapshots")
def monthly_snapshots(month_end: str | None = None) -> dict[str, str]:
    """On the 1st: every town's figures as of the last day of the previous month, kept for trends."""
    end = (
        date.fromisoformat(month_end)
        if month_end
        else timezone.localdate().replace(day=1) - timedelta(days=1)
    )
    return _each_town(lambda town: refresh.refresh_town(town, as_of=end, kind=RollupKind.MONTHLY))


@shared_task(name="reporting.quarterly_report_reminders")
def quarterly_report_reminders(on: str | None = None) -> dict[str, int]:
    """Daily: an SMS to the admins of each town whose quarterly report is due within five days or late."""
    return actions.send_report_reminders(date.fromisoformat(on) if on else timezone.localdate())
