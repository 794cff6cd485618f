"""新胜镇试点推行乡村公益医疗互助制度实施方案 (2022-09-29): one test per clause the policy carries.

The preset ``xinsheng-2022`` is applied and published inside 新胜镇's schema; each test reads it back through the
same functions other apps use (``enrolment_terms``, ``policy_for_admission``) or the stored version.
"""

from __future__ import annotations

from datetime import date, datetime

from mutualaid.policies.selectors import enrolment_terms, policy_for_admission
from mutualaid.policies.terms import FundingSource, HardshipCategory, SpecialGroupTreatment
from mutualaid.policies.values import ExclusionCause, InsuranceType, ServiceFeeKind, ThresholdBasis

YUAN = 100


def _shares(policy) -> dict[str, int]:
    return {share["source"]: share["amount_fen"] for share in policy.funding_shares}


def _threshold(policy, insurance_type):
    return next(t for t in policy.thresholds if t["insurance_type"] == insurance_type)


def test_xinsheng_fee_is_45_yuan_person_25(xinsheng_policy):
    terms = enrolment_terms(2022)

    assert terms.fee_per_person_fen == 45 * YUAN
    assert terms.funding_shares[0].source == FundingSource.PERSON
    assert terms.funding_shares[0].amount_fen == 25 * YUAN
    assert "funding_shares.person" not in xinsheng_policy.defaulted_fields
    assert "fee_per_person_fen" not in xinsheng_policy.defaulted_fields


def test_xinsheng_remaining_20_yuan_from_charity_enterprises_town_finance_split_is_marked_default(
    xinsheng_policy,
):
    shares = _shares(xinsheng_policy)

    assert set(shares) == {
        FundingSource.PERSON,
        FundingSource.CHARITY,
        FundingSource.ENTERPRISE,
        FundingSource.TOWN_FINANCE,
    }
    assert (
        shares[FundingSource.CHARITY] + shares[FundingSource.ENTERPRISE] + shares[FundingSource.TOWN_FINANCE]
        == 20 * YUAN
    )
    for source in ("charity", "enterprise", "town_finance"):
        assert f"funding_shares.{source}" in xinsheng_policy.defaulted_fields


def test_xinsheng_dibao_person_share_paid_in_full_by_town(xinsheng_policy):
    rule = enrolment_terms(2022).rule_for(HardshipCategory.DIBAO)

    assert rule.treatment == SpecialGroupTreatment.EXEMPT_PERSON_SHARE
    assert rule.paid_by == FundingSource.TOWN_FINANCE
    assert "special_groups.dibao" not in xinsheng_policy.defaulted_fields


def test_xinsheng_other_hardship_groups_beyond_dibao_are_a_marked_default(xinsheng_policy):
    terms = enrolment_terms(2022)

    assert terms.rule_for(HardshipCategory.TEKUN).paid_by == FundingSource.TOWN_FINANCE
    assert "special_groups.tekun" in xinsheng_policy.defaulted_fields
    assert all(rule.treatment != SpecialGroupTreatment.EXCLUDED for rule in terms.special_groups)


def test_xinsheng_members_are_all_registered_residents_on_aug_31(xinsheng_policy):
    assert enrolment_terms(2022).register_snapshot_date == date(2022, 8, 31)


def test_xinsheng_join_voluntarily_by_household_and_fees_are_not_refunded(xinsheng_policy):
    assert xinsheng_policy.enrol_by_household is True
    assert xinsheng_policy.fees_refundable is False


def test_xinsheng_enrolment_window_closes_oct_31_24h(xinsheng_policy):
    from mutualaid.enrolment.rules import SHANGHAI, window_is_open

    terms = enrolment_terms(2022)

    assert terms.enrolment_opens == date(2022, 9, 29)  # 2022: 9月29日-10月31日24时 (standing rule 9-15)
    assert terms.enrolment_closes == date(2022, 10, 31)  # inclusive: 24:00 of this day; none after
    assert window_is_open(terms, datetime(2022, 10, 31, 23, 59, 59, tzinfo=SHANGHAI))
    assert not window_is_open(terms, datetime(2022, 11, 1, 0, 0, tzinfo=SHANGHAI))
    assert not window_is_open(terms, datetime(2022, 9, 28, 23, 59, tzinfo=SHANGHAI))


def test_xinsheng_coverage_is_nov_1_to_oct_31_next_year(xinsheng_policy):
    terms = enrolment_terms(2022)

    assert (terms.coverage_start, terms.coverage_end) == (date(2022, 11, 1), date(2023, 10, 31))


def test_xinsheng_admission_must_fall_in_the_coverage_period(xinsheng_policy):
    assert policy_for_admission(date(2022, 10, 31)) is None
    assert policy_for_admission(date(2022, 11, 1)) == xinsheng_policy
    assert policy_for_admission(date(2023, 10, 31)) == xinsheng_policy
    assert policy_for_admission(date(2023, 11, 1)) is None


