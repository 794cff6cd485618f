"""Onboarding: provision 20 towns by cloning the template schema and 20 by running every migration, same run.

Goal: clone median ≤ 0.5 s per town and at least 10× faster than migrations.
Usage: python bench/onboarding.py [--towns 20]
"""

from __future__ import annotations

import argparse
import time

from _setup import emit, setup, summary, synthetic_townships


def provision_all(townships, by_migrations: bool) -> list[float]:
    from mutualaid.tenants import actions
    from mutualaid.tenants.models import Town
    from mutualaid.tenants.provisioning import provision_town

    seconds = []
    for township in townships:
        town = actions.request_onboarding(township, enqueue=False)
        started = time.perf_counter()
        provision_town(town.pk, by_migrations=by_migrations)
        seconds.append(time.perf_counter() - started)
        assert Town.objects.get(pk=town.pk).status == "active", Town.objects.get(pk=town.pk).error
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--towns", type=int, default=20)
    args = parser.parse_args()
    setup("bench_onboarding")
    townships = synthetic_townships("320685", args.towns * 2)
    clone = summary(provision_all(townships[: args.towns], by_migrations=False))
    migrate = summary(provision_all(townships[args.towns :], by_migrations=True))
    ratio = migrate["median"] / clone["median"]
    print(f"{'towns':<10}{'clone s/town':>16}{'migrate s/town':>18}")
    for key in ("median", "mean", "min", "max"):
        print(f"{key:<10}{clone[key]:>16.3f}{migrate[key]:>18.3f}")
    print(f"clone is {ratio:.1f}× faster than migrations (median); goal: ≤ 0.5 s and ≥ 10×")
    emit(
        {
            "bench": "onboarding",
            "towns": args.towns,
            "clone_s_per_town": round(clone["median"], 4),
            "migrate_s_per_town": round(migrate["median"], 4),
            "ratio": round(ratio, 1),
        }
    )


if __name__ == "__main__":
    main()
