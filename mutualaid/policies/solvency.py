"""Solvency simulation: will the money last the year, and how much is left for next year (pure, numpy, seeded).

A coverage year is simulated ``runs`` times. In each run every participant has stays of every DRG group drawn
from the group's rate (Poisson, independently per person and group); that is the same as drawing each group's number of
stays in the town from Poisson(participants × rate) and giving each stay a person (uniformly) and a moment in the
year (uniformly), which is how it is computed, a batch of runs at a time.

Each stay is paid by the rules of the claims adjudication (``mutualaid.claims.adjudication``; not imported: the
policies layer sits below claims, so the limits are applied here, vectorised, from the same policy parameters):

- the group's amount from the table; a group outside the table gets the policy's rule for unlisted groups (the
  per-stay minimum, or nothing — then the stay is not paid at all);
- a paid amount is clamped to [per-stay minimum, per-stay maximum];
- then to what is left of the person's yearly cap, stays taken in order of admission.

The stays are assumed to meet the threshold (the rates are rates of subsidised stays) and the out-of-pocket amount
to be at least the group's amount. Payouts are counted in the month of admission; the pool runs dry in the first
month whose cumulative payout exceeds the fund available at the start of the year.

Figures: the probability of running dry before the year ends, the mean, 5th, 50th, 95th and 99th percentile of
the yearly payout, the expected carry-over (fund − payout where positive) and shortfall, and for every month the
probability that the money runs out in it. 10,000 simulated years of a 40,000-person town take a few seconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from django.dispatch import Signal

from mutualaid.policies.design import DesignErrorCode, Limits, design_error

MONTHS = 12
DEFAULT_RUNS = 10_000
DEFAULT_SEED = 20221101
MAX_RUNS = 100_000
STAYS_PER_BATCH = 1_000_000
CAP_BUCKETS = 1 << 21  # a power of two

# Sent (inside the town's schema) after a policy version's own table was simulated against the town's fund and
# participants (``design_inputs.simulate_policy``), with ``policy``, ``result`` (a ``SolvencyResult``) and
# ``rate_source``. Higher layers listen (reporting keeps the published policy's latest figure beside fund health).
policy_simulated = Signal()


@dataclass(frozen=True)
class SolvencyResult:
    runs: int
    seed: int
    participants: int
    fund_fen: int
    analytic_expected_fen: int  # Σ expected stays × paid amount, before the yearly cap
    mean_fen: int
    p5_fen: int
    p50_fen: int
    p95_fen: int
    p99_fen: int
    run_dry_probability: float
    expected_carry_over_fen: int  # mean of max(fund − payout, 0)
    expected_shortfall_fen: int  # mean of max(payout − fund, 0)
    run_dry_by_month: tuple[float, ...]  # probability the money runs out in month 1 … 12 of the coverage year
    capped_stays_share: float  # share of stays cut by the yearly cap

    @property
    def likeliest_run_dry_month(self) -> int | None:
        """1 … 12 (month of the coverage year), or None when no run ran dry."""
        if not any(self.run_dry_by_month):
            return None
        return int(np.argmax(self.run_dry_by_month)) + 1


def paid_amounts(amounts_fen: np.ndarray, limits: Limits) -> np.ndarray:
    """What one stay of each group is paid before the yearly cap (adjudication's clamps; 0 stays 0)."""
    amounts = np.asarray(amounts_fen, dtype=np.int64)
    clamped = np.maximum(amounts, limits.per_stay_min_fen)
    if limits.per_stay_max_fen is not None:
        clamped = np.minimum(clamped, limits.per_stay_max_fen)
    return np.where(amounts > 0, clamped, 0)


def apply_yearly_cap(keys: np.ndarray, times: np.ndarray, amounts: np.ndarray, cap_fen: int | None):
    """Stays of one or more simulated years: ``keys`` identify (run, person), ``times`` order a person's stays.
    Returns (order, paid): the stays in (key, time) order and what each is paid after the yearly cap."""
    order = np.lexsort((times, keys))
    sorted_amounts = amounts[order]
    if cap_fen is None or len(order) == 0:
        return order, sorted_amounts
    sorted_keys = keys[order]
    running = np.cumsum(sorted_amounts)
    starts = np.ones(len(order), dtype=bool)
    starts[1:] = sorted_keys[1:] != sorted_keys[:-1]
    start_index = np.maximum.accumulate(np.where(starts, np.arange(len(order)), 0))
    before = running[start_index] - sorted_amounts[start_index]
    within = running - before  # the person's running total up to and including this stay
    capped = np.minimum(within, cap_fen)
    previous = np.where(starts, 0, np.concatenate(([0], capped[:-1])))
    return order, capped - previous


def check_inputs(participants: int, fund_fen: int, rates: np.ndarray, runs: int) -> None:
    if participants <= 0:
        raise design_error("participants", DesignErrorCode.NO_PARTICIPANTS, "参加人数为零，无法模拟")
    if fund_fen < 0:
        raise design_error("fund_fen", DesignErrorCode.NO_FUNDS, "可用资金不能为负数")
    if not np.all(np.isfinite(rates)):
        raise design_error("rates", DesignErrorCode.MISSING_RATE, "住院率存在缺失值")
    if np.any(rates < 0):
        raise design_error("rates", DesignErrorCode.INVALID_RATE, "住院率不能为负数")
    if not 1 <= runs <= MAX_RUNS:
        raise design_error("runs", DesignErrorCode.INVALID_RUNS, f"模拟次数必须在 1 至 {MAX_RUNS:,} 之间")


def simulate(
    amounts_fen: np.ndarray,
    stays_per_person: np.ndarray,
    participants: int,
    fund_fen: int,
    limits: Limits,
    *,
    runs: int = DEFAULT_RUNS,
    seed: int = DEFAULT_SEED,
    progress: Callable[[int, int], None] | None = None,
) -> SolvencyResult:
    """Simulate ``runs`` coverage years (module docstring). ``amounts_fen[i]`` is what the table gives group ``i``
    (include the unlisted groups with the unlisted rule's amount), ``stays_per_person[i]`` the expected stays of
    group ``i`` per participant a year (rate per 1,000 / 1,000). ``progress(done, runs)`` after each batch."""
    rates = np.asarray(stays_per_person, dtype=np.float64)
    check_inputs(participants, fund_fen, rates, runs)
    limits.check()
    paid = paid_amounts(amounts_fen, limits)
    if paid.shape != rates.shape:
        raise design_error("rates", DesignErrorCode.INVALID_RATE, "住院率与补助表的病组数不一致")
    # Stays that are never paid (unlisted, no subsidy) change nothing: leave them out.
    keep = (paid > 0) & (rates > 0)
    paid, rates = paid[keep], rates[keep]
    per_person = float(rates.sum())
    mean_stays = participants * per_person
    analytic = participants * float(rates @ paid)
    rng = np.random.default_rng(seed)
    totals = np.zeros(runs, dtype=np.float64)
    dry_month = np.full(runs, -1, dtype=np.int64)
    capped_stays = all_stays = 0
    if mean_stays > 0:
        expected_by_group = participants * rates
        groups = len(rates)
        batch = int(max(1, min(runs, STAYS_PER_BATCH // max(mean_stays, 1.0))))
        done = 0
        while done < runs:
            size = min(batch, runs - done)
            # Stays of every group in every run of the batch: independent Poisson counts.
            counts = rng.poisson(expected_by_group, size=(size, groups)).ravel()
            stays = int(counts.sum())
            group = np.repeat(np.tile(np.arange(groups), size), counts)
            run = np.repeat(np.repeat(np.arange(size, dtype=np.int64), groups), counts)
            person = rng.integers(0, participants, size=stays, dtype=np.int64)
            when = rng.random(stays)
            amount = paid[group]
            after_cap = amount.astype(np.float64)
            cap = limits.yearly_cap_fen
            if cap is not None and stays:
                # A person's stays are taken in order only when they might add up to more than the cap: sums per
                # hash bucket of (run, person) are an upper bound of each person's sum (several people may share
                # a bucket), so no person over the cap is missed, and the exact pass sees only a few stays.
                key = run * participants + person
                bucket = key & (CAP_BUCKETS - 1)
                bucket_total = np.bincount(bucket, weights=after_cap, minlength=CAP_BUCKETS)
                over_cap = np.flatnonzero(bucket_total[bucket] > cap)
                if len(over_cap):
                    order, capped = apply_yearly_cap(key[over_cap], when[over_cap], amount[over_cap], cap)
                    after_cap[over_cap[order]] = capped
                    capped_stays += int(np.count_nonzero(capped < amount[over_cap][order]))
            all_stays += stays
            month = np.minimum((when * MONTHS).astype(np.int64), MONTHS - 1)
            monthly = np.bincount(run * MONTHS + month, weights=after_cap, minlength=size * MONTHS).reshape(
                size, MONTHS
            )
            cumulative = np.cumsum(monthly, axis=1)
            totals[done : done + size] = cumulative[:, -1]
            over = cumulative > fund_fen
            dry = over.any(axis=1)
            dry_month[done : done + size] = np.where(dry, np.argmax(over, axis=1), -1)
            done += size
            if progress is not None:
                progress(done, runs)
    elif progress is not None:
        progress(runs, runs)
    p5, p50, p95, p99 = np.percentile(totals, [5, 50, 95, 99])
    by_month = np.bincount(dry_month[dry_month >= 0], minlength=MONTHS)[:MONTHS] / runs
    return SolvencyResult(
        runs=runs,
        seed=seed,
        participants=participants,
        fund_fen=int(fund_fen),
        analytic_expected_fen=round(analytic),
        mean_fen=round(float(totals.mean())),
        p5_fen=round(float(p5)),
        p50_fen=round(float(p50)),
        p95_fen=round(float(p95)),
        p99_fen=round(float(p99)),
        run_dry_probability=float(np.count_nonzero(dry_month >= 0) / runs),
        expected_carry_over_fen=round(float(np.maximum(fund_fen - totals, 0).mean())),
        expected_shortfall_fen=round(float(np.maximum(totals - fund_fen, 0).mean())),
        run_dry_by_month=tuple(float(x) for x in by_month),
        capped_stays_share=capped_stays / all_stays if all_stays else 0.0,
    )
