"""A fault on the real stack, fast enough for every CI run: a Celery pool process SIGKILLed in the middle of a
roster import. With task_acks_late and task_reject_on_worker_lost the message goes back to Redis, a worker runs
it again from the start, and the town ends with exactly the rows of an undisturbed import — once.
(bench/faults.py runs this and the PostgreSQL and Redis restarts with figures.)"""

from __future__ import annotations

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
HOUSEHOLDS, SIZE = 8_000, 3


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
