"""A fault on the real stack, fast enough for every CI run: a Celery pool process SIGKILLed in the middle of a
roster import. With task_acks_late and task_reject_on_worker_lost the message goes back to Redis, a worker runs
it again from the start, and the town ends with exactly the rows of an undisturbed import — once.
(bench/faults.py runs this and the PostgreSQL and Redis restarts with figures.)"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.stack.harness import (
    counts_in_village,
    create_village,
    kill_mid_import,
    onboard_town,
    roster_csv,
    start_import,
    task_log,
    wait_import,
)

pytestmark = pytest.mark.stack
YAZHOU = "320685109"
HOUSEHOLDS, SIZE = 10_000, 3  # big enough that the kill lands mid-import on a quiet machine too


def test_a_worker_killed_mid_import_is_redelivered_and_completes_once(stack, haian):
    admin = onboard_town(stack, haian, YAZHOU)
    village = f"{YAZHOU}201"
    create_village(admin, YAZHOU, village)
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
