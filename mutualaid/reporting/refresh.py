"""Refreshing the public rollups from a town's own figures, and coalescing the requests to do so.

``refresh_town(town)`` reads the town's schema (``sources``) and writes its ``current`` row per scheme year; with
``kind=monthly`` it writes the month-end snapshot kept for trends. Requests to refresh are coalesced by
``signals.request_refresh``; ``run_requested`` is the task's body.
"""

from __future__ import annotations

from datetime import date

from django.utils import timezone

from mutualaid.platform.schemas import town_schema
from mutualaid.reporting import solvency, sources, targets
from mutualaid.reporting.models import RefreshRequest, RollupKind, TownRollup
from mutualaid.tenants.models import Town


def refresh_town(
    town: Town, *, as_of: date | None = None, kind: str = RollupKind.CURRENT
) -> list[TownRollup]:
    """Recompute the town's rows (one per scheme year) from its own schema."""
    as_of = as_of or timezone.localdate()
    with town_schema(town):
        figures = [sources.town_figures(year, as_of) for year in sources.scheme_years()]
    simulated = solvency.stored_by_year(town)  # the latest simulation's figure: never simulated here
    rows = []
    for found in figures:
        values = {
            **found.as_fields(),
            **solvency.rollup_fields(simulated.get(found.scheme_year)),
            "county_id": town.county_id,
            "province_code": town.code[:2],
            "computed_at": timezone.now(),
            "as_of": as_of,
        }
        if kind == RollupKind.CURRENT:
            row, _ = TownRollup.objects.update_or_create(
                town=town, scheme_year=found.scheme_year, kind=kind, defaults=values
            )
        else:
            row, _ = TownRollup.objects.update_or_create(
                town=town, scheme_year=found.scheme_year, kind=kind, as_of=as_of, defaults=values
            )
        rows.append(row)
    targets.apply(TownRollup.objects.filter(pk__in=[r.pk for r in rows]))
    return rows


def run_requested(town_code: str) -> bool:
    """The task's body: take the request (later changes make a new one) and refresh; False for unknown towns."""
    RefreshRequest.objects.filter(town_code=town_code).delete()
    town = Town.objects.filter(code=town_code, status="active").first()
    if town is None:
        return False
    refresh_town(town)
    return True
