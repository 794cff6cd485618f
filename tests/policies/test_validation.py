"""Publishing checks: a pure function of plain values, returning every error at once with field paths."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from mutualaid.policies.presets import XINSHENG_2022
from mutualaid.policies.terms import FundingShare, SpecialGroupRule
from mutualaid.policies.validation import validate_for_publishing
from mutualaid.policies.values import SubsidyRow, Threshold

VALID = XINSHENG_2022.values
KNOWN = {row.drg_code for row in VALID.subsidy_table}


def all_known(version, codes):
    return set()


def catalogue(version, codes):
    if version != "chs-drg-1.1":
        raise LookupError(version)
    return {code for code in codes if code not in KNOWN}


def errors(values, check=catalogue):
    return {(e.field, e.code) for e in validate_for_publishing(values, check)}


def test_the_preset_itself_is_valid():
    assert validate_for_publishing(VALID, catalogue) == []


def test_validation_touches_no_database():
    # no db fixture: a query here would fail the test
    assert validate_for_publishing(replace(VALID, fee_per_person_fen=0), catalogue)


def test_shares_must_add_up_to_the_fee():
    values = replace(VALID, fee_per_person_fen=5000)

    assert ("funding_shares", "shares_not_equal_fee") in errors(values)


def test_share_amounts_must_be_positive():
    shares = (FundingShare("person", 4500), FundingShare("charity", 0))

    assert ("funding_shares[1].amount", "not_positive") in errors(replace(VALID, funding_shares=shares))


def test_share_sources_are_known_and_not_repeated():
    shares = (FundingShare("person", 2500), FundingShare("person", 1000), FundingShare("lottery", 1000))
    found = errors(replace(VALID, funding_shares=shares))

    assert ("funding_shares[1].source", "duplicate") in found
    assert ("funding_shares[2].source", "invalid_choice") in found


def test_fee_must_be_positive():
    assert ("fee_per_person_fen", "not_positive") in errors(replace(VALID, fee_per_person_fen=-100))


def test_minimum_must_not_exceed_maximum():
    values = replace(VALID, per_stay_min_fen=60000_00, per_stay_max_fen=50000_00)

    assert ("per_stay_min_fen", "minimum_above_maximum") in errors(values)


def test_maximum_must_not_exceed_yearly_cap():
    values = replace(VALID, per_stay_max_fen=100000_00, yearly_cap_fen=80000_00)

    assert ("per_stay_max_fen", "maximum_above_yearly_cap") in errors(values)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"register_snapshot_date": date(2022, 11, 1)}, "enrolment_closes"),
        ({"enrolment_opens": date(2022, 11, 1)}, "enrolment_closes"),
        ({"enrolment_closes": date(2022, 11, 2)}, "coverage_start"),
        ({"coverage_end": date(2022, 11, 1)}, "coverage_end"),
        ({"claim_deadline": date(2023, 10, 31)}, "claim_deadline"),
    ],
)
def test_dates_must_be_in_order(changes, field):
    assert (field, "dates_out_of_order") in errors(replace(VALID, **changes))


def test_enrolment_may_close_on_the_day_before_coverage_and_the_snapshot_may_equal_closing():
    values = replace(VALID, register_snapshot_date=date(2022, 10, 31), coverage_start=date(2022, 10, 31))

    assert not {e for e in errors(values) if e[1] == "dates_out_of_order"}


def test_subsidy_amounts_must_lie_within_minimum_and_maximum():
    table = (SubsidyRow("ES31", 200_00), SubsidyRow("FM19", 60000_00), SubsidyRow("BR21", 3000_00))
    found = errors(replace(VALID, subsidy_table=table))

    assert ("subsidy_table[ES31].amount", "subsidy_out_of_range") in found
    assert ("subsidy_table[FM19].amount", "subsidy_out_of_range") in found
    assert not any(field == "subsidy_table[BR21].amount" for field, _ in found)


def test_subsidy_amounts_must_be_positive():
    table = (SubsidyRow("ES31", 0),)

    assert ("subsidy_table[ES31].amount", "not_positive") in errors(replace(VALID, subsidy_table=table))


def test_drg_codes_must_exist_in_the_chosen_catalogue_version():
    table = (*VALID.subsidy_table, SubsidyRow("ZZ19", 1000_00), SubsidyRow("QQ15", 1000_00))
    found = errors(replace(VALID, subsidy_table=table))

    assert ("subsidy_table[ZZ19].drg_code", "unknown_drg_code") in found
    assert ("subsidy_table[QQ15].drg_code", "unknown_drg_code") in found


def test_the_catalogue_version_must_exist():
    assert ("drg_catalogue_version", "unknown_drg_catalogue") in errors(
        replace(VALID, drg_catalogue_version="cn-drg-9")
    )


def test_the_subsidy_table_must_not_be_empty():
    assert ("subsidy_table", "subsidy_table_empty") in errors(replace(VALID, subsidy_table=()))


def test_every_insurance_type_needs_a_positive_threshold():
    thresholds = (Threshold("resident", "out_of_pocket", 3500_00), Threshold("employee", "out_of_pocket", 0))
    found = errors(replace(VALID, thresholds=thresholds))

    assert ("thresholds", "missing_threshold") in found  # no rule for the uninsured
    assert ("thresholds[1].amount", "not_positive") in found


def test_exempt_groups_need_a_paying_source_other_than_the_person():
    groups = (
        SpecialGroupRule("dibao", "exempt_person_share", None),
        SpecialGroupRule("tekun", "exempt_person_share", "person"),
    )
    found = errors(replace(VALID, special_groups=groups))

    assert ("special_groups[0].paid_by", "paid_by_required") in found
    assert ("special_groups[1].paid_by", "invalid_choice") in found


def test_required_parameters_are_reported_when_missing():
    values = replace(VALID, coverage_start=None, yearly_cap_fen=None, drg_catalogue_version="")
    found = errors(values)

    assert {
        ("coverage_start", "required"),
        ("yearly_cap_fen", "required"),
        ("drg_catalogue_version", "required"),
    } <= found


def test_percentages_are_basis_points_up_to_100_percent():
    found = errors(replace(VALID, target_person_share_bp=12000, service_fee_bp=0))

    assert ("target_person_share_bp", "out_of_range") in found
    assert ("service_fee_bp", "out_of_range") in found


def test_an_amendment_needs_an_effective_date_in_the_scheme_year_and_a_reason():
    found = errors(replace(VALID, version=2, effective_from=None, amendment_reason=" "))
    assert {("effective_from", "required"), ("amendment_reason", "reason_required")} <= found

    late = errors(replace(VALID, version=2, effective_from=date(2024, 1, 1), amendment_reason="x"))
    assert ("effective_from", "effective_date_outside_coverage") in late


def test_all_errors_are_returned_at_once():
    values = replace(
        VALID,
        fee_per_person_fen=5000,
        per_stay_min_fen=60000_00,
        coverage_end=date(2022, 10, 1),
        subsidy_table=(SubsidyRow("ZZ19", 10_00),),
    )
    codes = {code for _, code in errors(values)}

    assert {
        "shares_not_equal_fee",
        "minimum_above_maximum",
        "dates_out_of_order",
        "subsidy_out_of_range",
        "unknown_drg_code",
    } <= codes


def test_messages_are_chinese_and_amounts_in_yuan():
    (error,) = validate_for_publishing(replace(VALID, fee_per_person_fen=5000), all_known)

    assert error.message == "各来源出资合计 45.00元，与互助费标准 50.00元 不一致"
