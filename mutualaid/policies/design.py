"""One-click scheme design (一键设计): a DRG subsidy table whose expected yearly payout equals a target (pure, numpy).

新胜镇方案 三（三）: “每年的病种补助定额根据当年度筹资标准和实际参加人员测算确定”. Given

- the groups of a chosen source with their relative weights (a city's DRG weights ``RW`` from the imported
  payment tables, or the amounts of the current table),
- the expected number of subsidised stays in the year per group (participants × rate per 1,000 / 1,000),
- the target spend (the fund available for the year, see ``design_inputs``),
- the per-stay minimum and maximum and the yearly cap of the policy,

``design_table`` finds one scale ``k`` (yuan per unit of weight) so that every amount is ``k × weight`` rounded to
whole yuan and clamped to [minimum, min(maximum, yearly cap)], and the expected payout Σ stays × amount equals
the target: within one yuan per thousand of the target whenever the limits allow it. The expected payout is a
step function of ``k`` that never decreases, so ``k`` is found by bisection on the rounded, clamped amounts
themselves; a last pass moves single groups by one yuan to close the gap the steps leave (groups of equal weight
jump together).

Stays of groups outside the table (rates given for them, no weight) are paid by the policy's rule for unlisted
groups (the per-stay minimum, or nothing): their expected cost is fixed and comes off the target first.

The expected payout ignores the yearly cap beyond each amount being at most the cap: the cap binds only for a
person with several large stays in one year, which the solvency simulation (``solvency``) counts exactly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np
from django.core.exceptions import ValidationError

YUAN = 100


class DesignErrorCode(Enum):
    """Typed errors of the scheme design and the solvency simulation (lower-case codes)."""

    NO_PARTICIPANTS = "no_participants"
    NO_FUNDS = "no_funds"
    RESERVE_OUT_OF_RANGE = "reserve_out_of_range"
    INVALID_RATE = "invalid_rate"
    MISSING_RATE = "missing_rate"
    UNKNOWN_DRG_CODE = "unknown_drg_code"
    NO_WEIGHTS = "no_weights"
    FUND_BELOW_MINIMUM = "fund_below_minimum"
    INVALID_LIMITS = "invalid_limits"
    INVALID_RUNS = "invalid_runs"
    NO_SUBSIDY_TABLE = "no_subsidy_table"
    NO_POLICY = "no_policy"
    INVALID_FILE_TYPE = "invalid_file_type"
    INVALID_ROW = "invalid_row"
    INVALID = "invalid"
    NOT_FOUND = "not_found"


def design_error(field: str, code: DesignErrorCode, message: str) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code.value)})


@dataclass(frozen=True)
class Limits:
    """The policy's limits (fen): per-stay minimum and maximum, and the yearly cap per person (None: none)."""

    per_stay_min_fen: int
    per_stay_max_fen: int | None
    yearly_cap_fen: int | None = None

    @property
    def ceiling_fen(self) -> int | None:
        """The most one stay can get: the per-stay maximum, never above the yearly cap."""
        caps = [c for c in (self.per_stay_max_fen, self.yearly_cap_fen) if c is not None]
        return min(caps) if caps else None

    def check(self) -> None:
        if self.per_stay_min_fen < 0:
            raise design_error(
                "per_stay_min_fen", DesignErrorCode.INVALID_LIMITS, "单次住院最低补助不能为负数"
            )
        ceiling = self.ceiling_fen
        if ceiling is not None and ceiling < self.per_stay_min_fen:
            raise design_error(
                "per_stay_max_fen",
                DesignErrorCode.INVALID_LIMITS,
                "单次住院最高补助（及年度累计上限）不能低于单次住院最低补助",
            )


@dataclass(frozen=True)
class DesignLine:
    drg_code: str
    drg_name: str
    weight: float
    expected_stays: float
    amount_fen: int

    @property
    def expected_cost_fen(self) -> int:
        return round(self.expected_stays * self.amount_fen)


@dataclass(frozen=True)
class Design:
    lines: tuple[DesignLine, ...]
    target_fen: int
    expected_fen: int  # Σ expected stays × amount, listed and unlisted groups
    unlisted_expected_fen: int  # of the unlisted groups (fixed by the policy's rule)
    unlisted_stays: float
    scale_yuan_per_weight: float
    target_reached: bool  # False when every amount is at the ceiling and still below the target
    at_minimum: int  # groups held up by the per-stay minimum
    at_maximum: int  # groups held down by the per-stay maximum / yearly cap

    @property
    def expected_stays(self) -> float:
        return float(sum(line.expected_stays for line in self.lines)) + self.unlisted_stays

    @property
    def gap_fen(self) -> int:
        """Target − expected payout (positive: money expected to be left)."""
        return self.target_fen - self.expected_fen


def amounts_for(scale: float, weights: np.ndarray, minimum_fen: int, ceiling_fen: int | None) -> np.ndarray:
    """``scale × weight`` yuan, rounded half up to whole yuan, clamped to [minimum, ceiling] (fen, int64)."""
    yuan = np.floor(scale * weights + 0.5)
    fen = yuan.astype(np.int64) * YUAN
    np.maximum(fen, minimum_fen, out=fen)
    if ceiling_fen is not None:
        np.minimum(fen, ceiling_fen, out=fen)
    return fen


