"""mutualaid migrate over already-migrated towns: the stale-schema check is one query, so a no-op run is quick.

Goal: ≤ 10 s in all for 200 towns. Usage: python bench/migrate_towns.py [--towns 200]
"""

from __future__ import annotations

import argparse
import io
import time

from _setup import emit, setup, synthetic_townships


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--towns", type=int, default=200)
    args = parser.parse_args()
    setup("bench_migrate")
    from django.core.management import call_command

    from mutualaid.tenants import actions
    from mutualaid.tenants.provisioning import provision_town

    started = time.perf_counter()
    for township in synthetic_townships("320685", args.towns):
        provision_town(actions.request_onboarding(township, enqueue=False).pk)
    made = time.perf_counter() - started
    print(f"onboarded {args.towns} towns by cloning in {made:.1f} s")

    out = io.StringIO()
    started = time.perf_counter()
    call_command("migrate_all", no_progress=True, stdout=out)
    elapsed = time.perf_counter() - started
    print(out.getvalue().strip())
    print(f"{'towns':<8}{'migrate s (all)':>18}{'s per town':>14}{'goal s':>10}")
    print(f"{args.towns:<8}{elapsed:>18.2f}{elapsed / args.towns:>14.4f}{10:>10}")
    emit(
        {
            "bench": "migrate_towns",
            "towns": args.towns,
            "migrate_s": round(elapsed, 3),
            "s_per_town": round(elapsed / args.towns, 5),
            "goal_s": 10,
        }
    )


if __name__ == "__main__":
    main()
