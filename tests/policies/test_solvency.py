"""The solvency simulation (pure): seeded, converges to the analytic expectation, run-dry probabilities, limits."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from mutualaid.policies.design import DesignErrorCode, Limits
from mutualaid.policies.solvency import apply_yearly_cap, paid_amounts, simulate

LIMITS = Limits(per_stay_min_fen=300_00, per_stay_max_fen=50_000_00, yearly_cap_fen=100_000_00)
PARTICIPANTS = 20_000


def _table(n=120, seed=3):
    rng = np.random.default_rng(seed)
    amounts = (np.round(rng.lognormal(7.0, 0.8, n)) * 100).astype(np.int64)
    amounts = np.clip(amounts, LIMITS.per_stay_min_fen, 20_000_00)
    per_person = rng.dirichlet(np.ones(n)) * 0.045
    return amounts, per_person


def _analytic(amounts, per_person, participants=PARTICIPANTS):
    return participants * float(per_person @ paid_amounts(amounts, LIMITS))


def test_the_same_seed_gives_the_same_figures_and_another_seed_others():
    amounts, per_person = _table()
    first = simulate(amounts, per_person, PARTICIPANTS, 500_000_00, LIMITS, runs=300, seed=11)
    again = simulate(amounts, per_person, PARTICIPANTS, 500_000_00, LIMITS, runs=300, seed=11)
    other = simulate(amounts, per_person, PARTICIPANTS, 500_000_00, LIMITS, runs=300, seed=12)
    assert first == again
    assert other.mean_fen != first.mean_fen


def test_the_mean_payout_converges_to_the_analytic_expectation_within_two_percent():
    amounts, per_person = _table()
    analytic = _analytic(amounts, per_person)

    result = simulate(amounts, per_person, PARTICIPANTS, int(analytic), LIMITS, runs=5_000)

    assert result.analytic_expected_fen == round(analytic)
    assert abs(result.mean_fen - analytic) <= 0.02 * analytic
    assert result.p5_fen < result.p50_fen < result.p95_fen < result.p99_fen


def test_a_fund_at_the_expected_payout_runs_dry_about_half_the_time():
    amounts, per_person = _table()
    analytic = _analytic(amounts, per_person)

    result = simulate(amounts, per_person, PARTICIPANTS, int(analytic), LIMITS, runs=5_000)

    assert 0.40 <= result.run_dry_probability <= 0.60
    # Money that runs out at the expected payout runs out at the very end of the year.
    assert result.likeliest_run_dry_month == 12
    assert sum(result.run_dry_by_month) == pytest.approx(result.run_dry_probability)


def test_a_fund_at_twice_the_99th_percentile_almost_never_runs_dry():
    amounts, per_person = _table()
    probe = simulate(amounts, per_person, PARTICIPANTS, 1, LIMITS, runs=2_000)

    result = simulate(amounts, per_person, PARTICIPANTS, 2 * probe.p99_fen, LIMITS, runs=5_000)

    assert result.run_dry_probability <= 0.001
    assert result.likeliest_run_dry_month is None
    assert result.expected_carry_over_fen == pytest.approx(2 * probe.p99_fen - result.mean_fen, rel=1e-6)


def test_a_small_fund_runs_dry_early():
    amounts, per_person = _table()
    analytic = _analytic(amounts, per_person)
    result = simulate(amounts, per_person, PARTICIPANTS, int(analytic / 2), LIMITS, runs=500)
    assert result.run_dry_probability == 1.0
    assert result.likeliest_run_dry_month in (6, 7)
    assert result.expected_shortfall_fen > 0


def test_per_stay_limits_are_applied_like_adjudication():
    limits = Limits(300_00, 50_000_00, 100_000_00)
    assert paid_amounts(np.array([100_00, 300_00, 1_234_00, 80_000_00, 0]), limits).tolist() == [
        300_00,
        300_00,
        1_234_00,
        50_000_00,
        0,  # an unlisted group without subsidy is not paid, not raised to the minimum
    ]


def test_the_yearly_cap_pays_stays_in_order_of_admission_until_the_cap():
    keys = np.array([1, 1, 1, 2, 1])
    times = np.array([0.5, 0.1, 0.9, 0.2, 0.7])
    amounts = np.array([50_000_00, 40_000_00, 30_000_00, 50_000_00, 20_000_00])

    order, paid = apply_yearly_cap(keys, times, amounts, 100_000_00)

    by_stay = dict(zip(order.tolist(), paid.tolist(), strict=True))
    # person 1: 0.1 → 40,000; 0.5 → 50,000; 0.7 → 10,000 (cap reached); 0.9 → 0
    assert by_stay == {1: 40_000_00, 0: 50_000_00, 4: 10_000_00, 2: 0, 3: 50_000_00}


def test_the_yearly_cap_binds_in_the_simulation_when_stays_are_frequent():
    amounts = np.array([50_000_00])
    result = simulate(amounts, np.array([2.0]), 1_000, 10**12, LIMITS, runs=50)
    assert result.capped_stays_share > 0.2
    assert result.mean_fen < result.analytic_expected_fen
    # nobody gets more than the cap: a year's total is at most participants × cap
    assert result.p99_fen <= 1_000 * LIMITS.yearly_cap_fen


def test_progress_is_reported_up_to_all_runs():
    amounts, per_person = _table()
    seen = []
    simulate(
        amounts,
        per_person,
        PARTICIPANTS,
        1,
        LIMITS,
        runs=1_000,
        progress=lambda done, total: seen.append(done),
    )
    assert seen[-1] == 1_000 and seen == sorted(seen)


@pytest.mark.parametrize(
    "participants,fund,rates,runs,code",
    [
        (0, 1, [0.01], 10, DesignErrorCode.NO_PARTICIPANTS),
        (10, -1, [0.01], 10, DesignErrorCode.NO_FUNDS),
        (10, 1, [-0.01], 10, DesignErrorCode.INVALID_RATE),
        (10, 1, [float("nan")], 10, DesignErrorCode.MISSING_RATE),
        (10, 1, [0.01], 0, DesignErrorCode.INVALID_RUNS),
    ],
)
def test_bad_inputs_are_typed_errors(participants, fund, rates, runs, code):
    with pytest.raises(ValidationError) as caught:
        simulate(np.array([500_00]), np.array(rates), participants, fund, LIMITS, runs=runs)
    assert next(iter(caught.value.error_dict.values()))[0].code == code.value
