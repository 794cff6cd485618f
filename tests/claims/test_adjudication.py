"""The pure adjudication function: every rule of 新胜镇's 2022 scheme with its code and Chinese reason, and
property tests of the invariants (never negative, never above the per-stay maximum, the out-of-pocket amount or
the yearly cap in sum, deterministic)."""

from dataclasses import replace
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mutualaid.claims.adjudication import (
    History,
    PolicyTerms,
    Stay,
    adjudicate,
    inputs_from_json,
    inputs_to_json,
)

YUAN = 100
XINSHENG = PolicyTerms(
    policy_id=7,
    version=1,
    scheme_year=2022,
    coverage_start=date(2022, 11, 1),
    coverage_end=date(2023, 10, 31),
    claim_deadline=date(2023, 12, 31),
    thresholds=(
        ("resident", "out_of_pocket", 3500 * YUAN),
        ("employee", "out_of_pocket", 3500 * YUAN),
        ("none", "total_cost", 7000 * YUAN),
    ),
    per_stay_min_fen=300 * YUAN,
    per_stay_max_fen=50000 * YUAN,
    yearly_cap_fen=100000 * YUAN,
    excluded_causes=frozenset(
        {"outpatient", "check_up", "cosmetic", "plastic", "work_injury", "crime", "third_party_liable"}
    ),
    designated_hospitals_only=True,
    mainland_only=True,
    unlisted_drg_rule="minimum",
    subsidy_table=(
        ("BR25", 1500 * YUAN),
        ("EB19", 15000 * YUAN),
        ("GB11", 20000 * YUAN),
        ("ZZ99", 80000 * YUAN),
    ),
)
STAY = Stay(
    admission_date=date(2023, 3, 1),
    discharge_date=date(2023, 3, 12),
    inpatient=True,
    hospital_designated=True,
    hospital_mainland=True,
    cause="illness",
    insurance_type="resident",
    total_cost_fen=30000 * YUAN,
    insurance_paid_fen=10000 * YUAN,
    out_of_pocket_fen=20000 * YUAN,
    drg_code="EB19",
    filed_on=date(2023, 3, 20),
)


def failed(decision) -> set[str]:
    return {r.code for r in decision.reasons if not r.passed}


def test_an_eligible_stay_gets_its_groups_quota_with_every_reason_stated():
    decision = adjudicate(XINSHENG, True, STAY, History())
    assert decision.eligible and decision.amount_fen == 15000 * YUAN
    codes = [r.code for r in decision.reasons]
    assert codes[:9] == [
        "coverage_period", "enrolled", "inpatient", "designated_hospital", "mainland_hospital",
        "excluded_cause", "threshold", "claim_deadline", "duplicate_stay",
    ]  # fmt: skip
    assert "drg_quota" in codes and codes[-1] == "amount"
    assert decision.reasons[-1].message == "核定补助 15000.00 元"
    assert (decision.policy_id, decision.policy_version, decision.scheme_year) == (7, 1, 2022)


def test_each_rule_refuses_with_its_code():
    cases = {
        "coverage_period": replace(
            STAY, admission_date=date(2022, 10, 20), discharge_date=date(2022, 10, 25)
        ),
        "inpatient": replace(STAY, inpatient=False),
        "designated_hospital": replace(STAY, hospital_designated=False),
        "mainland_hospital": replace(STAY, hospital_mainland=False),
        "excluded_cause": replace(STAY, cause="work_injury"),
        "threshold": replace(STAY, out_of_pocket_fen=3499 * YUAN, insurance_paid_fen=26501 * YUAN),
        "claim_deadline": replace(STAY, filed_on=date(2024, 1, 1)),
    }
    for code, stay in cases.items():
        decision = adjudicate(XINSHENG, True, stay, History())
        assert not decision.eligible and decision.amount_fen == 0
        assert code in failed(decision), code
    not_enrolled = adjudicate(XINSHENG, False, STAY, History())
    assert failed(not_enrolled) == {"enrolled"}
    assert "未参加 2022 互助年度" in next(r.message for r in not_enrolled.reasons if r.code == "enrolled")
    assert adjudicate(None, False, STAY, History()).reasons[0].code == "coverage_period"


def test_thresholds_follow_the_insurance_type():
    uninsured = replace(STAY, insurance_type="none", insurance_paid_fen=0, out_of_pocket_fen=6999 * YUAN,
                        total_cost_fen=6999 * YUAN)  # fmt: skip
    assert failed(adjudicate(XINSHENG, True, uninsured, History())) == {"threshold"}
    enough = replace(uninsured, out_of_pocket_fen=7000 * YUAN, total_cost_fen=7000 * YUAN, drg_code="GB11")
    decision = adjudicate(XINSHENG, True, enough, History())
    # The uninsured are limited by the total cost.
    assert decision.eligible and decision.amount_fen == 7000 * YUAN
    exact = replace(STAY, out_of_pocket_fen=3500 * YUAN, insurance_paid_fen=26500 * YUAN, drg_code="BR25")
    assert adjudicate(XINSHENG, True, exact, History()).amount_fen == 1500 * YUAN


