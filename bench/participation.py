"""``participation(schemeYear)`` with ``byVillage`` for a town of 40,000 members (issue 22 item 16).

A scratch database on the embedded server; one town cloned from the template, the 海安 2022 preset published and
a generated roster of ``--members`` people enrolled and paid as the enrolment demo does. The query is timed through
GraphQL (Django's test client; DRG 1.1 loaded from the reference data to publish the preset, signed in as the town admin), after one warm-up request; p50 and p95 over
``--repeat`` requests; the domain function ``participation()`` alone is timed too.

Goal: ≤ 50 ms p50 at 40,000 members.
Usage: python bench/participation.py [--members 40000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import statistics
import time

from _setup import emit, setup, synthetic_townships

QUERY = """query { participation(schemeYear: 2022) {
  villages villagesJoined eligiblePeople eligibleHouseholds enrolledPeople enrolledHouseholds
  eligibleHouseholdsInJoined enrolledHouseholdsInJoined
  villageShare { shareBp met } householdShareInJoined { shareBp met } personShare { shareBp met }
  byVillage { code name joined eligiblePeople eligibleHouseholds enrolledPeople enrolledHouseholds } } }"""


def town_of(members: int):
    from mutualaid.drg.demo import reference_data_dir
    from mutualaid.drg.importer import import_catalogue
    from mutualaid.drg.models import CatalogueVersion
    from mutualaid.enrolment import demo as enrolment_demo
    from mutualaid.enrolment.models import Member
    from mutualaid.platform.schemas import town_schema
    from mutualaid.policies.actions import apply_preset
    from mutualaid.policies.selectors import enrolment_terms
    from mutualaid.tenants.models import Town, TownStatus
    from mutualaid.tenants.naming import schema_name_for
    from mutualaid.tenants.provisioning import clone_town_schema

    if not CatalogueVersion.objects.filter(code="chs-drg-1.1").exists():
        import_catalogue("chs-drg-1.1", reference_data_dir() / "drg" / "chs-drg-1.1")
    township = synthetic_townships("320685", 1, start=991)[0]
    town = Town.objects.create(
        code=township.code,
        name="四万人镇",
        slug=f"part{township.code}",
        schema_name=schema_name_for(township.code),
        county=township.county,
        status=TownStatus.ACTIVE,
    )
    clone_town_schema(town)
    with town_schema(town):
        apply_preset("haian-2022", None, publish=True, town_code=town.code)
        enrolment_demo.load_town(town.code, enrolment_terms(2022), seed=2, people=members)
        count = Member.objects.count()
    return town, count


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--members", type=int, default=40000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    setup("bench_participation")
    from django.db import connection
    from django.test import Client

    from mutualaid.enrolment.participation import participation
    from mutualaid.platform.accounts.models import RoleAssignment, User
    from mutualaid.platform.accounts.roles import Role
    from mutualaid.platform.schemas import town_schema
    from mutualaid.policies.selectors import enrolment_terms

    started = time.perf_counter()
    town, members = town_of(args.members)
    print(f"town of {members} members ready in {time.perf_counter() - started:.0f} s")
    with town_schema(town):
        connection.cursor().execute("ANALYZE")
        terms = enrolment_terms(2022)
        participation(terms, by_village=True)
        domain = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            found = participation(terms, by_village=True)
            domain.append((time.perf_counter() - started) * 1000)
    connection.set_schema_to_public()
    user = User.objects.create(username="bench_participation")
    RoleAssignment.objects.create(user=user, role=Role.TOWN_ADMIN, town=town)
    client = Client()
    client.force_login(user)
    url = f"/t/{town.code}/graphql/"

    def ask() -> dict:
        response = client.post(url, {"query": QUERY}, content_type="application/json")
        body = response.json()
        assert "errors" not in body, body
        return body["data"]["participation"]

    data = ask()  # warm
    api = []
    for _ in range(args.repeat):
        started = time.perf_counter()
        ask()
        api.append((time.perf_counter() - started) * 1000)
    p50, p95 = statistics.median(api), percentile(api, 0.95)
    print(
        f"participation byVillage, {members} members, {len(data['byVillage'])} villages, "
        f"{data['enrolledPeople']} enrolled: API p50 {p50:.1f} ms, p95 {p95:.1f} ms; "
        f"domain p50 {statistics.median(domain):.1f} ms (of {args.repeat})"
    )
    emit(
        {
            "bench": "participation",
            "members": members,
            "villages": len(data["byVillage"]),
            "enrolled_people": found.enrolled_people,
            "api_p50_ms": round(p50, 1),
            "api_p95_ms": round(p95, 1),
            "domain_p50_ms": round(statistics.median(domain), 1),
            "goal_met": p50 <= 50,
        }
    )


if __name__ == "__main__":
    main()
