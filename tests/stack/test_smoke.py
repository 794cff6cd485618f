"""Smoke run of the production path, over HTTP only: a county bureau onboards a town (the provisioning task runs
on a Celery worker through Redis), the town admin signs in with the password from the SMS, publishes the
policy, imports a roster (a worker again), enrols households and records their contributions; the fund balances
and the county sees the town. Towns stay apart."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.stack.harness import (
    create_village,
    enrol,
    fund_summary,
    household_ids,
    onboard_town,
    publish_policy,
    record_contribution,
    roster_csv,
    start_import,
    trial_balance,
    wait_import,
)

pytestmark = pytest.mark.stack
DAGONG, XINSHENG = "320685107", "500152116"


def test_a_town_from_onboarding_to_a_balanced_fund(stack, haian, tongnan):
    admin = onboard_town(stack, haian, DAGONG)
    year = publish_policy(admin, DAGONG)

    village = f"{DAGONG}201"
    create_village(admin, DAGONG, village)
    job = wait_import(admin, DAGONG, start_import(admin, DAGONG, roster_csv(village, households=40)))
    assert job == {
        "status": "DONE", "rowsTotal": 120, "rowsDone": 120, "createdCount": 120, "updatedCount": 0,
        "unchangedCount": 0, "errorCount": 0,
    }  # fmt: skip
    # The same file again changes nothing.
    again = wait_import(admin, DAGONG, start_import(admin, DAGONG, roster_csv(village, households=40)))
    assert (again["status"], again["unchangedCount"], again["createdCount"]) == ("DONE", 120, 0)

    households = household_ids(admin, DAGONG, village)
    assert len(households) == 40
    enrolments = enrol(admin, DAGONG, year, households[:10])
    assert [e["memberCount"] for e in enrolments] == [3] * 10
    paid = [
        record_contribution(admin, DAGONG, e["id"], f"SMOKE-{n:03d}") for n, e in enumerate(enrolments[:7])
    ]
    received = sum(Decimal(c["amount"]) for c in paid)
    assert received == sum(Decimal(e["due"]) for e in enrolments[:7]) > 0

    summary = fund_summary(admin, DAGONG, year)
    assert Decimal(summary["bank"]) == Decimal(summary["income"]) == received
    assert sum(Decimal(s["amount"]) for s in summary["incomeBySource"]) == received
    balance = trial_balance(admin, DAGONG, year)
    assert balance["balanced"] and Decimal(balance["totalDebit"]) == Decimal(balance["totalCredit"])

    # The county bureau sees its active town; the other county's bureau does not.
    seen = haian.gql("query($c: String!) { town(code: $c) { status } }", {"c": DAGONG}).data("town")
    assert seen == {"status": "ACTIVE"}
    other = tongnan.gql("query($c: String!) { town(code: $c) { status } }", {"c": DAGONG})
    assert other.status == 200 and (other.body.get("data") or {}).get("town") is None

    # Another town's admin cannot read this town.
    xinsheng_admin = onboard_town(stack, tongnan, XINSHENG)
    foreign = xinsheng_admin.gql(
        "query($y: Int!) { fundSummary(schemeYear: $y) { bank } }", {"y": year}, town=DAGONG
    )
    assert foreign.status in (200, 403) and not (foreign.body.get("data") or {}).get("fundSummary")


def test_production_settings_are_in_force(stack):
    env = stack.info["env"]
    assert env["MUTUALAID_ENV"] == "production"
    assert (
        env["DATABASE_URL"]
        .split("@")[1]
        .startswith(f"127.0.0.1:{stack.info['services']['pgbouncer']['port']}/")
    )
    assert env["CELERY_BROKER_URL"].startswith("redis://")
    assert {name for name in stack.info["services"]} == {
        "postgres", "pgbouncer", "redis", "web", "worker1", "worker2", "beat",
    }  # fmt: skip
    # DEBUG is off: an unknown page is a plain 404, not Django's technical page.
    from tests.stack.harness import Client

    reply = Client(stack.url).post("/no-such-page/", {})
    assert reply.status == 404 and "Traceback" not in str(reply.body)
