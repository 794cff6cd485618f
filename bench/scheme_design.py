"""One-click scheme design and the solvency simulation: a 40,000-person town over the full CHS-DRG 1.1 table.

Pure numpy (no database). The groups are the 628 DRGs of CHS-DRG 1.1 (``3_DRG.txt`` of the reference data), their
weights 盐城 2023's relative weights where the city table has the group (else the median weight); the rates are the
project's reference rates for a rural age structure, with the “other groups” share spread evenly. Times the design
(amounts per DRG meeting a 1.5 million yuan target) and 10,000 simulated years; peak memory from tracemalloc
(numpy's allocations are traced) in a separate run so the timings do not carry its cost.
Goal: design < 1 s, 10,000 simulated years < 10 s.
Usage: python bench/scheme_design.py [--runs 10000] [--participants 40000]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualaid.project.settings")

import django

django.setup()

import numpy as np  # noqa: E402
from _setup import emit  # noqa: E402

from mutualaid.drg.city_weights import decode_table  # noqa: E402
from mutualaid.drg.demo import reference_data_dir  # noqa: E402
from mutualaid.policies import design_inputs as inputs  # noqa: E402
from mutualaid.policies import design_rates  # noqa: E402
from mutualaid.policies.design import Limits, design_table  # noqa: E402
from mutualaid.policies.solvency import simulate  # noqa: E402

LIMITS = Limits(per_stay_min_fen=300_00, per_stay_max_fen=50_000_00, yearly_cap_fen=100_000_00)
# A rural town: older than the country (share of participants by age band, both sexes alike).
AGES = (
    (2, 0.04),
    (10, 0.09),
    (20, 0.08),
    (30, 0.10),
    (40, 0.12),
    (50, 0.17),
    (60, 0.18),
    (70, 0.14),
    (80, 0.08),
)


def groups() -> tuple[list[str], list[str], np.ndarray]:
    data = reference_data_dir() / "drg"
    codes, names = [], []
    for line in (data / "chs-drg-1.1" / "3_DRG.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            code, _, name = line.strip().partition(" ")
            codes.append(code)
            names.append(name)
    text, _ = decode_table((data / "city-payment-standards" / "盐城2023.csv").read_bytes())
    rw = {}
    for row in csv.reader(io.StringIO(text)):
        try:
            rw[row[0].strip()] = float(row[2])
        except (IndexError, ValueError):
            continue
    median = float(np.median(list(rw.values())))
    return codes, names, np.array([rw.get(code) or median for code in codes])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--participants", type=int, default=40_000)
    args = parser.parse_args()
    n = args.participants
    codes, names, weights = groups()
    people = design_rates.participants_from_ages(
        2022, [(sex, age, round(n * share / 2)) for age, share in AGES for sex in ("M", "F")]
    )
    rates = design_rates.reference_rates(people)
    spread = inputs.spread_rates(
        inputs.Weights(inputs.WeightSource.CITY, tuple(codes), tuple(names), tuple(weights), "bench"), rates
    )
    stays = spread.per_1000 * people.total / 1000
    target = 1_500_000_00

    started = time.perf_counter()
    design = design_table(codes, weights, stays, target, LIMITS, names=names)
    design_s = time.perf_counter() - started
    amounts = np.array([line.amount_fen for line in design.lines])

    started = time.perf_counter()
    result = simulate(
        amounts, spread.per_1000 / 1000, people.total, design.target_fen, LIMITS, runs=args.runs
    )
    simulate_s = time.perf_counter() - started

    tracemalloc.start()
    simulate(amounts, spread.per_1000 / 1000, people.total, design.target_fen, LIMITS, runs=args.runs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    print(f"groups                      {len(codes)}")
    print(f"participants                {people.total:,}")
    print(f"subsidised stays / 1,000    {rates.total:.1f}  (expected {design.expected_stays:,.0f} a year)")
    print(f"target / expected (yuan)    {target / 100:,.0f} / {design.expected_fen / 100:,.2f}")
    print(f"groups at min / at max      {design.at_minimum} / {design.at_maximum}")
    print(f"design                      {design_s * 1000:.1f} ms")
    print(f"simulate {args.runs:,} years      {simulate_s:.2f} s")
    print(
        f"mean / p5 / p95 (yuan)      {result.mean_fen / 100:,.0f} / {result.p5_fen / 100:,.0f} / {result.p95_fen / 100:,.0f}"
    )
    print(f"run-dry probability         {result.run_dry_probability:.3f}")
    print(f"peak traced memory          {peak / 2**20:.0f} MB")
    emit(
        {
            "bench": "scheme_design",
            "groups": len(codes),
            "participants": people.total,
            "runs": args.runs,
            "design_s": round(design_s, 4),
            f"simulate_{args.runs}_s": round(simulate_s, 3),
            "peak_mb": round(peak / 2**20, 1),
            "expected_within_target_permille": round(abs(design.expected_fen - target) * 1000 / target, 4),
            "run_dry_probability": result.run_dry_probability,
        }
    )


if __name__ == "__main__":
    main()
