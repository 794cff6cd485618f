"""Seed a local stack's town with approved, unpaid claims for the payout fault runs (tests/stack, bench/faults.py):
``bench/payout_batch.py``'s seeding (members, enrolments, claims approved on ``--decided``, their payables and the
money in the bank) written straight into the town's schema. Run with the stack's environment (its DATABASE_URL
and FIELD_ENCRYPTION_KEY, from stack.json's ``env``), as ``deploy/local-stack`` runs ``stack_bootstrap.py``.

    python deploy/stack_seed_claims.py TOWN_CODE --claims 2000 --decided 2026-11-15

Refuses a town that is not active or already has claims. Prints one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("town")
    parser.add_argument("--claims", type=int, required=True)
    parser.add_argument(
        "--decided", type=date.fromisoformat, required=True, help="the approval day (Shanghai)"
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualaid.project.settings")
    sys.path[:0] = [str(REPO), str(REPO / "bench")]
    import django

    django.setup()
    from django.db import connection
    from payout_batch import SHANGHAI, seed_approved_claims

    from mutualaid.claims.models import Claim
    from mutualaid.tenants.models import Town, TownStatus

    town = Town.objects.get(code=args.town)
    if town.status != TownStatus.ACTIVE:
        raise SystemExit(f"{args.town} is {town.status}, not active")
    connection.set_tenant(town)
    if Claim.objects.exists():
        raise SystemExit(f"{args.town} already has claims")
    decided = datetime.combine(args.decided, datetime.min.time(), SHANGHAI).replace(hour=10)
    total = seed_approved_claims(
        args.claims,
        town_code=town.code,
        scheme_year=args.decided.year,
        decided=decided,
        grant_on=args.decided.replace(day=1),
    )
    return {"town": town.code, "schema": town.schema_name, "claims": args.claims, "total_fen": total,
            "scheme_year": args.decided.year}  # fmt: skip


if __name__ == "__main__":
    print(json.dumps(main()))
