"""The design's inputs from the town's own data (ledger, paid enrolment), rate tables, and saving as a draft."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError

from mutualaid.platform.audit.models import AuditEvent
from mutualaid.policies import design_fund, design_rates
from mutualaid.policies import design_inputs as inputs
from mutualaid.policies.choices import PolicyStatus
from mutualaid.policies.design import DesignErrorCode

YUAN = 100


def _code(error: ValidationError) -> str:
    return next(iter(error.error_dict.values()))[0].code


def _enrol(
    village,
    number: int,
    people: list[tuple[str, date]],
    *,
    paid: bool,
    reversed_=False,
    partly=False,
    year=2022,
):
    from mutualaid.enrolment.models import (
        Contribution,
        ContributionReversal,
        EnrolledMember,
        Enrolment,
        Household,
        Member,
    )

    household = Household.objects.create(number=f"H{year}-{number:05d}", village=village)
    enrolment = Enrolment.objects.create(
        household=household,
        scheme_year=year,
        member_count=len(people),
        due_fen=45 * YUAN * len(people),
        enrolled_at=datetime(2022, 10, 1, tzinfo=UTC),
    )
    for index, (sex, birth) in enumerate(people):
        member = Member.objects.create(
            household=household,
            name="测试",
            id_number_encrypted="x",
            id_hash=f"h{year}-{number}-{index}",
            id_masked="5001**********0000",
            sex=sex,
            birth_date=birth,
            relation="head" if index == 0 else "child",
            insurance_type="resident",
            registered_on=date(2000, 1, 1),
        )
        EnrolledMember.objects.create(enrolment=enrolment, member=member, scheme_year=year, due_fen=45 * YUAN)
    if paid or reversed_ or partly:
        contribution = Contribution.objects.create(
            enrolment=enrolment,
            scheme_year=year,
            method="cash",
            receipt_number=f"R{year}-{number}",
            amount_fen=enrolment.due_fen // 2 if partly else enrolment.due_fen,
            received_on=date(year, 10, 2),
        )
        if reversed_:
            ContributionReversal.objects.create(contribution=contribution, reason="录入错误")


@pytest.fixture
def town_data(xinsheng_policy):
    """新胜镇 2022: 300 paid participants of mixed ages, an unpaid, a reversed and a partly paid household; 30,000 yuan of
    grants received and 5,000 yuan pledged."""
    from mutualaid.enrolment.models import Village
    from mutualaid.funds import actions as funds

    village = Village.objects.create(code="500152116201", name="新胜村", joined=True)
    births = [date(1950, 5, 1), date(1975, 3, 1), date(1990, 7, 1), date(2015, 1, 1), date(1940, 2, 1)]
    for number in range(100):
        people = [("M" if (number + i) % 2 else "F", births[(number + i) % 5]) for i in range(3)]
        _enrol(village, number, people, paid=True)
    _enrol(village, 900, [("M", date(1960, 1, 1))], paid=False)
    _enrol(village, 901, [("F", date(1960, 1, 1))], paid=False, reversed_=True)
    _enrol(village, 902, [("F", date(1960, 1, 1)), ("M", date(1961, 1, 1))], paid=False, partly=True)
    funds.record_grant(
        2022,
        source="government_grant",
        amount_fen=30_000 * YUAN,
        grantor="潼南区",
        received_on=date(2022, 10, 15),
        actor=None,
    )
    funds.record_pledge(
        2022,
        source="government_grant",
        amount_fen=5_000 * YUAN,
        grantor="潼南区",
        pledged_on=date(2022, 10, 16),
        actor=None,
    )
    return xinsheng_policy


def test_fund_figures_match_the_ledger_summary(town_data):
    from mutualaid.funds.ledger import year_summary

    figures = design_fund.read_fund_figures(2022)
    summary = year_summary(2022)

    assert figures.income_fen == summary.income_fen == 35_000 * YUAN
    assert figures.receivables_fen == summary.receivables_fen == 5_000 * YUAN
    assert figures.carried_forward_fen == summary.carried_forward_fen == 0
    assert figures.received_fen == 30_000 * YUAN


def test_paid_participants_by_age_band_and_sex(town_data):
    participants = design_rates.read_paid_participants(2022, date(2022, 11, 1))

    assert participants.total == 300  # the unpaid, the reversed and the partly paid households do not count
    by_band = {(band, sex): n for band, sex, n in participants.rows()}
    assert by_band[("75岁以上", "F")] + by_band[("75岁以上", "M")] == 60  # born 1940 → 82
    assert by_band[("5-14岁", "M")] + by_band[("5-14岁", "F")] == 60  # born 2015 → 7


def test_the_fund_available_takes_off_the_service_fee_and_the_reserve():
    figures = design_fund.FundFigures(2022, 10_000 * YUAN, 90_000 * YUAN, 0, 0)
    fee = design_fund.service_fee_fen("percent", 1000, None, figures.income_fen, 2000)
    fund = design_fund.fund_available(figures, service_fee_fen=fee, reserve_bp=1000)
    assert fee == 9_000 * YUAN
    assert fund.pool_fen == 91_000 * YUAN
    assert fund.reserve_fen == 9_100 * YUAN
    assert fund.available_fen == 81_900 * YUAN


@pytest.mark.parametrize("reserve", [10_000, 12_000, -1, "10%"])
def test_a_reserve_of_100_percent_or_more_is_refused(reserve):
    figures = design_fund.FundFigures(2022, 0, 90_000 * YUAN, 0, 0)
    with pytest.raises(ValidationError) as caught:
        design_fund.fund_available(figures, service_fee_fen=0, reserve_bp=reserve)
    assert _code(caught.value) == DesignErrorCode.RESERVE_OUT_OF_RANGE.value


def test_no_funds_is_a_typed_error():
    with pytest.raises(ValidationError) as caught:
        design_fund.fund_available(design_fund.FundFigures(2022, 0, 0, 0, 0), service_fee_fen=0, reserve_bp=0)
    assert _code(caught.value) == DesignErrorCode.NO_FUNDS.value


def test_reference_rates_follow_the_towns_age_structure():
    old = design_rates.participants_from_ages(2022, [("M", 80, 1000)])
    young = design_rates.participants_from_ages(2022, [("M", 10, 1000)])
    assert design_rates.reference_rates(old).total > 5 * design_rates.reference_rates(young).total
    with pytest.raises(ValidationError) as caught:
        design_rates.reference_rates(design_rates.participants_from_ages(2022, []))
    assert _code(caught.value) == DesignErrorCode.NO_PARTICIPANTS.value


def test_the_reference_mix_sums_to_one():
    shares, _ = design_rates.reference_mix()
    assert sum(shares.values()) == pytest.approx(1.0)


def test_an_uploaded_rate_table_reports_every_bad_row():
    content = "DRG编码,每千人住院次数\nES31,2.5\nZZ99,1\nFM19,-1\nBR21,\nES31,3\n".encode()
    with pytest.raises(ValidationError) as caught:
        design_rates.parse_rate_file(
            "rates.csv", content, lambda codes: {c for c in codes if c.startswith("ZZ")}
        )
    codes = {key: [e.code for e in errors] for key, errors in caught.value.error_dict.items()}
    assert codes == {
        "file.row[3].drg_code": ["unknown_drg_code"],
        "file.row[4].rate": ["invalid_rate"],
        "file.row[5].rate": ["missing_rate"],
        "file.row[6].drg_code": ["invalid_row"],
    }


def test_an_uploaded_xlsx_rate_table_is_read():
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["DRG编码", "DRG名称", "每千人住院次数"])
    sheet.append(["ES31", "呼吸系统感染", 2.5])
    sheet.append(["FM19", "支架", 0.75])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = design_rates.parse_rate_file("rates.xlsx", buffer.getvalue(), lambda codes: set())
    assert table.source == design_rates.RateSource.UPLOAD
    assert table.rates == {"ES31": 2.5, "FM19": 0.75}
    with pytest.raises(ValidationError) as caught:
        design_rates.parse_rate_file("rates.pdf", b"%PDF", None)
    assert _code(caught.value) == DesignErrorCode.INVALID_FILE_TYPE.value


def test_observed_rates_are_per_thousand_participant_years():
    table = design_rates.observed_rates({"ES31": 30, "fm19": 6}, 12_000)
    assert table.rates == {"ES31": 2.5, "FM19": 0.5}
    with pytest.raises(ValidationError) as caught:
        design_rates.observed_rates({"ES31": -1}, 12_000)
    assert _code(caught.value) == DesignErrorCode.INVALID_RATE.value


def test_a_design_from_the_towns_data_meets_its_target(town_data):
    outcome = inputs.prepare_design(2022, reserve_bp=1000)

    assert outcome.participants.total == 300
    fee = 35_000 * YUAN * 1000 // 10_000  # the preset's service fee: 10% of the year's income
    assert outcome.fund.service_fee_fen == fee
    assert outcome.design.target_fen == (35_000 * YUAN - fee) * 9 // 10
    assert abs(outcome.design.expected_fen - outcome.design.target_fen) <= outcome.design.target_fen / 1000
    assert all(300 * YUAN <= line.amount_fen <= 50_000 * YUAN for line in outcome.design.lines)
    assert outcome.notes["rate_source"] == "reference"
    result = inputs.simulate_outcome(outcome, runs=200)
    assert 0 <= result.run_dry_probability <= 1


def test_the_service_fee_is_taken_off_the_fund_only_where_the_fund_pays_it(town_data):
    from mutualaid.policies import actions

    fee = 35_000 * YUAN * 1000 // 10_000  # the preset's fee: 10% of the year's income
    # 新胜镇's document: the fund pays the firm — the fee leaves the money for subsidies
    paid_by_fund = inputs.prepare_design(2022, reserve_bp=1000)
    assert paid_by_fund.fund.fee_from_fund and paid_by_fund.fund.service_fee_fen == fee
    assert paid_by_fund.fund.pool_fen == 35_000 * YUAN - fee
    assert paid_by_fund.notes["service_fee"] == "3500.00"
    assert paid_by_fund.notes["service_fee_paid_by"] == "fund"
    assert any(" − 服务费 3500.00 − 预留" in line for line in inputs.summary_lines(paid_by_fund))

    # the same policy with the town's budget paying the firm: the fund keeps the fee, the note says who pays
    draft = actions.amend(town_data, date(2023, 1, 1), "第三方服务费改由镇财政预算支付", None)
    actions.update_draft(draft, None, service_fee_from_fund=False)
    by_budget = inputs.prepare_design(2022, reserve_bp=1000)
    assert not by_budget.fund.fee_from_fund and by_budget.fund.service_fee_fen == 0
    assert by_budget.fund.pool_fen == 35_000 * YUAN
    assert by_budget.design.target_fen == 35_000 * YUAN * 9 // 10
    assert by_budget.notes["service_fee"] == "0.00"
    assert by_budget.notes["service_fee_by_policy"] == "3500.00"
    assert by_budget.notes["service_fee_paid_by"] == "town_budget"
    assert "镇财政预算支付" in by_budget.notes["service_fee_note"]
    assert any("服务费 3500.00 由镇财政预算支付" in line for line in inputs.summary_lines(by_budget))


def test_a_fund_without_money_after_the_fee_is_refused_only_where_the_fund_pays_it():
    figures = design_fund.FundFigures(2022, 0, 1_000 * YUAN, 0, 0)
    with pytest.raises(ValidationError) as caught:
        design_fund.fund_available(figures, service_fee_fen=1_000 * YUAN, reserve_bp=0)
    assert _code(caught.value) == DesignErrorCode.NO_FUNDS.value
    fund = design_fund.fund_available(
        figures, service_fee_fen=1_000 * YUAN, reserve_bp=0, fee_from_fund=False
    )
    assert fund.available_fen == 1_000 * YUAN and fund.policy_fee_fen == 1_000 * YUAN


def test_a_design_without_paid_participants_is_refused(xinsheng_policy):
    with pytest.raises(ValidationError) as caught:
        inputs.prepare_design(2022)
    assert _code(caught.value) == DesignErrorCode.NO_PARTICIPANTS.value


def test_saving_a_design_amends_the_published_policy_and_notes_every_input(town_data):
    published = town_data
    before = list(published.subsidy_rows())
    outcome = inputs.prepare_design(2022, reserve_bp=500)

    draft = inputs.save_design_as_draft(outcome, None)

    assert draft.status == PolicyStatus.DRAFT and draft.version == published.version + 1
    assert draft.based_on_id == published.pk
    assert "一键设计" in draft.amendment_reason
    assert [(r.drg_code, r.amount_fen) for r in draft.subsidy_rows()] == [
        (line.drg_code, line.amount_fen) for line in outcome.design.lines
    ]
    published.refresh_from_db()
    assert published.status == PolicyStatus.PUBLISHED and list(published.subsidy_rows()) == before
    event = AuditEvent.objects.filter(action="policy.scheme_design").latest("id")
    assert event.data["reserve_bp"] == 500 and event.data["participants"] == 300
    # a second design replaces the draft's table, no third version; its weights are still the published table's
    second = inputs.prepare_design(2022, reserve_bp=500)
    assert second.weights.note == outcome.weights.note
    assert [line.amount_fen for line in second.design.lines] == [
        line.amount_fen for line in outcome.design.lines
    ]
    again = inputs.save_design_as_draft(inputs.prepare_design(2022, reserve_bp=2000), None)
    assert again.pk == draft.pk


def test_paid_participants_are_the_members_participation_counts(town_data):
    from mutualaid.enrolment.models import EnrolledMember
    from mutualaid.enrolment.participation import counted_enrolments

    terms = town_data.to_enrolment_terms()
    counted = EnrolledMember.objects.filter(scheme_year=2022, enrolment__in=counted_enrolments(terms)).count()
    assert design_rates.read_paid_participants(2022, date(2022, 11, 1)).total == counted == 300


def test_the_towns_own_past_claims_are_the_rates_when_it_has_them(town_data):
    from mutualaid.claims.models import Claim
    from mutualaid.enrolment.models import Member, Village

    village = Village.objects.get(code="500152116201")
    for number in range(50):  # 2021: 100 paid participants
        _enrol(village, number, [("M", date(1960, 1, 1)), ("F", date(1962, 1, 1))], paid=True, year=2021)
    member = Member.objects.filter(enrolments__scheme_year=2021).first()

    def claim(drg_code, state):
        Claim.objects.create(
            member=member,
            village_code=village.code,
            household_id=member.household_id,
            scheme_year=2021,
            state=state,
            hospital_name="潼南区人民医院",
            hospital_level="secondary",
            hospital_designated=True,
            admission_date=date(2022, 3, 1),
            discharge_date=date(2022, 3, 5),
            cause="illness",
            insurance_type="resident",
            total_cost_fen=20_000_00,
            insurance_paid_fen=12_000_00,
            out_of_pocket_fen=8_000_00,
            drg_code=drg_code,
            bank_card_encrypted="x",
            bank_card_masked="6222****0000",
        )

    for state in ("approved", "paid", "in_batch", "rejected", "recovered"):
        claim("ES31", state)
    claim("FM19", "paid")

    observed = design_rates.read_observed_claims(2022)

    assert observed is not None and observed.source == design_rates.RateSource.OBSERVED
    assert observed.rates == {"ES31": 30.0, "FM19": 10.0}  # per 1,000 of 2021's 100 paid participants
    assert inputs.prepare_design(2022).rates.source == design_rates.RateSource.OBSERVED
    assert design_rates.read_observed_claims(2021) is None


def test_the_demo_step_designs_xinsheng_once_and_keeps_it_as_a_draft(town_data, xinsheng):
    from mutualaid.policies.models import PolicyVersion

    inputs.demo_scheme_design(xinsheng)
    inputs.demo_scheme_design(xinsheng)

    versions = list(PolicyVersion.objects.order_by("version").values_list("version", "status"))
    assert versions == [(1, PolicyStatus.PUBLISHED), (2, PolicyStatus.DRAFT)]
    assert AuditEvent.objects.filter(action="policy.scheme_design").count() == 2
