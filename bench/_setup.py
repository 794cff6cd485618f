"""Shared set-up for benchmarks: a scratch database on the embedded server, migrated, with seed regions."""

from __future__ import annotations

import json
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def setup(database: str) -> None:
    """Point Django at a fresh scratch database (embedded server) unless DATABASE_URL is set, then migrate."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualaid.project.settings")
    if not os.environ.get("DATABASE_URL"):
        os.environ["MUTUALAID_DATABASE_NAME"] = database
        from mutualaid.project.embedded import drop_embedded_database

        drop_embedded_database(database)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate_all", no_progress=True, verbosity=0)
    from mutualaid.platform.regions.importer import ensure_seed_regions

    ensure_seed_regions()


def synthetic_townships(county_code: str, count: int, start: int = 500) -> list:
    """Township rows under a county with codes no real town uses (…500 onwards)."""
    from mutualaid.platform.regions.models import County, Township

    county = County.objects.get(code=county_code)
    rows = [
        Township(code=f"{county_code}{start + i:03d}", name=f"基准{i}镇", county=county) for i in range(count)
    ]
    Township.objects.bulk_create(rows, ignore_conflicts=True)
    return list(
        Township.objects.filter(code__in=[r.code for r in rows]).select_related("county").order_by("code")
    )


def summary(seconds: list[float]) -> dict:
    return {
        "median": statistics.median(seconds),
        "mean": statistics.fmean(seconds),
        "min": min(seconds),
        "max": max(seconds),
    }


def emit(result: dict) -> None:
    print(json.dumps(result, ensure_ascii=False))