def _check_vector(name: str, values: np.ndarray, *, positive: bool) -> None:
    if not np.all(np.isfinite(values)):
        raise design_error(name, DesignErrorCode.MISSING_RATE, "存在缺失或非数值的数据")
    if np.any(values < 0) or (positive and np.any(values <= 0)):
        raise design_error(
            name,
            DesignErrorCode.NO_WEIGHTS if positive else DesignErrorCode.INVALID_RATE,
            "权重必须大于零" if positive else "住院率不能为负数",
        )


def design_table(
    codes: Sequence[str],
    weights: Sequence[float] | np.ndarray,
    expected_stays: Sequence[float] | np.ndarray,
    target_fen: int,
    limits: Limits,
    *,
    names: Sequence[str] | None = None,
    unlisted_stays: float = 0.0,
    unlisted_amount_fen: int = 0,
) -> Design:
    """The table (module docstring). ``expected_stays[i]`` is the expected number of stays of ``codes[i]`` in the
    year for the whole town; ``unlisted_stays`` those of groups outside the table, paid ``unlisted_amount_fen``."""
    limits.check()
    w = np.asarray(weights, dtype=np.float64)
    stays = np.asarray(expected_stays, dtype=np.float64)
    if len(codes) == 0 or w.shape != (len(codes),) or stays.shape != w.shape:
        raise design_error("weights", DesignErrorCode.NO_WEIGHTS, "没有可用于测算的病组权重")
    _check_vector("weights", w, positive=True)
    _check_vector("rates", stays, positive=False)
    if not np.isfinite(unlisted_stays) or unlisted_stays < 0:
        raise design_error("rates", DesignErrorCode.INVALID_RATE, "住院率不能为负数")
    if float(stays.sum()) + unlisted_stays <= 0:
        raise design_error("rates", DesignErrorCode.INVALID_RATE, "预计住院次数为零，无法测算")
    if target_fen <= 0:
        raise design_error("fund_available_fen", DesignErrorCode.NO_FUNDS, "可用于补助的资金为零，无法测算")
    minimum, ceiling = limits.per_stay_min_fen, limits.ceiling_fen
    unlisted_fen = unlisted_stays * unlisted_amount_fen
    listed_target = target_fen - unlisted_fen

    def expected(amounts: np.ndarray) -> float:
        return float(stays @ amounts)

    floor_amounts = amounts_for(0.0, w, minimum, ceiling)
    if expected(floor_amounts) > listed_target:
        floor_total = (expected(floor_amounts) + unlisted_fen) / YUAN
        raise design_error(
            "fund_available_fen",
            DesignErrorCode.FUND_BELOW_MINIMUM,
            f"可用资金不足：即使每个病组都按单次最低补助，预计支出也需 {floor_total:,.0f} 元",
        )
    # The smallest scale that puts every group at the ceiling (or a scale past the target without a ceiling).
    if ceiling is not None:
        high = (ceiling / YUAN + 1) / float(w.min())
    else:
        high = max(listed_target / YUAN / max(float(stays @ w), 1e-12), 1.0) * 2 + 1
        while expected(amounts_for(high, w, minimum, ceiling)) < listed_target:
            high *= 2
    top = amounts_for(high, w, minimum, ceiling)
    if expected(top) <= listed_target:  # even the ceiling everywhere stays below the target
        amounts, scale, reached = top, high, expected(top) >= listed_target - target_fen / 1000
    else:
        low = 0.0
        for _ in range(200):
            middle = (low + high) / 2
            if middle in (low, high):
                break
            if expected(amounts_for(middle, w, minimum, ceiling)) <= listed_target:
                low = middle
            else:
                high = middle
        amounts = amounts_for(low, w, minimum, ceiling)
        upper = amounts_for(high, w, minimum, ceiling)
        amounts = _close_gap(amounts, upper, stays, listed_target)
        scale, reached = low, True
    total = expected(amounts) + unlisted_fen
    lines = tuple(
        DesignLine(
            drg_code=str(code),
            drg_name=str(names[i]) if names is not None else "",
            weight=float(w[i]),
            expected_stays=float(stays[i]),
            amount_fen=int(amounts[i]),
        )
        for i, code in enumerate(codes)
    )
    return Design(
        lines=lines,
        target_fen=int(target_fen),
        expected_fen=round(total),
        unlisted_expected_fen=round(unlisted_fen),
        unlisted_stays=float(unlisted_stays),
        scale_yuan_per_weight=float(scale),
        target_reached=bool(reached),
        at_minimum=int(np.count_nonzero(amounts <= minimum)),
        at_maximum=int(np.count_nonzero(amounts >= ceiling)) if ceiling is not None else 0,
    )


def _close_gap(lower: np.ndarray, upper: np.ndarray, stays: np.ndarray, target: float) -> np.ndarray:
    """From ``lower`` (at or below the target), raise single groups that ``upper`` raises, one yuan at a time
    in effect (each by its own step), most expected stays first, while that brings the payout nearer the target."""
    amounts = lower.copy()
    gap = target - float(stays @ amounts)
    steps = (upper - lower).astype(np.float64) * stays
    for index in np.argsort(-steps, kind="stable"):
        step = steps[index]
        if step <= 0:
            break
        if abs(gap - step) < abs(gap):
            amounts[index] = upper[index]
            gap -= step
    return amounts


def expected_payout_fen(amounts_fen: np.ndarray, expected_stays: np.ndarray) -> float:
    """Σ expected stays × amount: the analytic expectation the simulation's mean converges to (no yearly cap)."""
    return float(np.asarray(expected_stays, dtype=np.float64) @ np.asarray(amounts_fen, dtype=np.float64))
