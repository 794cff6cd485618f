"""Load on the production-like stack (deploy/local-stack): CLIENTS concurrent clients for SECONDS seconds, each
signed in as the admin of one of three towns (大公镇 and 雅周镇 of 海安市, 新胜镇 of 潼南区), on a mix of reads
(households, members, the fund summary, enrolments, participation) and writes (a new household, a member added to
it) over GraphQL, localhost only. Every page read is checked for rows of another town.

    python bench/load.py [--clients 50] [--seconds 60] [--households 300]

Prints requests per second, latency percentiles per operation and overall, errors and cross-town rows; the last
line is JSON with at least ``rps``, ``p95_ms`` and ``errors``.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.stack.harness import (
    TOWNS,
    Client,
    create_village,
    enrol,
    household_ids,
    login,
    onboard_town,
    publish_policy,
    roster_csv,
    start_import,
    start_stack,
    wait_import,
)

HOUSEHOLDS = """query { households(first: 20) { totalCount edges { node { number village { code } } } } }"""
MEMBERS = """query { members(first: 20) { totalCount edges { node { name villageCode } } } }"""
FUND = """query($y: Int!) { fundSummary(schemeYear: $y) { bank income } }"""
ENROLMENTS = """query($y: Int!) { enrolments(schemeYear: $y, first: 20) { totalCount
  edges { node { memberCount household { village { code } } } } } }"""
PARTICIPATION = """query($y: Int!) { participation(schemeYear: $y) { enrolledPeople } }"""
CREATE_HOUSEHOLD = """mutation($v: String!, $n: String!) { createHousehold(villageCode: $v, number: $n) {
  household { id village { code } } errors { code message } } }"""
ADD_MEMBER = """mutation($h: ID!, $i: String!, $n: String!) { addMember(householdId: $h, idNumber: $i, name: $n,
  relation: HEAD, insuranceType: RESIDENT, registeredOn: "2001-05-06") { member { id } errors { code message } } }"""
# (operation, weight): reads dominate, as at a town office.
MIX = [
    ("households", 30),
    ("members", 20),
    ("fund", 15),
    ("enrolments", 10),
    ("participation", 5),
    ("write", 20),
]


def prepare(stack, households: int) -> tuple[dict[str, str], int]:
    """Onboard the three towns, publish their policies, import a roster each and enrol half of it."""
    password = stack.info["logins"]["password"]
    counties = {
        "320685": login(stack.url, "stack_haian", password),
        "500152": login(stack.url, "stack_tongnan", password),
    }
    tokens, year = {}, 0
    for n, (code, county) in enumerate(TOWNS.items()):
        admin = onboard_town(stack, counties[county], code)
        year = publish_policy(admin, code)
        village = f"{code}201"
        create_village(admin, code, village)
        job = wait_import(
            admin, code, start_import(admin, code, roster_csv(village, households, seed=20 + n))
        )
        assert job["status"] == "DONE" and job["errorCount"] == 0, job
        ids = household_ids(admin, code, village)
        for start in range(0, len(ids) // 2, 50):
            enrol(admin, code, year, ids[start : min(start + 50, len(ids) // 2)])
        tokens[code] = admin.token or ""
    return tokens, year


class Worker(threading.Thread):
    def __init__(self, number: int, stack, town: str, token: str, year: int, until: float, results: list):
        super().__init__(daemon=True)
        self.number, self.town, self.year, self.until, self.results = number, town, year, until, results
        self.client = Client(stack.url, token=token, timeout=60)
        self.random = random.Random(number)
        self.writes = 0

    def check_town(self, codes: list[str]) -> int:
        return sum(1 for code in codes if not code.startswith(self.town))

    def call(self, operation: str, query: str, variables: dict) -> tuple[dict | None, str | None]:
        started = time.perf_counter()
        error = None
        data = None
        try:
            reply = self.client.gql(query, variables, town=self.town)
            if reply.status != 200 or reply.body.get("errors"):
                error = f"{reply.status}:{str(reply.body.get('errors') or reply.body)[:100]}"
            else:
                data = reply.body["data"]
                payload = next(iter(data.values()))
                if isinstance(payload, dict) and payload.get("errors"):
                    error = f"mutation:{payload['errors'][0]['code']}"
        except Exception as exc:
            error = f"{type(exc).__name__}:{exc}"[:100]
            self.client.close()
        self.results.append((operation, (time.perf_counter() - started) * 1000, error, 0))
        return data, error

    def cross(self, rows: int) -> None:
        if rows:
            operation, ms, error, _ = self.results[-1]
            self.results[-1] = (operation, ms, error, rows)

    def run(self) -> None:
        operations, weights = zip(*MIX, strict=True)
        village = f"{self.town}201"
        while time.monotonic() < self.until:
            operation = self.random.choices(operations, weights)[0]
            if operation == "households":
                data, error = self.call(operation, HOUSEHOLDS, {})
                if data:
                    codes = [e["node"]["village"]["code"] for e in data["households"]["edges"]]
                    self.cross(self.check_town(codes))
            elif operation == "members":
                data, error = self.call(operation, MEMBERS, {})
                if data:
                    codes = [e["node"]["villageCode"] for e in data["members"]["edges"]]
                    self.cross(self.check_town(codes))
            elif operation == "enrolments":
                data, error = self.call(operation, ENROLMENTS, {"y": self.year})
                if data:
                    codes = [e["node"]["household"]["village"]["code"] for e in data["enrolments"]["edges"]]
                    self.cross(self.check_town(codes))
            elif operation == "fund":
                self.call(operation, FUND, {"y": self.year})
            elif operation == "participation":
                self.call(operation, PARTICIPATION, {"y": self.year})
            else:
                self.writes += 1
                number = f"L{self.number:02d}{self.writes:05d}"
                data, error = self.call("create_household", CREATE_HOUSEHOLD, {"v": village, "n": number})
                if data and not error:
                    household = data["createHousehold"]["household"]
                    self.cross(self.check_town([household["village"]["code"]]))
                    from mutualaid.platform import idnumbers

                    # born before the member's registration on 2001-05-06 (a registration before birth is refused)
                    born = date(1940, 1, 1) + timedelta(days=self.number * 120 + self.writes // 1000)
                    id_number = idnumbers.make("320685", born, self.writes % 1000)
                    self.call(
                        "add_member",
                        ADD_MEMBER,
                        {"h": household["id"], "i": id_number, "n": f"压测{self.number}-{self.writes}"},
                    )
        self.client.close()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument(
        "--households", type=int, default=300, help="households imported per town (x3 people)"
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers (4 threads each)")
    args = parser.parse_args()

    stack = start_stack("--web-workers", str(args.web_workers))
    try:
        print(f"stack up: {stack.url}; preparing 3 towns ({args.households} households each)", flush=True)
        tokens, year = prepare(stack, args.households)
        towns = list(tokens)
        results: list[tuple[str, float, str | None, int]] = []
        started = time.monotonic()
        until = started + args.seconds
        workers = [
            Worker(n, stack, towns[n % 3], tokens[towns[n % 3]], year, until, results)
            for n in range(args.clients)
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(args.seconds + 120)
        elapsed = time.monotonic() - started
    finally:
        stack.stop()

    by_operation: dict[str, list[float]] = defaultdict(list)
    errors: Counter = Counter()
    cross_town = 0
    for operation, ms, error, cross in results:
        by_operation[operation].append(ms)
        cross_town += cross
        if error:
            errors[error.split(":")[0]] += 1
    latencies = [ms for _, ms, _, _ in results]
    print(
        f"\n{args.clients} clients, {elapsed:.1f} s, 3 towns, gunicorn {args.web_workers} workers x 4 threads"
    )
    print(f"{'operation':<18}{'count':>8}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}")
    for operation, values in sorted(by_operation.items()):
        print(
            f"{operation:<18}{len(values):>8}{percentile(values, 50):>10.1f}"
            f"{percentile(values, 95):>10.1f}{percentile(values, 99):>10.1f}"
        )
    total_errors = sum(errors.values())
    summary = {
        "clients": args.clients,
        "seconds": round(elapsed, 1),
        "requests": len(results),
        "rps": round(len(results) / elapsed, 1),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "mean_ms": round(statistics.fmean(latencies), 1) if latencies else 0,
        "errors": total_errors,
        "error_kinds": dict(errors),
        "cross_town_rows": cross_town,
        "writes": sum(len(by_operation[o]) for o in ("create_household", "add_member")),
    }
    print(f"all: {summary['requests']} requests, {summary['rps']} rps, p50 {summary['p50_ms']} ms, "
          f"p95 {summary['p95_ms']} ms, p99 {summary['p99_ms']} ms, errors {total_errors}, cross-town rows {cross_town}")  # fmt: skip
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