def test_xinsheng_claim_deadline_is_dec_31_of_next_year(xinsheng_policy):
    assert xinsheng_policy.claim_deadline == date(2023, 12, 31)


def test_xinsheng_threshold_resident_and_employee_insurance_out_of_pocket_3500(xinsheng_policy):
    for insurance_type in (InsuranceType.RESIDENT, InsuranceType.EMPLOYEE):
        threshold = _threshold(xinsheng_policy, insurance_type)
        assert threshold["basis"] == ThresholdBasis.OUT_OF_POCKET
        assert threshold["amount_fen"] == 3500 * YUAN


def test_xinsheng_threshold_uninsured_or_lapsed_total_cost_7000(xinsheng_policy):
    threshold = _threshold(xinsheng_policy, InsuranceType.NONE)

    assert threshold["basis"] == ThresholdBasis.TOTAL_COST
    assert threshold["amount_fen"] == 7000 * YUAN
    assert "thresholds" not in xinsheng_policy.defaulted_fields


def test_xinsheng_subsidy_per_stay_at_least_300_at_most_50000(xinsheng_policy):
    assert xinsheng_policy.per_stay_min_fen == 300 * YUAN
    assert xinsheng_policy.per_stay_max_fen == 50000 * YUAN


def test_xinsheng_yearly_cap_is_100000_per_person(xinsheng_policy):
    assert xinsheng_policy.yearly_cap_fen == 100000 * YUAN


def test_xinsheng_subsidy_is_a_fixed_amount_per_drg_within_the_limits(xinsheng_policy):
    entries = list(xinsheng_policy.subsidy_entries.all())

    assert entries
    assert all(300 * YUAN <= e.amount_fen <= 50000 * YUAN for e in entries)
    assert xinsheng_policy.drg_catalogue_version == "chs-drg-1.1"
    assert (
        "subsidy_table" in xinsheng_policy.defaulted_fields
    )  # 定额“根据当年度筹资标准和实际参加人员测算确定”


def test_xinsheng_excludes_outpatient_checkups_cosmetic_and_plastic(xinsheng_policy):
    for cause in (
        ExclusionCause.OUTPATIENT,
        ExclusionCause.CHECK_UP,
        ExclusionCause.COSMETIC,
        ExclusionCause.PLASTIC,
    ):
        assert cause in xinsheng_policy.excluded_causes


def test_xinsheng_excludes_work_injury_crime_and_fully_liable_third_party(xinsheng_policy):
    for cause in (ExclusionCause.WORK_INJURY, ExclusionCause.CRIME, ExclusionCause.THIRD_PARTY_LIABLE):
        assert cause in xinsheng_policy.excluded_causes


def test_xinsheng_excludes_non_designated_hospitals_and_hospitals_abroad_hk_macao_taiwan(xinsheng_policy):
    assert xinsheng_policy.designated_hospitals_only is True
    assert xinsheng_policy.mainland_only is True


def test_xinsheng_review_within_5_working_days(xinsheng_policy):
    assert xinsheng_policy.review_working_days == 5
    assert "review_working_days" not in xinsheng_policy.defaulted_fields


def test_xinsheng_service_fee_paid_from_fund_amount_is_a_marked_default(xinsheng_policy):
    assert xinsheng_policy.service_fee_kind == ServiceFeeKind.PERCENT
    assert "service_fee_bp" in xinsheng_policy.defaulted_fields


def test_xinsheng_participation_at_least_50_percent_of_people(xinsheng_policy):
    terms = enrolment_terms(2022)

    assert terms.target_person_share_bp == 5000
    assert terms.target_village_share_bp is None


def test_xinsheng_surplus_carried_over_to_next_year(xinsheng_policy):
    assert xinsheng_policy.surplus_carry_over is True


def test_xinsheng_yearly_amounts_are_set_from_funds_and_actual_participants(in_xinsheng, drg_catalogue):
    """三（三）：每年的病种补助定额根据当年度筹资标准和实际参加人员测算确定 — preview, then scale the draft."""
    from decimal import Decimal

    from mutualaid.policies import actions
    from mutualaid.policies.subsidy_table import preview_cost

    draft = actions.apply_preset("xinsheng-2022", None)
    participants = 20_000
    funds = participants * draft.fee_per_person_fen * 9 // 10  # 10% service fee
    rates = {"ES31": Decimal("6"), "BR21": Decimal("3"), "FM19": Decimal("1"), "RE11": Decimal("2")}

    before = preview_cost(draft.subsidy_rows(), participants, rates)
    actions.scale_subsidy_table(draft, Decimal(funds) / before.total_fen, None)
    after = preview_cost(draft.subsidy_rows(), participants, rates)

    assert before.total_fen > funds
    # amounts are whole yuan: each expected stay is off by at most half a yuan
    assert abs(after.total_fen - funds) <= after.expected_admissions * 50
    assert all(300 * YUAN <= row.amount_fen <= 50000 * YUAN for row in draft.subsidy_rows())
