"""The CHS-DRG grouper: build time and memory of the in-memory grouper per version, and stays grouped a second.

Imports the real reference data (../shared/data or $MUTUALAID_REFERENCE_DATA) into a scratch database, builds each
version's grouper from it (the same queries ``get_grouper`` runs), then groups 100,000 generated stays on one core:
1–10 diagnoses and 0–5 procedures drawn from the real ICD-10 / ICD-9-CM-3 医保版 lists (the principal diagnosis
mostly from the MDC lists, the principal procedure often from an ADRG's list), reasons included.
Goal: ≥ 20,000 stays a second and a build under 2 s.
Usage: python bench/drg_grouper.py [--stays 100000] [--seed 13]
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import time
import tracemalloc
from collections import Counter

from _setup import emit, setup


def generate(grouper, count: int, seed: int) -> list[dict]:
    from mutualaid.drg.models import IcdCode

    rnd = random.Random(seed)
    diagnoses = sorted(IcdCode.objects.filter(kind="diagnosis", grey=False).values_list("code", flat=True))
    procedures = sorted(IcdCode.objects.filter(kind="procedure").values_list("code", flat=True))
    principals = sorted(grouper.mdcs_by_pdx)
    operative = sorted(grouper.operations)
    complications = sorted(set(grouper.mcc) | set(grouper.cc))
    stays = []
    for _ in range(count):
        principal = rnd.choice(principals) if rnd.random() < 0.93 else rnd.choice(diagnoses)
        others = [
            rnd.choice(complications) if rnd.random() < 0.4 else rnd.choice(diagnoses)
            for _ in range(rnd.randint(0, 9))
        ]
        n_procedures = rnd.choice((0, 0, 0, 1, 1, 2, 3, 4, 5))
        procs = [
            rnd.choice(operative if i == 0 and rnd.random() < 0.7 else procedures)
            for i in range(n_procedures)
        ]
        newborn = rnd.random() < 0.02
        stays.append(
            {
                "sex": rnd.choice((1, 2)),
                "age": 0 if newborn else rnd.randint(1, 95),
                "age_days": rnd.randint(0, 28) if newborn else None,
                "weight": rnd.randint(900, 4200) if newborn else None,
                "los": rnd.randint(1, 30),
                "leaving_type": "1",
                "diagnoses": [principal, *others],
                "procedures": procs,
            }
        )
    return stays


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stays", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    setup("bench_drg_grouper")

    from mutualaid.drg.demo import reference_data_dir
    from mutualaid.drg.grouper import build_grouper, load_rows
    from mutualaid.drg.importer import import_catalogue, import_icd

    data = reference_data_dir()
    import_icd(data / "icd")
    results = {}
    for version in ("chs-drg-1.1", "chs-drg-2.0"):
        import_catalogue(version, data / "drg" / version)
        gc.collect()
        started, cpu_started = time.perf_counter(), time.process_time()
        grouper = build_grouper(version)
        build_s = time.perf_counter() - started
        build_cpu_s = time.process_time() - cpu_started
        started = time.perf_counter()
        load_rows(version)
        load_s = time.perf_counter() - started
        del grouper
        gc.collect()
        tracemalloc.start()
        grouper = build_grouper(version)
        retained, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()

        stays = generate(grouper, args.stays, args.seed)
        group = grouper.group
        statuses: Counter = Counter()
        splits: Counter = Counter()
        gc.collect()
        # Results are counted and dropped as they come, as ``mutualaid drg group`` writes them out.
        started, cpu_started = time.perf_counter(), time.process_time()
        for stay in stays:
            result = group(**stay)
            statuses[result.status] += 1
            splits[result.drg[3]] += 1
        group_s = time.perf_counter() - started
        group_cpu_s = time.process_time() - cpu_started
        del splits["0"]
        results[version] = {
            "build_s": round(build_s, 3),
            "build_cpu_s": round(build_cpu_s, 3),
            "db_read_s": round(load_s, 3),
            "grouper_mb": round(retained / 2**20, 1),
            "stays": len(stays),
            "group_s": round(group_s, 3),
            "cases_per_s": round(len(stays) / group_s),
            "cases_per_cpu_s": round(len(stays) / group_cpu_s),
            "us_per_stay": round(group_s / len(stays) * 1e6, 1),
            "grouped_share": round(statuses["ok"] / len(stays), 3),
            "statuses": dict(statuses.most_common()),
            "splits": dict(sorted(splits.items())),
        }
        del stays

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = os.getloadavg()[0]
    print(
        f"load average {load:.1f} on {os.cpu_count()} cores (with other work running, the CPU-time figures are steadier)"
    )
    print(
        f"{'version':<13} {'build s':>8} {'build cpu s':>12} {'db read s':>10} {'grouper MB':>11} {'stays/s':>9} "
        f"{'stays/cpu s':>12} {'µs/stay':>8} {'grouped':>8}"
    )
    for version, r in results.items():
        print(
            f"{version:<13} {r['build_s']:>8.3f} {r['build_cpu_s']:>12.3f} {r['db_read_s']:>10.3f} "
            f"{r['grouper_mb']:>11.1f} {r['cases_per_s']:>9,} {r['cases_per_cpu_s']:>12,} {r['us_per_stay']:>8.1f} "
            f"{r['grouped_share']:>8.1%}"
        )
        print(f"  statuses {r['statuses']}  last digits {r['splits']}")
    print(f"process peak RSS {peak_mb:.0f} MB (Django, both versions' data and {args.stays:,} stays each)")
    emit(
        {
            "benchmark": "drg_grouper",
            "stays": args.stays,
            "cases_per_s": min(r["cases_per_s"] for r in results.values()),
            "cases_per_cpu_s": min(r["cases_per_cpu_s"] for r in results.values()),
            "build_s": max(r["build_s"] for r in results.values()),
            "build_cpu_s": max(r["build_cpu_s"] for r in results.values()),
            "load_average": round(load, 1),
            "peak_mb": round(peak_mb, 1),
            "grouper_mb": max(r["grouper_mb"] for r in results.values()),
            "versions": {
                v: {
                    k: r[k]
                    for k in ("build_s", "cases_per_s", "cases_per_cpu_s", "grouper_mb", "grouped_share")
                }
                for v, r in results.items()
            },
        }
    )


if __name__ == "__main__":
    main()
