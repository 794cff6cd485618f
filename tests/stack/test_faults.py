"""Faults on the real stack, fast enough for every CI run: a Celery pool process SIGKILLed in the middle of a
roster import, and in the middle of a town's monthly payout batch. With task_acks_late and
task_reject_on_worker_lost the message goes back to Redis, a worker runs it again from the start, and the town
ends with exactly the rows of an undisturbed run — once. PostgreSQL stopped under requests answers a typed 503.
(bench/faults.py runs these and the Redis restart with figures.)"""

from __future__ import annotations

import os
import signal
import time
from datetime import timedelta

import pytest

from tests.stack.harness import (
    counts_in_village,
    create_village,
    kill_mid_batch,
    kill_mid_import,
    ledger,
    members_held,
    onboard_town,
    payout_batches,
    payout_figures,
    roster_csv,
    seed_approved_claims,
    send_task,
    shanghai_today,
    stack_db,
    start_import,
    task_log,
    town_schema,
    wait_import,
    wait_task_done,
)

pytestmark = pytest.mark.stack
YAZHOU = "320685109"
HOUSEHOLDS, SIZE = 10_000, 3  # big enough that the kill lands mid-import on a quiet machine too
CALM, HIT = (
    "320685100",
    "320685101",
)  # 海安镇 (an undisturbed batch), 城东镇 (the batch whose worker is killed)
CLAIMS = 2_000


def test_a_worker_killed_mid_import_is_redelivered_and_completes_once(stack, haian):
    admin = onboard_town(stack, haian, YAZHOU)
    village = f"{YAZHOU}201"
    create_village(admin, YAZHOU, village)
    with members_held(stack, YAZHOU):  # the import waits mid-way: the kill lands there on any machine
        job_id = start_import(admin, YAZHOU, roster_csv(village, households=HOUSEHOLDS, size=SIZE))
        killed = kill_mid_import(stack, admin, YAZHOU, job_id)
    assert killed["status_when_killed"] == "RUNNING", killed  # really in the middle
    job = wait_import(admin, YAZHOU, job_id)

    rows = HOUSEHOLDS * SIZE
    assert job["status"] == "DONE" and job["errorCount"] == 0, job
    assert job["rowsTotal"] == job["rowsDone"] == rows
    # Rows the killed run had committed are found unchanged by the redelivered run; together: every row once.
    assert job["createdCount"] + job["unchangedCount"] == rows and job["updatedCount"] == 0
    assert counts_in_village(admin, YAZHOU, village) == {"households": HOUSEHOLDS, "members": rows}
    log = task_log(stack, killed["id"])
    assert log["received"] == 2 and log["succeeded"] == 1, log


def test_a_worker_killed_mid_payout_batch_is_redelivered_and_makes_one_whole_batch(stack, haian):
    """Two towns with the same 2,000 claims approved last month. The monthly batch task, sent through Redis as
    beat sends it, makes 海安镇's batch undisturbed; sent again once 城东镇 is there, its pool process is SIGKILLed
    inside 城东镇's batch transaction after the batch row, its lines, the claims' move and their events were
    written. The message is redelivered, the batch is made once, whole, equal to the undisturbed one, and the
    ledger is what it was (preparing a batch posts nothing)."""
    month = shanghai_today(stack).replace(day=1)
    decided = (month - timedelta(days=1)).replace(day=15)  # approved last month: this month's batch pays it
    db = stack_db(stack)
    try:
        calm_admin = onboard_town(stack, haian, CALM)
        seeded = seed_approved_claims(stack, CALM, CLAIMS, decided)
        year = seeded["scheme_year"]
        calm_log = wait_task_done(
            stack, send_task(stack, "payouts.prepare_monthly_batches", month=str(month))
        )
        assert (calm_log["received"], calm_log["succeeded"]) == (1, 1), calm_log
        calm = payout_figures(db, town_schema(db, CALM), month)

        hit_admin = onboard_town(stack, haian, HIT)
        assert seed_approved_claims(stack, HIT, CLAIMS, decided)["total_fen"] == seeded["total_fen"]
        ledger_before = ledger(hit_admin, HIT, year)
        killed = kill_mid_batch(stack, HIT, month)
        assert {"payouts_payoutbatch", "payouts_payoutline", "claims_claim", "claims_claimevent"} <= set(
            killed["written_when_killed"]
        ), killed  # really in the middle: everything but the audit records written, nothing committed
        assert killed["advisory_lock_held"], killed
        log = wait_task_done(stack, killed["id"])
        hit = payout_figures(db, town_schema(db, HIT), month)
    finally:
        db.close()

    assert log["received"] == 2 and log["succeeded"] == 1, log
    whole = {
        "batches": 1, "state": "prepared", "line_count": CLAIMS, "total_fen": seeded["total_fen"],
        "lines": CLAIMS, "lines_fen": seeded["total_fen"], "claims_on_lines": CLAIMS,
        "claims_by_state": {"in_batch": CLAIMS}, "batched_events": CLAIMS, "claims_batched": CLAIMS,
        "audit_batch_prepared": 1, "audit_claims_batched": CLAIMS,
    }  # fmt: skip
    assert calm == whole, calm
    assert hit == calm, hit
    assert payout_batches(hit_admin, HIT, month) == payout_batches(calm_admin, CALM, month)
    assert ledger(hit_admin, HIT, year) == ledger_before == ledger(calm_admin, CALM, year)
    assert ledger_before["balanced"], ledger_before


def test_postgresql_down_is_a_typed_503_and_recovery_needs_nobody(stack, haian):
    """PostgreSQL stopped (fast shutdown) and held down: requests through gunicorn and PgBouncer answer a typed
    503 JSON, not a traceback; once it is back the same kept-alive clients succeed again without any restart."""
    query = "query($c: String!) { town(code: $c) { status } }"
    assert haian.gql(query, {"c": YAZHOU}).status == 200
    old_pid = stack.service_pid("postgres")
    stack.hold("postgres")
    try:
        os.kill(old_pid, signal.SIGINT)
        deadline = time.monotonic() + 30
        while stack.refresh()["services"]["postgres"]["pid"] == old_pid and _alive(old_pid):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        replies = [haian.gql(query, {"c": YAZHOU}) for _ in range(5)]
    finally:
        stack.hold("postgres", False)
    for reply in replies:
        assert reply.status == 503, (reply.status, reply.body)
        assert reply.body == {
            "errors": [
                {"message": "数据库暂时不可用，请稍后重试", "extensions": {"code": "DATABASE_UNAVAILABLE"}}
            ]
        }
        assert reply.headers.get("Retry-After") == "5"
    stack.wait_restarted("postgres", old_pid)
    deadline = time.monotonic() + 30
    while (reply := haian.gql(query, {"c": YAZHOU})).status != 200:
        assert reply.status == 503 and time.monotonic() < deadline, (reply.status, reply.body)
        time.sleep(0.2)
    assert "errors" not in reply.body and "town" in reply.body["data"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
