"""Faults on the production-like stack (deploy/local-stack), with figures. Talks to the stack over HTTP; kills and
restarts its processes as an operator's bad day would.

1. SIGKILL of the Celery pool process running a roster import, and of a whole worker (main process and pool):
   the task is redelivered (acks late, reject on worker lost; a vanished worker's message comes back after the
   Redis visibility timeout), completes once, and the town's rows equal those of an undisturbed import.
2. PostgreSQL stopped (fast shutdown) for a few seconds under a run of requests, then started again: while it is
   down requests answer a typed 503 JSON, never a traceback; afterwards they succeed again by themselves.
3. Redis killed and restarted with tasks queued and no worker running: the tasks are still there (append-only
   file) and all complete; beat's idempotent heartbeat, every HEARTBEAT seconds through it all, never runs twice
   for one slot.

    python bench/faults.py [--households 6000] [--stack-json FILE]

Prints a table per fault and ends with one line of JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.stack.harness import (
    Client,
    Stack,
    counts_in_village,
    create_village,
    import_job,
    kill_mid_import,
    login,
    onboard_town,
    roster_csv,
    start_import,
    start_stack,
    task_log,
    wait_import,
)

TOWN = "320685107"  # 大公镇
HEARTBEAT = 2.0
VISIBILITY = 20


def _import(admin: Client, village: str, households: int, seed: int = 0) -> tuple[str, bytes]:
    create_village(admin, TOWN, village)
    content = roster_csv(village, households=households, seed=seed)
    return start_import(admin, TOWN, content), content


def fault_sigkill(stack: Stack, admin: Client, households: int, whole_worker: bool) -> dict:
    rows = households * 3
    suffix = "21" if whole_worker else "20"
    calm_village, hit_village = f"{TOWN}{suffix}1", f"{TOWN}{suffix}2"
    seed = 2 if whole_worker else 0  # new people for each village: nothing is a re-import or a move
    calm_id, _ = _import(admin, calm_village, households, seed=seed)
    calm = wait_import(admin, TOWN, calm_id)
    hit_id, _ = _import(admin, hit_village, households, seed=seed + 1)
    started = time.monotonic()
    if whole_worker:
        from tests.stack.harness import active_task

        victim = active_task(stack, "enrolment.import_roster")
        while import_job(admin, TOWN, hit_id)["rowsDone"] == 0:
            time.sleep(0.05)
        worker = victim["hostname"].split("@")[0]
        main_pid = stack.service_pid(worker)
        rows_then = import_job(admin, TOWN, hit_id)["rowsDone"]
        os.killpg(main_pid, signal.SIGKILL)  # the worker's main process and its pool: nothing left to requeue
        killed = {**victim, "rows_done_when_killed": rows_then, "killed": f"{worker} (main + pool)"}
    else:
        killed = kill_mid_import(stack, admin, TOWN, hit_id)
        killed["killed"] = f"pool process {killed['worker_pid']} of {killed['hostname']}"
    hit = wait_import(admin, TOWN, hit_id, timeout=VISIBILITY * 6 + 300)
    seconds = time.monotonic() - started
    log = task_log(stack, killed["id"])
    calm_counts, hit_counts = (
        counts_in_village(admin, TOWN, calm_village),
        counts_in_village(admin, TOWN, hit_village),
    )
    return {
        "killed": killed["killed"],
        "rows": rows,
        "rows_done_when_killed": killed["rows_done_when_killed"],
        "deliveries": log["received"],
        "successes": log["succeeded"],
        "redelivered": log["received"] >= 2,
        "status": hit["status"],
        "created": hit["createdCount"],
        "unchanged_on_rerun": hit["unchangedCount"],
        "errors": hit["errorCount"],
        "undisturbed": calm_counts,
        "disturbed": hit_counts,
        "identical_to_undisturbed": calm_counts == hit_counts == {"households": households, "members": rows}
        and calm["createdCount"] == rows
        and hit["createdCount"] + hit["unchangedCount"] == rows,
        "seconds_to_done": round(seconds, 1),
    }


def fault_postgres(stack: Stack, admin_token: str, down_seconds: float = 5.0, clients: int = 6) -> dict:
    query = "query { households(first: 5) { totalCount } }"
    results: list[tuple[float, str]] = []
    stop = threading.Event()
    lock = threading.Lock()

    def run():
        client = Client(stack.url, token=admin_token, timeout=20)
        while not stop.is_set():
            try:
                reply = client.gql(query, town=TOWN)
                if reply.status == 200 and not reply.body.get("errors"):
                    kind = "ok"
                elif (
                    reply.status == 503
                    and reply.body["errors"][0]["extensions"]["code"] == "DATABASE_UNAVAILABLE"
                ):
                    kind = "typed_503"
                else:
                    kind = f"http_{reply.status}:{str(reply.body)[:120]}"
            except Exception as exc:  # a refused or dropped connection
                kind = f"connection:{type(exc).__name__}"
                client.close()
                time.sleep(0.05)
            with lock:
                results.append((time.monotonic(), kind))

    threads = [threading.Thread(target=run, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    old_pid = stack.service_pid("postgres")
    stack.hold("postgres")
    stopped_at = time.monotonic()
    os.kill(old_pid, signal.SIGINT)  # fast shutdown: sessions are cut, as in a restart
    time.sleep(down_seconds)
    stack.hold("postgres", False)
    stack.wait_restarted("postgres", old_pid)
    restarted_at = time.monotonic()
    time.sleep(6)
    stop.set()
    for thread in threads:
        thread.join(30)
    kinds = Counter(kind for _, kind in results)
    after = [(t, k) for t, k in results if t > restarted_at]
    first_ok = next((t for t, k in sorted(after) if k == "ok"), None)
    last_bad = max((t for t, k in results if k != "ok"), default=None)
    return {
        "requests": len(results),
        "ok": kinds["ok"],
        "typed_503": kinds["typed_503"],
        "other": {k: v for k, v in kinds.items() if k not in ("ok", "typed_503")},
        "down_seconds": round(restarted_at - stopped_at, 1),
        "first_ok_after_restart_s": round(first_ok - restarted_at, 2) if first_ok else None,
        "last_failure_after_restart_s": round(last_bad - restarted_at, 2)
        if last_bad and last_bad > restarted_at
        else 0,
        "ok_in_last_2s": all(k == "ok" for t, k in results if t > results[-1][0] - 2),
    }


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _redis(stack: Stack, url_key: str):
    import redis

    return redis.Redis.from_url(stack.info[url_key])


def heartbeat_counts(stack: Stack) -> dict:
    cache = _redis(stack, "cache_url")
    values = {}
    for key in cache.scan_iter(match="*heartbeat:*"):
        name = key.decode()
        if "heartbeat:slot:" in name:
            values["slots"] = values.get("slots", 0) + 1
        else:
            values[name.rsplit(":", 1)[-1]] = int(cache.get(key) or 0)
    services = stack.refresh()["services"]
    beat_log = Path(services["beat"]["log"]).read_text(errors="replace")
    values["sent_by_beat"] = beat_log.count("Sending due task heartbeat")
    values["expired"] = sum(
        1
        for name, service in services.items()
        if name.startswith("worker")
        for line in Path(service["log"]).read_text(errors="replace").splitlines()
        if "project.heartbeat" in line and ("expired" in line.lower() or "revoked" in line.lower())
    )
    return values


def fault_redis(stack: Stack, admin: Client, imports: int = 4, households: int = 200) -> dict:
    workers = [name for name in stack.info["services"] if name.startswith("worker")]
    before = heartbeat_counts(stack)
    started = time.monotonic()
    stopped = []
    for name in workers:  # no worker: the tasks wait in Redis
        stack.hold(name)
        stopped.append(stack.service_pid(name))
        os.killpg(stopped[-1], signal.SIGTERM)
    deadline = time.monotonic() + 60
    while any(_alive(pid) for pid in stopped):  # gone, not still taking messages while shutting down
        assert time.monotonic() < deadline, "workers did not stop"
        time.sleep(0.1)
    job_ids = [_import(admin, f"{TOWN}3{n:02d}", households, seed=10 + n)[0] for n in range(imports)]
    queued = _redis(stack, "broker_url").llen("celery")
    old_pid = stack.service_pid("redis")
    stack.hold("redis")
    os.kill(old_pid, signal.SIGKILL)  # no clean shutdown: only what the append-only file has survives
    time.sleep(3)
    stack.hold("redis", False)
    stack.wait_restarted("redis", old_pid)
    time.sleep(1)
    queued_after = _redis(stack, "broker_url").llen("celery")
    for name in workers:
        stack.hold(name, False)
    jobs = [wait_import(admin, TOWN, job_id, timeout=300) for job_id in job_ids]
    time.sleep(HEARTBEAT * 3)
    after = heartbeat_counts(stack)
    window = time.monotonic() - started
    counts = [counts_in_village(admin, TOWN, f"{TOWN}3{n:02d}") for n in range(imports)]
    return {
        "imports_queued": imports,
        "messages_in_redis_before_kill": queued,
        "messages_in_redis_after_restart": queued_after,
        "imports_done": sum(job["status"] == "DONE" for job in jobs),
        "lost": imports - sum(job["status"] == "DONE" for job in jobs),
        "rows_each_right": all(c == {"households": households, "members": households * 3} for c in counts),
        "heartbeat": {
            "window_s": round(window, 1),
            "period_s": HEARTBEAT,
            "sent_by_beat": after.get("sent_by_beat", 0) - before.get("sent_by_beat", 0),
            "runs": after.get("runs", 0) - before.get("runs", 0),
            "duplicates": after.get("duplicates", 0) - before.get("duplicates", 0),
            "expired_unrun": after.get("expired", 0) - before.get("expired", 0),  # sent while no worker ran
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--households", type=int, default=6000, help="households of the killed import (x3 rows)"
    )
    args = parser.parse_args()

    began = time.monotonic()
    stack = start_stack("--heartbeat", str(HEARTBEAT), "--visibility-timeout", str(VISIBILITY))
    try:
        print(f"stack up: {stack.url} (folder {stack.info['root']})", flush=True)
        county = login(stack.url, "stack_haian", stack.info["logins"]["password"])
        admin = onboard_town(stack, county, TOWN)
        results = {}

        for whole in (False, True):
            name = "sigkill_worker" if whole else "sigkill_pool_process"
            result = fault_sigkill(stack, admin, args.households, whole)
            results[name] = result
            print(
                f"\n{name}: killed {result['killed']} at {result['rows_done_when_killed']}/{result['rows']} rows"
            )
            print(
                f"  deliveries {result['deliveries']}, successes {result['successes']}, status {result['status']}"
            )
            print(f"  created {result['created']} + unchanged on re-run {result['unchanged_on_rerun']}, errors {result['errors']}")  # fmt: skip
            print(f"  undisturbed {result['undisturbed']} / disturbed {result['disturbed']}: identical {result['identical_to_undisturbed']}")  # fmt: skip
            print(f"  done {result['seconds_to_done']} s after the import started")

        result = results["postgres_restart"] = fault_postgres(stack, admin.token or "")
        print(f"\npostgres_restart: down {result['down_seconds']} s under {result['requests']} requests")
        print(f"  ok {result['ok']}, typed 503 {result['typed_503']}, other {result['other']}")
        print(f"  first ok {result['first_ok_after_restart_s']} s after restart; last 2 s all ok: {result['ok_in_last_2s']}")  # fmt: skip

        result = results["redis_restart"] = fault_redis(stack, admin)
        print(f"\nredis_restart (SIGKILL, workers stopped, {result['imports_queued']} imports queued)")
        print(f"  messages in Redis before kill {result['messages_in_redis_before_kill']}, after restart {result['messages_in_redis_after_restart']}")  # fmt: skip
        print(
            f"  imports done {result['imports_done']}, lost {result['lost']}, rows right {result['rows_each_right']}"
        )
        print(f"  heartbeat: {result['heartbeat']}")
        results["seconds"] = round(time.monotonic() - began, 1)
    finally:
        stack.stop()
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
