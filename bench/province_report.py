"""The province dashboard from rollups at 10, 200 and 2,000 towns, against a per-schema loop; one town's refresh.

A scratch database on the embedded server. Rollup rows are bulk-inserted for synthetic towns spread over twenty
synthetic counties of 江苏 (the dashboard never enters a town schema). ``provinceDashboard`` is timed through
GraphQL (Django's test client, signed in as the provincial supervisor) at each size: per city, per county and
province totals over every town, and the town lines furthest behind target (``townLimit``, 10 by default so every size renders as many lines). For comparison, the loop a
dashboard without rollups would run: for 10 and 200 real town schemas (cloned from the template, each with a small
generated enrolment), enter each schema and compute participation, the fund summary and the claims figures. Last, a
town with 40,000 people (the 海安 2022 preset published, DRG 1.1 loaded from the reference data) and its rollup
refresh (``refresh_town``), then its background solvency simulation (``reporting.solvency.simulate_town``:
2,000 seeded years of its published table, the run-dry probability the dashboards read beside fund health).

Goal: ≤ 100 ms at 2,000 towns, the 2,000-town time within 1.5× of the 10-town time; a refresh under 200 ms at
40,000 members.
Usage: python bench/province_report.py [--repeat 15] [--loop-people 300] [--members 40000] [--town-limit 10]
       [--dashboards-only]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

from _setup import emit, setup, synthetic_townships

QUERY = """query($limit: Int) { provinceDashboard(provinceCode: "32", schemeYear: 2022, townLimit: $limit) {
  cities { code totals { towns townsBehindTarget } }
  counties { code name totals { towns enrolledPeople eligiblePeople personSharePercent balance } }
  towns { townCode townName behindTarget villageSharePercent householdSharePercent personSharePercent balance
          monthsOfPayoutsCovered decisionDaysMedian decidedWithinLimitPercent runDryProbabilityPercent
          expectedCarryOver solvencyPolicyVersion solvencyComputedAt }
  totals { towns townsBehindTarget enrolledPeople income balance } } }"""


def synthetic_rollups(total: int) -> None:
    """Towns and rollup rows up to ``total`` (bulk), spread over 20 synthetic counties of 南通市."""
    from django.utils import timezone

    from mutualaid.platform.regions.models import City, County
    from mutualaid.reporting import targets
    from mutualaid.reporting.models import TownRollup
    from mutualaid.tenants.models import Town, TownStatus

    city = City.objects.get(code="3206")
    counties = [
        County.objects.get_or_create(code=f"3206{50 + n:02d}", defaults={"name": f"基准{n}县", "city": city})[
            0
        ]
        for n in range(20)
    ]
    have = Town.objects.filter(county__in=counties).count()
    rows = []
    for n in range(have, total):
        county = counties[n % 20]
        code = f"{county.code}{100 + n // 20:03d}"
        rows.append(
            Town(
                code=code,
                name=f"基准{n}镇",
                slug=f"b{code}",
                schema_name=f"bench_{code}",
                county=county,
                status=TownStatus.SUSPENDED,  # no schema: nightly tasks leave it alone
            )
        )
    towns = Town.objects.bulk_create(rows)
    now = timezone.now()
    TownRollup.objects.bulk_create(
        [
            TownRollup(
                town=town, county=town.county, province_code="32", scheme_year=2022, as_of=date(2023, 3, 1),
                computed_at=now, has_policy=True, villages=12, villages_joined=4 + i % 6, eligible_people=30000,
                enrolled_people=12000 + 97 * (i % 70), eligible_households=9000, enrolled_households=4000,
                eligible_households_in_joined=5000, enrolled_households_in_joined=1400 + i % 300,
                income_fen=2_000_000_00, balance_fen=1_500_000_00, subsidies_fen=600_000_00, payout_months=5,
                policy_village_target_bp=5000, policy_household_target_bp=3000, claims_decided=120,
                claims_by_state={"approved": 80, "paid": 40}, decided_within_limit_bp=9400,
                run_dry_bp=(37 * i) % 3000, expected_carry_over_fen=300_000_00, solvency_policy_version=1,
                solvency_computed_at=now,
            )
            for i, town in enumerate(towns)
        ]
    )  # fmt: skip
    targets.apply(TownRollup.objects.filter(town__in=towns))  # the targets in force, as a refresh writes them


def time_query(client, repeat: int, limit: int) -> float:
    timings = []
    for _ in range(repeat + 2):
        started = time.perf_counter()
        body = {"query": QUERY, "variables": {"limit": limit}}
        response = client.post("/graphql/", body, content_type="application/json")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and "errors" not in response.json(), response.content[:500]
    return statistics.median(timings[2:])


def real_towns(count: int, people: int) -> list:
    """``count`` town schemas (cloned) with a small generated enrolment by the 海安 preset's terms."""
    from django.db import connection

    from mutualaid.enrolment import demo as enrolment_demo
    from mutualaid.platform.schemas import town_schema
    from mutualaid.tenants.models import Town, TownStatus
    from mutualaid.tenants.naming import schema_name_for
    from mutualaid.tenants.provisioning import clone_town_schema

    towns = []
    for township in synthetic_townships("320685", count):
        town, created = Town.objects.get_or_create(
            code=township.code,
            defaults={
                "name": township.name,
                "slug": f"l{township.code}",
                "schema_name": schema_name_for(township.code),
                "county": township.county,
                "status": TownStatus.ACTIVE,
            },
        )
        if created:
            clone_town_schema(town)
            with town_schema(town):
                enrolment_demo.load_town(town.code, enrolment_demo.demo_terms(town), seed=1, people=people)
        towns.append(town)
    connection.set_schema_to_public()
    return towns


