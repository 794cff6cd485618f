"""The seed documents' money, each expressed as a posting (海农〔2022〕92号; 新胜镇实施方案)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from mutualaid.funds import actions
from mutualaid.funds.ledger import balance_of, year_summary
from mutualaid.funds.models import FundYear, JournalEntry
from mutualaid.funds.postings import post_contribution
from mutualaid.platform.audit.models import AuditEvent

YUAN = 100


def _codes(exc: ValidationError) -> dict[str, list[str]]:
    return {field: [e.code for e in errors] for field, errors in exc.error_dict.items()}


def test_haian_100_yuan_person_50_rest_underwritten_by_town_and_village(in_dagong, finance):
    # Given 10 people enrolled at 50 元 each through enrolment
    post_contribution(
        2022, {"person": 10 * 50 * YUAN}, method="mobile_payment", reference="batch1", memo="", actor=finance
    )
    # When town and village underwrite the other 50 元 a person (镇村托底)
    actions.record_underwriting(
        2022,
        {"town_finance": 300 * YUAN, "village_collective": 200 * YUAN},
        received_on=date(2022, 6, 28),
        actor=finance,
    )
    summary = year_summary(2022)
    assert summary.income_by_source["person"] == 500 * YUAN
    assert (
        summary.income_by_source["town_finance"] + summary.income_by_source["village_collective"]
        == 500 * YUAN
    )
    assert summary.bank_fen == 1000 * YUAN == summary.income_fen


def test_haian_laocuhui_grants_40000_per_town(in_dagong, finance):
    entry = actions.record_grant(
        2022,
        source="charity",
        amount_fen=40_000 * YUAN,
        grantor="海安市老区开发促进会",
        received_on=date(2022, 7, 15),
        actor=finance,
    )
    assert entry.counterparty == "海安市老区开发促进会"
    assert balance_of(2022, "bank") == balance_of(2022, "income:charity") == 40_000 * YUAN
    assert AuditEvent.objects.filter(action="funds.grant").count() == 1


def test_haian_agriculture_bureau_250000_pledged_advanced_2022_settled_2023(
    in_dagong, finance, check_db_constraints
):
    # 市农业农村局 250,000 per town, paid H1 2023; town and village advance it in 2022.
    actions.record_pledge(
        2022,
        source="government_grant",
        amount_fen=250_000 * YUAN,
        grantor="海安市农业农村局",
        pledged_on=date(2022, 5, 12),
        actor=finance,
    )
    assert balance_of(2022, "receivable:government_grant") == 250_000 * YUAN
    assert balance_of(2022, "income:government_grant") == 250_000 * YUAN
    actions.record_advance(
        2022,
        town_fen=150_000 * YUAN,
        village_fen=100_000 * YUAN,
        received_on=date(2022, 6, 30),
        actor=finance,
    )
    assert balance_of(2022, "bank") == 250_000 * YUAN
    assert balance_of(2022, "payable:advance_town") == 150_000 * YUAN
    # Settled in H1 2023 (within the 2022 scheme year's books), then the advance is repaid.
    actions.settle_pledge(
        2022,
        source="government_grant",
        amount_fen=250_000 * YUAN,
        received_on=date(2023, 4, 20),
        actor=finance,
    )
    actions.repay_advance(
        2022, town_fen=150_000 * YUAN, village_fen=100_000 * YUAN, paid_on=date(2023, 4, 25), actor=finance
    )
    check_db_constraints()
    summary = year_summary(2022)
    assert summary.receivables_fen == 0 and summary.payables_fen == 0
    assert summary.bank_fen == 250_000 * YUAN == summary.income_by_source["government_grant"]
    # Settling more than is receivable is refused.
    with pytest.raises(ValidationError) as caught:
        actions.settle_pledge(
            2022, source="government_grant", amount_fen=1, received_on=date(2023, 5, 1), actor=finance
        )
    assert _codes(caught.value) == {"amount": ["insufficient_balance"]}


def test_haian_pledge_carried_into_2023_is_settled_in_the_2023_books(in_dagong, finance):
    actions.record_pledge(
        2022,
        source="government_grant",
        amount_fen=250_000 * YUAN,
        grantor="海安市农业农村局",
        pledged_on=date(2022, 5, 12),
        actor=finance,
    )
    actions.record_advance(
        2022,
        town_fen=125_000 * YUAN,
        village_fen=125_000 * YUAN,
        received_on=date(2022, 6, 30),
        actor=finance,
    )
    actions.close_year(2022, finance)
    assert balance_of(2023, "receivable:government_grant") == 250_000 * YUAN
    actions.settle_pledge(
        2023,
        source="government_grant",
        amount_fen=250_000 * YUAN,
        received_on=date(2023, 6, 1),
        actor=finance,
    )
    actions.repay_advance(
        2023, town_fen=125_000 * YUAN, village_fen=125_000 * YUAN, paid_on=date(2023, 6, 2), actor=finance
    )
    summary = year_summary(2023)
    assert summary.receivables_fen == summary.payables_fen == 0
    assert summary.carried_forward_fen == 250_000 * YUAN == summary.bank_fen


def test_haian_xiangxian_and_enterprise_donations_keep_donor_and_receipt(in_dagong, finance):
    actions.record_donation(
        2022,
        source="donor",
        amount_fen=20_000 * YUAN,
        donor_name="张三",
        receipt_number="苏财捐 0001",
        received_on=date(2022, 8, 1),
        actor=finance,
    )
    entry = actions.record_donation(
        2022,
        source="enterprise",
        amount_fen=50_000 * YUAN,
        donor_name="海安某某纺织有限公司",
        receipt_number="苏财捐 0002",
        received_on=date(2022, 8, 2),
        actor=finance,
    )
    assert (entry.counterparty, entry.receipt_number) == ("海安某某纺织有限公司", "苏财捐 0002")
    event = AuditEvent.objects.filter(action="funds.donation").order_by("id").first()
    assert event.data["counterparty"] != "张三"  # masked in the audit trail
    with pytest.raises(ValidationError) as duplicate:
        actions.record_donation(
            2022,
            source="donor",
            amount_fen=100,
            donor_name="李四",
            receipt_number="苏财捐 0001",
            received_on=date(2022, 8, 3),
            actor=finance,
        )
    assert _codes(duplicate.value) == {"receipt_number": ["duplicate_receipt"]}
    for missing in ("donor_name", "receipt_number"):
        args = {"donor_name": "王五", "receipt_number": "苏财捐 0009"} | {missing: " "}
        with pytest.raises(ValidationError) as caught:
            actions.record_donation(
                2022, source="donor", amount_fen=100, received_on=date(2022, 8, 3), actor=finance, **args
            )
        assert _codes(caught.value) == {missing: ["required"]}
    assert JournalEntry.objects.count() == 2


def test_xinsheng_funds_and_their_interest_are_income(in_dagong, finance):
    # 互助资金及其利息用于以下范围
    actions.record_interest(2022, amount_fen=123_45, received_on=date(2022, 12, 21), actor=finance)
    assert balance_of(2022, "income:interest") == 12345


def test_xinsheng_surplus_carried_into_next_scheme_year(in_dagong, finance, check_db_constraints):
    # 当年度结余资金结转下年度滚动使用
    post_contribution(
        2022, {"person": 25 * 1000 * YUAN}, method="mobile_payment", reference="fees", memo="", actor=finance
    )
    actions.record_underwriting(
        2022,
        {"charity": 10_000 * YUAN, "town_finance": 10_000 * YUAN},
        received_on=date(2022, 10, 31),
        actor=finance,
    )
    actions.accrue_expense(
        2022, expense="subsidies", amount_fen=30_000 * YUAN, incurred_on=date(2023, 3, 1), actor=finance
    )
    actions.pay_payable(
        2022, payable="subsidies", amount_fen=20_000 * YUAN, paid_on=date(2023, 3, 5), actor=finance
    )
    actions.accrue_expense(
        2022, expense="service_fees", amount_fen=2_000 * YUAN, incurred_on=date(2023, 10, 31), actor=finance
    )
    post_contribution(
        2023, {"person": 1000 * YUAN}, method="cash", reference="fees2023", memo="", actor=finance
    )

    year = actions.close_year(2022, finance)
    check_db_constraints()

    # surplus after payables: 45,000 − 32,000 = 13,000; bank 25,000 less 12,000 still owed
    assert year.surplus_fen == 13_000 * YUAN == year.carried_forward_fen
    assert year.is_closed
    assert year_summary(2022).surplus_fen == 13_000 * YUAN  # a closed year still shows what it earned
    for key in ("bank", "payable:subsidies", "income:person", "net_assets:current_surplus"):
        assert balance_of(2022, key) == 0
    assert balance_of(2023, "net_assets:carried_forward") == 13_000 * YUAN
    assert balance_of(2023, "bank") == 25_000 * YUAN + 1000 * YUAN
    assert balance_of(2023, "payable:subsidies") == 10_000 * YUAN
    assert balance_of(2023, "payable:service_fees") == 2_000 * YUAN
    assert AuditEvent.objects.filter(action="funds.close_year").count() == 1

    # closing twice, posting into or reversing in the closed year are refused
    with pytest.raises(ValidationError) as twice:
        actions.close_year(2022, finance)
    assert _codes(twice.value) == {"scheme_year": ["already_closed"]}
    with pytest.raises(ValidationError) as closed:
        actions.record_interest(2022, amount_fen=1, received_on=date(2023, 12, 1), actor=finance)
    assert _codes(closed.value) == {"scheme_year": ["year_closed"]}
    from mutualaid.funds.postings import reverse_entry

    first = JournalEntry.objects.filter(scheme_year=2022).order_by("number").first()
    with pytest.raises(ValidationError) as reversed_closed:
        reverse_entry(first.id, reason="x", actor=finance)
    assert _codes(reversed_closed.value) == {"entry_id": ["year_closed"]}


def test_years_close_in_order(in_dagong, finance):
    actions.record_interest(2022, amount_fen=100, received_on=date(2022, 12, 21), actor=finance)
    actions.record_interest(2023, amount_fen=100, received_on=date(2023, 12, 21), actor=finance)
    with pytest.raises(ValidationError) as caught:
        actions.close_year(2023, finance)
    assert _codes(caught.value) == {"scheme_year": ["previous_year_open"]}
    assert not FundYear.objects.get(scheme_year=2023).is_closed
    actions.close_year(2022, finance)
    actions.close_year(2023, finance)
    assert balance_of(2024, "net_assets:carried_forward") == 200


@pytest.mark.parametrize(
    ("on", "code"),
    [
        (date(2021, 12, 31), "date_outside_year"),
        (date(2024, 1, 1), "date_outside_year"),
        ("2022-05-01", "invalid_date"),
    ],
)
def test_income_dates_must_fall_within_the_scheme_year(in_dagong, finance, on, code):
    with pytest.raises(ValidationError) as caught:
        actions.record_interest(2022, amount_fen=100, received_on=on, actor=finance)
    assert _codes(caught.value) == {"received_on": [code]}
    assert not JournalEntry.objects.exists()


def test_future_dates_are_refused(in_dagong, finance):
    from mutualaid.funds.ledger import today

    this_year = today().year
    with pytest.raises(ValidationError) as caught:
        actions.record_interest(
            this_year, amount_fen=100, received_on=date(this_year + 1, 1, 1), actor=finance
        )
    assert _codes(caught.value) == {"received_on": ["invalid_date"]}


def test_a_reversed_donation_frees_its_receipt_number(in_dagong, finance):
    from mutualaid.funds.postings import reverse_entry

    args = {"source": "enterprise", "donor_name": "海安某某纺织有限公司", "receipt_number": "苏财捐 0003"}
    wrong = actions.record_donation(
        2022, amount_fen=5_000_00, received_on=date(2022, 8, 2), actor=finance, **args
    )
    reverse_entry(wrong.id, reason="金额录错，应为 50,000 元", actor=finance)
    right = actions.record_donation(
        2022, amount_fen=50_000_00, received_on=date(2022, 8, 2), actor=finance, **args
    )
    assert right.receipt_number == wrong.receipt_number
    assert balance_of(2022, "income:enterprise") == 50_000_00
