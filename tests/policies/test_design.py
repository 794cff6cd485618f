"""The one-click design (pure): expected payout equals the target, limits hold, typed errors for bad input."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from mutualaid.policies.design import DesignErrorCode, Limits, design_table, expected_payout_fen

LIMITS = Limits(per_stay_min_fen=300_00, per_stay_max_fen=50_000_00, yearly_cap_fen=100_000_00)


def _groups(n=628, seed=7):
    rng = np.random.default_rng(seed)
    codes = [f"{chr(65 + i % 26)}{chr(65 + i // 26 % 26)}{i % 100:02d}" for i in range(n)]
    weights = rng.lognormal(0.0, 0.9, n)
    per_1000 = rng.dirichlet(np.ones(n)) * 45  # 45 subsidised stays per 1,000 people a year
    return codes, weights, per_1000


def _code(error: ValidationError) -> str:
    return next(iter(error.error_dict.values()))[0].code


@pytest.mark.parametrize(
    "participants,target_yuan", [(40_000, 1_500_000), (18_600, 680_000), (3_000, 90_000)]
)
def test_expected_spend_equals_target_within_one_yuan_per_thousand(participants, target_yuan):
    codes, weights, per_1000 = _groups()
    stays = per_1000 * participants / 1000

    design = design_table(codes, weights, stays, target_yuan * 100, LIMITS)

    amounts = np.array([line.amount_fen for line in design.lines])
    assert design.target_reached
    assert abs(expected_payout_fen(amounts, stays) - target_yuan * 100) <= target_yuan * 100 / 1000
    assert abs(design.expected_fen - design.target_fen) <= design.target_fen / 1000


def test_amounts_are_whole_yuan_within_the_limits_and_keep_the_weights_order():
    codes, weights, per_1000 = _groups()
    design = design_table(codes, weights, per_1000 * 40, 1_500_000_00, LIMITS)

    amounts = np.array([line.amount_fen for line in design.lines])
    assert np.all(amounts % 100 == 0)
    assert amounts.min() >= LIMITS.per_stay_min_fen
    assert amounts.max() <= LIMITS.per_stay_max_fen
    order = np.argsort(weights, kind="stable")
    assert np.all(np.diff(amounts[order]) >= 0)  # a heavier group never gets less
    assert design.at_minimum > 0  # the light groups are held up by the minimum


def test_a_rich_fund_puts_amounts_at_the_maximum_and_the_yearly_cap_bounds_the_maximum():
    codes, weights, per_1000 = _groups(50)
    limits = Limits(300_00, 80_000_00, 60_000_00)  # a cap below the per-stay maximum

    design = design_table(codes, weights, per_1000 * 40, 10_000_000_000_00, limits)

    assert not design.target_reached
    assert max(line.amount_fen for line in design.lines) == 60_000_00
    assert design.gap_fen > 0


def test_equal_weights_still_meet_the_target():
    """Groups of equal weight jump a yuan together; the last pass raises them one by one."""
    codes = [f"ES{i:02d}" for i in range(300)]
    design = design_table(codes, np.ones(300), np.full(300, 1.7), 1_234_567_89, LIMITS)
    assert abs(design.expected_fen - 1_234_567_89) <= 1_234_567_89 / 1000


def test_unlisted_groups_cost_comes_off_the_target():
    codes, weights, per_1000 = _groups(30)
    design = design_table(
        codes, weights, per_1000 * 20, 500_000_00, LIMITS, unlisted_stays=100.0, unlisted_amount_fen=300_00
    )
    assert design.unlisted_expected_fen == 100 * 300_00
    listed = sum(line.expected_stays * line.amount_fen for line in design.lines)
    assert abs(listed + design.unlisted_expected_fen - 500_000_00) <= 500_000_00 / 1000


@pytest.mark.parametrize(
    "change,code",
    [
        ({"target_fen": 0}, DesignErrorCode.NO_FUNDS),
        ({"target_fen": 1_00}, DesignErrorCode.FUND_BELOW_MINIMUM),
        ({"expected_stays": [1.0, -1.0, 1.0]}, DesignErrorCode.INVALID_RATE),
        ({"expected_stays": [1.0, float("nan"), 1.0]}, DesignErrorCode.MISSING_RATE),
        ({"expected_stays": [0.0, 0.0, 0.0]}, DesignErrorCode.INVALID_RATE),
        ({"weights": [1.0, 0.0, 2.0]}, DesignErrorCode.NO_WEIGHTS),
        ({"codes": []}, DesignErrorCode.NO_WEIGHTS),
        ({"limits": Limits(500_00, 300_00, None)}, DesignErrorCode.INVALID_LIMITS),
    ],
)
def test_bad_inputs_are_typed_errors(change, code):
    arguments = {
        "codes": ["ES31", "FM19", "BR21"],
        "weights": [1.0, 2.0, 3.0],
        "expected_stays": [10.0, 5.0, 2.0],
        "target_fen": 100_000_00,
        "limits": LIMITS,
    } | change
    with pytest.raises(ValidationError) as caught:
        design_table(**arguments)
    assert _code(caught.value) == code.value
