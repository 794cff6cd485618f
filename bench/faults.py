"""Faults on the production-like stack (deploy/local-stack), with figures. Talks to the stack over HTTP; kills and
restarts its processes as an operator's bad day would.

1. SIGKILL of the Celery pool process running a roster import, and of a whole worker (main process and pool):
   the task is redelivered (acks late, reject on worker lost; a vanished worker's message comes back after the
   Redis visibility timeout), completes once, and the town's rows equal those of an undisturbed import.
   The same in the middle of a town's monthly payout batch (``payouts.prepare_monthly_batches``, sent through
   Redis as beat sends it): the worker is killed inside the batch's transaction with the batch row, its lines, the
   claims' move and their events written (held there by a SHARE lock on the town's audit table); redelivered, it
   makes the batch once, whole, equal to an undisturbed town's batch of the same claims, the ledger unchanged.
2. PostgreSQL stopped (fast shutdown) for a few seconds under a run of requests, then started again: while it is
   down requests answer a typed 503 JSON, never a traceback; afterwards they succeed again by themselves.
3. Redis killed and restarted with tasks queued and no worker running: the tasks are still there (append-only
   file) and all complete; beat's idempotent heartbeat, every HEARTBEAT seconds through it all, never runs twice
   for one slot.

    python bench/faults.py [--households 6000] [--claims 3000]

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
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.stack.harness import (
    Client,
    Stack,
    counts_in_village,
    create_village,
    import_job,
    kill_mid_batch,
    kill_mid_import,
    ledger,
    login,
    onboard_town,
    payout_batches,
    payout_figures,
    roster_csv,
    seed_approved_claims,
    send_task,
    shanghai_today,
    stack_db,
    start_import,
    start_stack,
    task_log,
    town_schema,
    wait_import,
    wait_task_done,
)

TOWN = "320685107"  # 大公镇
HEARTBEAT = 2.0
VISIBILITY = 20
PAYOUT_CALM = "320685100"  # 海安镇: the undisturbed batch
PAYOUT_HIT = {
    False: "320685101",
    True: "320685103",
}  # 城东镇: pool process killed; 李堡镇: whole worker killed


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
        # a kill that lands after the last batch tests nothing: the figure says so rather than pass quietly
        "killed_mid_import": killed["rows_done_when_killed"] < rows,
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


def undisturbed_payout_batch(stack: Stack, county: Client, claims: int) -> dict:
    """海安镇 with ``claims`` approved last month, its batch made by the monthly task undisturbed."""
    month = shanghai_today(stack).replace(day=1)
    decided = (month - timedelta(days=1)).replace(day=15)
    admin = onboard_town(stack, county, PAYOUT_CALM)
    seeded = seed_approved_claims(stack, PAYOUT_CALM, claims, decided)
    started = time.monotonic()
    log = wait_task_done(stack, send_task(stack, "payouts.prepare_monthly_batches", month=str(month)))
    seconds = time.monotonic() - started
    db = stack_db(stack)
    try:
        figures = payout_figures(db, town_schema(db, PAYOUT_CALM), month)
    finally:
        db.close()
    return {
        "admin": admin, "month": month, "decided": decided, "seeded": seeded, "figures": figures,
        "deliveries": log["received"], "successes": log["succeeded"], "seconds_to_done": round(seconds, 1),
        "api": payout_batches(admin, PAYOUT_CALM, month), "ledger": ledger(admin, PAYOUT_CALM, seeded["scheme_year"]),
    }  # fmt: skip


def fault_sigkill_payout(stack: Stack, county: Client, calm: dict, whole_worker: bool) -> dict:
    code, month, year = PAYOUT_HIT[whole_worker], calm["month"], calm["seeded"]["scheme_year"]
    admin = onboard_town(stack, county, code)
    seeded = seed_approved_claims(stack, code, calm["seeded"]["claims"], calm["decided"])
    ledger_before = ledger(admin, code, year)
    started = time.monotonic()
    killed = kill_mid_batch(stack, code, month, whole_worker=whole_worker)
    log = wait_task_done(stack, killed["id"], timeout=VISIBILITY * 6 + 300)
    seconds = time.monotonic() - started
    db = stack_db(stack)
    try:
        figures = payout_figures(db, town_schema(db, code), month)
    finally:
        db.close()
    ledger_after = ledger(admin, code, year)
    claims = seeded["claims"]
    return {
        "killed": killed["killed"],
        "written_when_killed": killed["written_when_killed"],
        "transaction_age_when_killed_s": killed["transaction_age_s"],
        "claims": claims,
        "deliveries": log["received"],
        "successes": log["succeeded"],
        "redelivered": log["received"] >= 2,
        "batches": figures["batches"],
        "lines": figures["lines"],
        "line_count": figures["line_count"],
        "total_fen": figures["total_fen"],
        "lines_fen": figures["lines_fen"],
        "claims_by_state": figures["claims_by_state"],
        "batched_events": figures["batched_events"],
        "no_duplicate_no_half_batch": figures["batches"] == 1
        and figures["lines"] == figures["line_count"] == figures["claims_on_lines"] == claims
        and figures["lines_fen"] == figures["total_fen"] == seeded["total_fen"]
        and figures["claims_by_state"] == {"in_batch": claims}
        and figures["batched_events"]
        == figures["claims_batched"]
        == figures["audit_claims_batched"]
        == claims
        and figures["audit_batch_prepared"] == 1,
        "identical_to_undisturbed": figures == calm["figures"]
        and payout_batches(admin, code, month) == calm["api"],
        "ledger_unchanged": ledger_after == ledger_before == calm["ledger"],
        "ledger_balanced": ledger_after["balanced"],
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
        "--households",
        type=int,
        default=10_000,
        help="households of the killed import (x3 rows; the CI fault test's size)",
    )
    parser.add_argument("--claims", type=int, default=3000, help="approved claims in each payout-batch town")
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

        calm = undisturbed_payout_batch(stack, county, args.claims)
        payout = results["sigkill_payout_batch"] = {
            "month": str(calm["month"]),
            "claims": args.claims,
            "undisturbed": {key: calm[key] for key in ("deliveries", "successes", "seconds_to_done")}
            | {key: calm["figures"][key] for key in ("batches", "lines", "total_fen")},
        }
        print(
            f"\nsigkill_payout_batch: {args.claims} claims approved {calm['decided']}, batch of {calm['month']}"
        )
        print(f"  undisturbed (海安镇): {payout['undisturbed']}")
        for whole in (False, True):
            result = payout["whole_worker" if whole else "pool_process"] = fault_sigkill_payout(
                stack, county, calm, whole
            )
            print(f"  killed {result['killed']} with {result['written_when_killed']} written, uncommitted")
            print(f"    deliveries {result['deliveries']}, successes {result['successes']}; batches {result['batches']}, lines {result['lines']} = lineCount {result['line_count']}, {result['lines_fen']} fen = total {result['total_fen']}")  # fmt: skip
            print(f"    whole, no duplicate {result['no_duplicate_no_half_batch']}; identical to undisturbed {result['identical_to_undisturbed']}; ledger unchanged {result['ledger_unchanged']}, balanced {result['ledger_balanced']}; done {result['seconds_to_done']} s after the send")  # fmt: skip

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
