"""海农〔2022〕92号 海安市乡村公益医疗互助项目实施方案 (2022-05-12), for 大公镇 and 雅周镇.

What the document gives is checked value by value; what it does not give (dates, thresholds, caps, …) must be in
the policy as a marked default (文件未规定).
"""

from __future__ import annotations

from datetime import date

from mutualaid.policies.actions import apply_preset
from mutualaid.policies.selectors import enrolment_terms
from mutualaid.policies.terms import FundingSource, HardshipCategory, SpecialGroupTreatment

YUAN = 100


def test_haian_fee_is_100_yuan_person_50(dagong_policy):
    terms = enrolment_terms(2022)

    assert terms.fee_per_person_fen == 100 * YUAN
    assert terms.funding_shares[0] == type(terms.funding_shares[0])(FundingSource.PERSON, 50 * YUAN)


def test_haian_remainder_underwritten_by_town_and_village_split_is_a_marked_default(dagong_policy):
    shares = {s.source: s.amount_fen for s in enrolment_terms(2022).funding_shares}

    assert shares[FundingSource.TOWN_FINANCE] + shares[FundingSource.VILLAGE_COLLECTIVE] == 50 * YUAN
    assert "funding_shares.town_finance" in dagong_policy.defaulted_fields
    assert "funding_shares.village_collective" in dagong_policy.defaulted_fields


def test_haian_excludes_six_hardship_categories(dagong_policy):
    terms = enrolment_terms(2022)

    assert len(terms.special_groups) == 6
    assert {rule.category for rule in terms.special_groups} == set(HardshipCategory.values)
    assert all(
        rule.treatment == SpecialGroupTreatment.EXCLUDED and rule.paid_by is None
        for rule in terms.special_groups
    )
    assert terms.rule_for(HardshipCategory.LOW_INCOME).treatment == SpecialGroupTreatment.EXCLUDED


def test_haian_households_join_voluntarily_with_all_members(dagong_policy):
    assert dagong_policy.enrol_by_household is True


def test_haian_targets_50_percent_of_villages_and_30_percent_of_households(dagong_policy):
    terms = enrolment_terms(2022)

    assert terms.target_village_share_bp == 5000
    assert terms.target_household_share_bp == 3000
    assert terms.target_person_share_bp is None


def test_haian_funds_raised_and_roster_entered_by_end_of_june(dagong_policy):
    assert dagong_policy.enrolment_closes == date(2022, 6, 30)
    assert "enrolment_closes" not in dagong_policy.defaulted_fields


def test_haian_dates_not_in_the_document_are_marked_defaults(dagong_policy):
    for name in (
        "register_snapshot_date",
        "enrolment_opens",
        "coverage_start",
        "coverage_end",
        "claim_deadline",
    ):
        assert name in dagong_policy.defaulted_fields


def test_haian_thresholds_and_caps_not_in_the_document_are_marked_defaults(dagong_policy):
    for name in ("thresholds", "per_stay_min_fen", "per_stay_max_fen", "yearly_cap_fen", "excluded_causes"):
        assert name in dagong_policy.defaulted_fields
    assert dagong_policy.per_stay_min_fen <= dagong_policy.per_stay_max_fen <= dagong_policy.yearly_cap_fen


def test_haian_subsidy_by_disease_through_a_drg_table(dagong_policy):
    assert dagong_policy.subsidy_entries.exists()
    assert "subsidy_table" in dagong_policy.defaulted_fields


def test_haian_document_values_are_not_marked_default(dagong_policy):
    for name in (
        "fee_per_person_fen",
        "funding_shares.person",
        "special_groups",
        "target_village_share_bp",
        "target_household_share_bp",
        "enrol_by_household",
    ):
        assert name not in dagong_policy.defaulted_fields


def test_haian_preset_is_the_one_for_dagong_and_yazhou(in_yazhou, drg_catalogue):
    policy = apply_preset("320685109", None, publish=True)

    assert policy.preset_key == "haian-2022"
    assert policy.fee_per_person_fen == 100 * YUAN
