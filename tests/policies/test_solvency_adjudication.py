"""The simulation pays a stay as the claims adjudication does (per-stay minimum and maximum, unlisted groups, the
yearly cap in order of admission). The policies layer does not import claims; this test compares both on sample
stays, so a change of the rules in one place fails here."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

adjudication = pytest.importorskip("mutualaid.claims.adjudication")

from mutualaid.policies.design import Limits  # noqa: E402
from mutualaid.policies.solvency import apply_yearly_cap, paid_amounts  # noqa: E402

START = date(2022, 11, 1)
TABLE = (("BR21", 6_000_00), ("ES35", 150_00), ("FM19", 80_000_00), ("IC29", 45_000_00))


def _terms(unlisted_rule: str, limits: Limits):
    return adjudication.PolicyTerms(
        policy_id=1,
        version=1,
        scheme_year=2022,
        coverage_start=START,
        coverage_end=date(2023, 10, 31),
        claim_deadline=date(2023, 12, 31),
        thresholds=(("resident", "out_of_pocket", 3_500_00),),
        per_stay_min_fen=limits.per_stay_min_fen,
        per_stay_max_fen=limits.per_stay_max_fen,
        yearly_cap_fen=limits.yearly_cap_fen,
        excluded_causes=frozenset({"cosmetic"}),
        designated_hospitals_only=True,
        mainland_only=True,
        unlisted_drg_rule=unlisted_rule,
        subsidy_table=TABLE,
    )


def _stay(drg_code: str, day: int):
    admitted = START + timedelta(days=day * 5)
    return adjudication.Stay(
        admission_date=admitted,
        discharge_date=admitted + timedelta(days=3),
        inpatient=True,
        hospital_designated=True,
        hospital_mainland=True,
        cause="illness",
        insurance_type="resident",
        total_cost_fen=500_000_00,
        insurance_paid_fen=300_000_00,
        out_of_pocket_fen=200_000_00,  # above every quota: the simulation assumes the same
        drg_code=drg_code,
        filed_on=admitted + timedelta(days=10),
    )


@pytest.mark.parametrize("unlisted_rule", ["minimum", "no_subsidy"])
@pytest.mark.parametrize(
    "limits",
    [Limits(300_00, 50_000_00, 100_000_00), Limits(500_00, 30_000_00, 60_000_00), Limits(300_00, None, None)],
)
def test_sample_stays_are_paid_the_same(unlisted_rule, limits):
    rng = np.random.default_rng(5)
    codes = [code for code, _ in TABLE] + ["GZ15"]  # GZ15: not in the table
    people = rng.integers(0, 4, size=40)
    groups = rng.integers(0, len(codes), size=40)
    terms = _terms(unlisted_rule, limits)
    amounts = {code: amount for code, amount in TABLE}
    unlisted = limits.per_stay_min_fen if unlisted_rule == "minimum" else 0
    quota = np.array([amounts.get(codes[g], unlisted) for g in groups])

    # The claims adjudication, stay by stay in order of admission, each person's approved total carried along.
    expected = np.zeros(40, dtype=np.int64)
    approved: dict[int, int] = {}
    claimed: dict[int, list] = {}
    for index in range(40):
        person = int(people[index])
        stay = _stay(codes[groups[index]], index)
        history = adjudication.History(approved.get(person, 0), tuple(claimed.get(person, [])))
        decision = adjudication.adjudicate(terms, True, stay, history)
        expected[index] = decision.amount_fen
        approved[person] = approved.get(person, 0) + decision.amount_fen
        claimed.setdefault(person, []).append((stay.admission_date, stay.discharge_date))

    # The simulation's vectorised rules on the same stays.
    order, paid = apply_yearly_cap(
        people.astype(np.int64),
        np.arange(40, dtype=np.float64),
        paid_amounts(quota, limits),
        limits.yearly_cap_fen,
    )
    simulated = np.zeros(40, dtype=np.int64)
    simulated[order] = paid

    assert simulated.tolist() == expected.tolist()
    assert expected.max() > 0
