"""Celery tasks of reporting: the coalesced refresh of one town, the nightly refresh of every town (each town's
solvency simulation enqueued after it), the monthly snapshot for trends, the quarterly report reminders and the
solvency simulation of one town. All start in the public schema and are idempotent."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.utils import timezone

from mutualaid.reporting import actions, refresh, solvency
from mutualaid.reporting.models import RollupKind, SolvencySource
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


@shared_task(name="reporting.simulate_town_solvency", bind=True, max_retries=2, default_retry_delay=300)
def simulate_town_solvency(
    self, town_id: int, scheme_year: int | None = None, source: str = SolvencySource.NIGHTLY
) -> dict:
    """The run-dry probability of the town's published policy (of ``scheme_year``, else of every year with one),
    simulated in the town's schema and stored beside its rollup; seeded, so running it again changes nothing."""
    town = Town.objects.filter(pk=town_id, status=TownStatus.ACTIVE).first()
    if town is None:
        return {}
    return solvency.simulate_town(town, scheme_year, source=source)


def _refresh_and_simulate(town: Town) -> None:
    refresh.refresh_town(town)
    # The simulation is its own task (seconds for a large town): the refresh itself stays fast.
    simulate_town_solvency.apply_async(args=[town.pk])


@shared_task(name="reporting.refresh_all_rollups")
def refresh_all_rollups() -> dict[str, str]:
    """Nightly: every active town's current rows, then its solvency simulation (a task per town)."""
    return _each_town(_refresh_and_simulate)


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
