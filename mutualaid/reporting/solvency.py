"""The run-dry probability beside fund health (issue 20 item 4): the latest solvency simulation of each town's
published policy, kept in the public schema (``TownSolvency``) and copied onto the town's rollup rows.

Who computes it:

- the background simulation (``simulate_town``, the task ``reporting.simulate_town_solvency``: town id and scheme
  year, idempotent — seeded, so the same inputs give the same figure) after a policy is published (a published
  table never changes; an amendment is a new published version) and every night after the rollup refresh, with
  ``BACKGROUND_RUNS`` simulated years;
- a town admin's own simulation of the year's published table (``policies.solvency.policy_simulated``), whatever
  its run count; a draft's (or a superseded version's) simulation never replaces the published figure.

The per-minute rollup refresh never simulates: it copies the stored figure (``rollup_fields``).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from mutualaid.platform.schemas import town_schema
from mutualaid.policies.choices import PolicyStatus
from mutualaid.policies.design_inputs import simulate_policy
from mutualaid.policies.models import PolicyVersion
from mutualaid.policies.solvency import DEFAULT_SEED, SolvencyResult
from mutualaid.reporting.models import RollupKind, SolvencySource, TownRollup, TownSolvency
from mutualaid.tenants.models import Town

logger = logging.getLogger(__name__)
BACKGROUND_RUNS = 2_000
ROLLUP_FIELDS = ("run_dry_bp", "expected_carry_over_fen", "solvency_policy_version", "solvency_computed_at")

_background: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "reporting_solvency_background", default=False
)


@contextmanager
def _in_background() -> Iterator[None]:
    token = _background.set(True)
    try:
        yield
    finally:
        _background.reset(token)


def to_bp(probability: float) -> int:
    return round(probability * 10_000)


def latest_published(scheme_year: int) -> PolicyVersion | None:
    """The year's published policy in force (the latest published version); inside the town's schema."""
    return (
        PolicyVersion.objects.filter(scheme_year__year=scheme_year, status=PolicyStatus.PUBLISHED)
        .order_by("-version")
        .first()
    )


def rollup_fields(found: TownSolvency | None) -> dict:
    """The rollup's columns from the stored figure (all empty without one, or when the latest attempt failed)."""
    if found is None or found.run_dry_bp is None:
        return dict.fromkeys(ROLLUP_FIELDS)
    return {
        "run_dry_bp": found.run_dry_bp,
        "expected_carry_over_fen": found.expected_carry_over_fen,
        "solvency_policy_version": found.policy_version,
        "solvency_computed_at": found.computed_at,
    }


def stored_by_year(town: Town) -> dict[int, TownSolvency]:
    return {s.scheme_year: s for s in TownSolvency.objects.filter(town=town)}


def store(
    town: Town,
    policy: PolicyVersion,
    result: SolvencyResult | None,
    *,
    source: str,
    rate_source: str = "",
    error: str = "",
) -> TownSolvency:
    """Keep the figure (or why there is none) and put it on the town's current rollup row of the year."""
    year = policy.scheme_year.year
    values: dict = {
        "policy_version": policy.version,
        "source": source,
        "rate_source": rate_source,
        "error": error[:200],
        "computed_at": timezone.now(),
        "run_dry_bp": None,
        "expected_carry_over_fen": None,
        "expected_shortfall_fen": None,
        "mean_payout_fen": None,
        "p95_payout_fen": None,
        "fund_fen": None,
        "participants": None,
        "likeliest_month": None,
        "runs": 0,
        "seed": 0,
    }
    if result is not None:
        values.update(
            run_dry_bp=to_bp(result.run_dry_probability),
            expected_carry_over_fen=result.expected_carry_over_fen,
            expected_shortfall_fen=result.expected_shortfall_fen,
            mean_payout_fen=result.mean_fen,
            p95_payout_fen=result.p95_fen,
            fund_fen=result.fund_fen,
            participants=result.participants,
            likeliest_month=result.likeliest_run_dry_month,
            runs=result.runs,
            seed=result.seed,
        )
    found, _ = TownSolvency.objects.update_or_create(town=town, scheme_year=year, defaults=values)
    TownRollup.objects.filter(town=town, scheme_year=year, kind=RollupKind.CURRENT).update(
        **rollup_fields(found)
    )
    return found


def simulate_town(
    town: Town, scheme_year: int | None = None, *, source: str = SolvencySource.NIGHTLY
) -> dict:
    """Simulate the published policy of ``scheme_year`` (every year with one when None) with ``BACKGROUND_RUNS``
    seeded runs and store each figure; {year: run-dry basis points, or the error}."""
    outcome: dict[int, int | str | None] = {}
    with town_schema(town):
        years = (
            [scheme_year]
            if scheme_year is not None
            else sorted(
                set(
                    PolicyVersion.objects.filter(status=PolicyStatus.PUBLISHED).values_list(
                        "scheme_year__year", flat=True
                    )
                )
            )
        )
        for year in years:
            policy = latest_published(year)
            if policy is None:
                continue
            try:
                with _in_background():
                    design, result = simulate_policy(policy, runs=BACKGROUND_RUNS, seed=DEFAULT_SEED)
            except ValidationError as exc:
                message = "；".join(exc.messages)
                store(town, policy, None, source=source, error=message)
                outcome[year] = message
                continue
            found = store(town, policy, result, source=source, rate_source=design.rates.source)
            outcome[year] = found.run_dry_bp
    return outcome


def current_town() -> Town | None:
    tenant = getattr(connection, "tenant", None)
    code = getattr(tenant, "code", None)
    if not code:
        return None
    if isinstance(tenant, Town):
        return tenant
    return Town.objects.filter(code=code).first()


def town_simulated(
    sender=None, *, policy: PolicyVersion, result: SolvencyResult, rate_source: str = "", **kw
):
    """A town's own simulation (inside its schema): kept only when it is of the year's published policy in force."""
    if _background.get():
        return
    town = current_town()
    if town is None or policy.status != PolicyStatus.PUBLISHED:
        return
    latest = latest_published(policy.scheme_year.year)
    if latest is None or latest.pk != policy.pk:
        return
    try:
        with transaction.atomic():  # a savepoint: keeping the figure never fails the town's own simulation
            store(town, policy, result, source=SolvencySource.TOWN, rate_source=rate_source)
    except DatabaseError:
        logger.exception("run-dry figure of %s not kept", town.code)
