"""A policy version's solvency simulation, kept so the admin sees it next to the publish button.

``check_policy`` simulates a version's own table (``design_inputs.simulate_policy``) against the town's fund and
paid participants and records the outcome as the audit event ``policy.solvency_simulation`` of that version: who
ran it, when, with which rates and how many runs, and the figures. ``latest_check`` reads the newest one back and
says whether the table or its limits changed since (then the outcome no longer describes the version).

The figures are plain numbers (fen, probabilities), never personal data.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from mutualaid.platform.audit.actions import record_event
from mutualaid.platform.audit.models import AuditEvent
from mutualaid.policies.design_inputs import DesignOutcome, simulate_policy
from mutualaid.policies.design_rates import RateTable
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.solvency import DEFAULT_SEED, SolvencyResult

ACTION = "policy.solvency_simulation"


def table_fingerprint(policy: PolicyVersion) -> str:
    """A digest of what the simulation reads from the version: its table, limits and rule for unlisted groups."""
    parts = {
        "rows": [[r.drg_code, r.amount_fen] for r in policy.subsidy_rows()],
        "limits": [policy.per_stay_min_fen, policy.per_stay_max_fen, policy.yearly_cap_fen],
        "unlisted": policy.unlisted_drg_rule,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:32]


def result_data(result: SolvencyResult) -> dict:
    return {
        "runs": result.runs,
        "seed": result.seed,
        "participants": result.participants,
        "fund_fen": result.fund_fen,
        "analytic_expected_fen": result.analytic_expected_fen,
        "mean_fen": result.mean_fen,
        "p5_fen": result.p5_fen,
        "p50_fen": result.p50_fen,
        "p95_fen": result.p95_fen,
        "p99_fen": result.p99_fen,
        "run_dry_probability": result.run_dry_probability,
        "expected_carry_over_fen": result.expected_carry_over_fen,
        "expected_shortfall_fen": result.expected_shortfall_fen,
        "run_dry_by_month": list(result.run_dry_by_month),
        "capped_stays_share": result.capped_stays_share,
    }


def result_from_data(data: dict) -> SolvencyResult:
    return SolvencyResult(
        runs=int(data["runs"]),
        seed=int(data["seed"]),
        participants=int(data["participants"]),
        fund_fen=int(data["fund_fen"]),
        analytic_expected_fen=int(data["analytic_expected_fen"]),
        mean_fen=int(data["mean_fen"]),
        p5_fen=int(data["p5_fen"]),
        p50_fen=int(data["p50_fen"]),
        p95_fen=int(data["p95_fen"]),
        p99_fen=int(data["p99_fen"]),
        run_dry_probability=float(data["run_dry_probability"]),
        expected_carry_over_fen=int(data["expected_carry_over_fen"]),
        expected_shortfall_fen=int(data["expected_shortfall_fen"]),
        run_dry_by_month=tuple(float(p) for p in data["run_dry_by_month"]),
        capped_stays_share=float(data["capped_stays_share"]),
    )


@dataclass(frozen=True)
class SolvencyCheck:
    """A recorded simulation of a policy version."""

    result: SolvencyResult
    at: datetime | None
    by: str
    rate_source: str
    rate_note: str
    expected_fen: int  # Σ expected stays × amount of the version's table
    stale: bool  # the table or its limits changed since

    @property
    def run_dry_percent(self) -> str:
        return f"{self.result.run_dry_probability * 100:.1f}%"


def check_policy(
    policy: PolicyVersion,
    actor,
    *,
    rates: RateTable | None = None,
    runs: int,
    seed: int = DEFAULT_SEED,
) -> tuple[DesignOutcome, SolvencyCheck]:
    """Simulate ``policy``'s own table and record the outcome (see the module docstring)."""
    outcome, result = simulate_policy(policy, rates, reserve_bp=0, runs=runs, seed=seed)
    data = {
        **result_data(result),
        "scheme_year": policy.scheme_year.year,
        "version": policy.version,
        "fingerprint": table_fingerprint(policy),
        "rate_source": outcome.rates.source,
        "rate_note": outcome.rates.note,
        "expected_fen": outcome.design.expected_fen,
    }
    event = record_event(actor, ACTION, policy, data)
    return outcome, _check(event, policy, data)


def _check(event: AuditEvent, policy: PolicyVersion, data: dict) -> SolvencyCheck:
    return SolvencyCheck(
        result=result_from_data(data),
        at=event.at,
        by=event.actor_username,
        rate_source=str(data.get("rate_source", "")),
        rate_note=str(data.get("rate_note", "")),
        expected_fen=int(data.get("expected_fen") or 0),
        stale=data.get("fingerprint") != table_fingerprint(policy),
    )


def latest_check(policy: PolicyVersion) -> SolvencyCheck | None:
    """The newest recorded simulation of ``policy``, or None."""
    event = (
        AuditEvent.objects.filter(action=ACTION, object_type=PolicyVersion.__name__, object_id=str(policy.pk))
        .order_by("-at", "-pk")
        .first()
    )
    if event is None:
        return None
    try:
        return _check(event, policy, event.data)
    except (KeyError, TypeError, ValueError):
        return None