def test_duplicates_unlisted_groups_and_the_clamps():
    overlapping = History(claimed_stays=((date(2023, 3, 10), date(2023, 3, 15)),))
    assert failed(adjudicate(XINSHENG, True, STAY, overlapping)) == {"duplicate_stay"}
    adjacent = History(claimed_stays=((date(2023, 2, 1), date(2023, 2, 28)),))
    assert adjudicate(XINSHENG, True, STAY, adjacent).eligible

    unlisted = adjudicate(XINSHENG, True, replace(STAY, drg_code="FR23"), History())
    assert unlisted.eligible and unlisted.amount_fen == 300 * YUAN
    no_subsidy = replace(XINSHENG, unlisted_drg_rule="no_subsidy")
    assert failed(adjudicate(no_subsidy, True, replace(STAY, drg_code="FR23"), History())) == {"drg_quota"}
    assert failed(adjudicate(XINSHENG, True, replace(STAY, drg_code=""), History())) == {"drg_quota"}

    big = replace(STAY, drg_code="ZZ99", total_cost_fen=200000 * YUAN, insurance_paid_fen=100000 * YUAN,
                  out_of_pocket_fen=100000 * YUAN)  # fmt: skip
    capped = adjudicate(XINSHENG, True, big, History())
    assert capped.amount_fen == 50000 * YUAN and "per_stay_maximum" in [r.code for r in capped.reasons]
    near_cap = adjudicate(XINSHENG, True, big, History(approved_fen=80000 * YUAN))
    assert near_cap.amount_fen == 20000 * YUAN
    at_cap = adjudicate(XINSHENG, True, big, History(approved_fen=100000 * YUAN))
    assert not at_cap.eligible and failed(at_cap) == {"yearly_cap"}


def test_inputs_round_trip_through_json_and_give_the_same_decision():
    history = History(approved_fen=1234, claimed_stays=((date(2023, 1, 2), date(2023, 1, 5)),))
    stored = inputs_to_json(XINSHENG, True, STAY, history)
    # Only the stay's own group's row of the subsidy table is kept (the decision reads no other).
    assert inputs_from_json(stored) == (
        replace(XINSHENG, subsidy_table=(("EB19", 15000 * YUAN),)),
        True,
        STAY,
        history,
    )
    assert adjudicate(*inputs_from_json(stored)) == adjudicate(XINSHENG, True, STAY, history)


# --- properties ----------------------------------------------------------------------------------------------------

amounts = st.integers(min_value=0, max_value=2_000_000 * YUAN)
stays = st.builds(
    lambda start, days, inpatient, designated, mainland, cause, insurance, paid, own, drg, late: Stay(
        admission_date=start,
        discharge_date=start + timedelta(days=days),
        inpatient=inpatient,
        hospital_designated=designated,
        hospital_mainland=mainland,
        cause=cause,
        insurance_type=insurance,
        total_cost_fen=paid + own,
        insurance_paid_fen=0 if insurance == "none" else paid,
        out_of_pocket_fen=own,
        drg_code=drg,
        filed_on=start + timedelta(days=days + late),
    ),
    st.dates(min_value=date(2022, 9, 1), max_value=date(2023, 12, 31)),
    st.integers(0, 60),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.sampled_from(["illness", "accident", "check_up", "work_injury", "childbirth"]),
    st.sampled_from(["resident", "employee", "none"]),
    amounts,
    amounts,
    st.sampled_from(["BR25", "EB19", "GB11", "ZZ99", "FR23", ""]),
    st.integers(0, 400),
)
policies = st.builds(
    lambda minimum, maximum, cap, rule: replace(
        XINSHENG,
        per_stay_min_fen=minimum,
        per_stay_max_fen=maximum,
        yearly_cap_fen=cap,
        unlisted_drg_rule=rule,
    ),
    st.integers(0, 1000 * YUAN),
    st.one_of(st.none(), st.integers(1000 * YUAN, 80000 * YUAN)),
    st.one_of(st.none(), st.integers(0, 150000 * YUAN)),
    st.sampled_from(["minimum", "no_subsidy"]),
)


@settings(max_examples=300, deadline=None)
@given(policies, st.booleans(), stays, st.integers(0, 150000 * YUAN))
def test_a_decision_is_never_negative_nor_above_the_limits_and_always_the_same(
    policy, enrolled, stay, so_far
):
    decision = adjudicate(policy, enrolled, stay, History(approved_fen=so_far))
    assert decision == adjudicate(policy, enrolled, stay, History(approved_fen=so_far))
    assert decision.amount_fen >= 0
    assert decision.eligible == (decision.amount_fen > 0)
    if policy.per_stay_max_fen is not None:
        assert decision.amount_fen <= policy.per_stay_max_fen
    base = stay.total_cost_fen if stay.insurance_type == "none" else stay.out_of_pocket_fen
    assert decision.amount_fen <= base
    if policy.yearly_cap_fen is not None:
        assert so_far + decision.amount_fen <= max(policy.yearly_cap_fen, so_far)
    assert decision.reasons and all(r.message for r in decision.reasons)
    if decision.eligible:
        assert not decision.failed


@settings(max_examples=100, deadline=None)
@given(policies, st.lists(stays, min_size=1, max_size=25))
def test_a_members_approved_subsidies_never_exceed_the_yearly_cap_in_sum(policy, member_stays):
    total = 0
    for stay in member_stays:
        decision = adjudicate(policy, True, stay, History(approved_fen=total))
        total += decision.amount_fen
    if policy.yearly_cap_fen is not None:
        assert total <= policy.yearly_cap_fen
