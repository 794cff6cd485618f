"""Onboarding: provision 20 towns by cloning the template schema and 20 by running every migration, same run.

Two figures per path: the schema step alone (clone vs migrate), and the whole provisioning (schema, seeders, first
admin with an Argon2 password hash, activation). Goal: clone median ≤ 0.5 s per town and ≥ 10× faster than
migrations.
Usage: python bench/onboarding.py [--towns 20]
"""

from __future__ import annotations

import argparse
import time

from _setup import emit, setup, summary, synthetic_townships


def schema_step(townships, by_migrations: bool) -> list[float]:
    """Only the schema: clone the template, or create it and run every migration."""
    from django.db import connection

    from mutualaid.tenants.models import Town
    from mutualaid.tenants.naming import schema_name_for
    from mutualaid.tenants.provisioning import clone_town_schema, migrate_town_schema

    seconds = []
    for township in townships:
        town = Town(code=township.code, schema_name=schema_name_for(township.code))
        started = time.perf_counter()
        (migrate_town_schema if by_migrations else clone_town_schema)(town)
        seconds.append(time.perf_counter() - started)
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA {town.schema_name} CASCADE")
    return seconds


def full_provisioning(townships, by_migrations: bool) -> list[float]:
    from mutualaid.tenants import actions
    from mutualaid.tenants.provisioning import provision_town

    seconds = []
    for township in townships:
        town = actions.request_onboarding(township, enqueue=False)
        started = time.perf_counter()
        provision_town(town.pk, by_migrations=by_migrations)
        seconds.append(time.perf_counter() - started)
        town.refresh_from_db()
        assert town.status == "active", town.error
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--towns", type=int, default=20)
    args = parser.parse_args()
    setup("bench_onboarding")
    n = args.towns
    townships = synthetic_townships("320685", n * 2)
    rows = {
        "schema clone": summary(schema_step(townships[:n], by_migrations=False)),
        "schema migrate": summary(schema_step(townships[n:], by_migrations=True)),
        "provision clone": summary(full_provisioning(townships[:n], by_migrations=False)),
        "provision migrate": summary(full_provisioning(townships[n:], by_migrations=True)),
    }
    print(f"{n} towns per path, seconds per town")
    print(f"{'':<20}{'median':>9}{'mean':>9}{'min':>9}{'max':>9}")
    for name, s in rows.items():
        print(f"{name:<20}{s['median']:>9.3f}{s['mean']:>9.3f}{s['min']:>9.3f}{s['max']:>9.3f}")
    schema_ratio = rows["schema migrate"]["median"] / rows["schema clone"]["median"]
    full_ratio = rows["provision migrate"]["median"] / rows["provision clone"]["median"]
    print(f"schema step: clone {schema_ratio:.1f}× faster; whole provisioning: {full_ratio:.1f}× faster")
    print("goal: clone median ≤ 0.5 s per town and ≥ 10× faster than migrations")
    emit(
        {
            "bench": "onboarding",
            "towns": n,
            "clone_s_per_town": round(rows["provision clone"]["median"], 4),
            "migrate_s_per_town": round(rows["provision migrate"]["median"], 4),
            "ratio": round(full_ratio, 1),
            "schema_clone_s": round(rows["schema clone"]["median"], 4),
            "schema_migrate_s": round(rows["schema migrate"]["median"], 4),
            "schema_ratio": round(schema_ratio, 1),
        }
    )


if __name__ == "__main__":
    main()