def loop_ms(towns) -> float:
    """What a dashboard without rollups does: every town's own queries, schema by schema."""
    from django.utils import timezone

    from mutualaid.enrolment.demo import demo_terms
    from mutualaid.enrolment.participation import participation
    from mutualaid.funds.ledger import year_summary
    from mutualaid.platform.schemas import town_schema
    from mutualaid.reporting.sources import claim_figures

    started = time.perf_counter()
    for town in towns:
        with town_schema(town):
            participation(demo_terms(town))
            year_summary(2022)
            claim_figures(2022, timezone.localdate())
    return (time.perf_counter() - started) * 1000


def big_town(members: int, repeat: int) -> tuple[float, int, float, object]:
    from mutualaid.drg.demo import reference_data_dir
    from mutualaid.drg.importer import import_catalogue
    from mutualaid.drg.models import CatalogueVersion
    from mutualaid.enrolment import demo as enrolment_demo
    from mutualaid.enrolment.models import Member
    from mutualaid.platform.schemas import town_schema
    from mutualaid.policies.actions import apply_preset
    from mutualaid.policies.selectors import enrolment_terms
    from mutualaid.reporting.refresh import refresh_town
    from mutualaid.reporting.solvency import simulate_town
    from mutualaid.tenants.models import Town, TownStatus
    from mutualaid.tenants.naming import schema_name_for
    from mutualaid.tenants.provisioning import clone_town_schema

    if not CatalogueVersion.objects.filter(code="chs-drg-1.1").exists():
        import_catalogue("chs-drg-1.1", reference_data_dir() / "drg" / "chs-drg-1.1")
    township = synthetic_townships("320685", 1, start=990)[0]
    town = Town.objects.create(
        code=township.code,
        name="四万人镇",
        slug=f"big{township.code}",
        schema_name=schema_name_for(township.code),
        county=township.county,
        status=TownStatus.ACTIVE,
    )
    clone_town_schema(town)
    with town_schema(town):
        apply_preset("haian-2022", None, publish=True, town_code=town.code)
        enrolment_demo.load_town(town.code, enrolment_terms(2022), seed=2, people=members)
        count = Member.objects.count()
    refresh_town(town)  # warm
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        refresh_town(town)
        timings.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    simulated = simulate_town(town, 2022)  # the background task's body, not part of the refresh
    simulate_ms = (time.perf_counter() - started) * 1000
    return statistics.median(timings), count, simulate_ms, simulated.get(2022)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--loop-people", type=int, default=300)
    parser.add_argument("--members", type=int, default=40000)
    parser.add_argument(
        "--town-limit", type=int, default=10, help="town lines asked for (furthest behind first)"
    )
    parser.add_argument(
        "--dashboards-only", action="store_true", help="skip the per-schema loop and the refresh"
    )
    args = parser.parse_args()
    setup("bench_province_report")
    from django.test import Client

    from mutualaid.platform.accounts.models import RoleAssignment, User
    from mutualaid.platform.accounts.roles import Role
    from mutualaid.platform.regions.models import Province

    user = User.objects.create(username="bench_province")
    RoleAssignment.objects.create(
        user=user, role=Role.PROVINCE_SUPERVISOR, province=Province.objects.get(code="32")
    )
    client = Client()
    client.force_login(user)
    result: dict = {}
    for size in (10, 200, 2000):
        synthetic_rollups(size)
        result[f"ms_{size}"] = round(time_query(client, args.repeat, args.town_limit), 1)
        print(
            f"provinceDashboard, {size:>5} towns, {args.town_limit} town lines: {result[f'ms_{size}']:8.1f} ms "
            f"(median of {args.repeat})"
        )
    result["town_limit"] = args.town_limit
    result["ratio_2000_10"] = round(result["ms_2000"] / result["ms_10"], 2)
    if args.dashboards_only:
        emit(result)
        return
    for size in (10, 200):
        towns = real_towns(size, args.loop_people)
        result[f"loop_ms_{size}"] = round(loop_ms(towns), 1)
        print(f"per-schema loop, {size:>5} towns: {result[f'loop_ms_{size}']:8.1f} ms")
    refresh_ms, members, simulate_ms, run_dry = big_town(args.members, 5)
    result["refresh_ms"] = round(refresh_ms, 1)
    result["refresh_members"] = members
    result["solvency_simulate_ms"] = round(simulate_ms, 1)
    result["run_dry_bp"] = run_dry
    print(f"refresh_town, {members} members: {refresh_ms:.1f} ms (median of 5)")
    print(f"background solvency simulation (2,000 years): {simulate_ms:.1f} ms, run-dry {run_dry} bp")
    result["goal_met"] = result["ms_2000"] <= 100 and result["ratio_2000_10"] <= 1.5 and refresh_ms < 200
    emit(result)


if __name__ == "__main__":
    main()
