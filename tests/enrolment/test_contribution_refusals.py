"""Refusals of recordContribution in plain Chinese, amounts in yuan, each case with its own code; money received
outside the enrolment window is refused like an enrolment (issue 14 item 10)."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from graphql_relay import to_global_id

from mutualaid.enrolment import actions
from mutualaid.enrolment.models import Contribution
from mutualaid.funds.models import JournalEntry
from tests.enrolment.conftest import XINSHENG_2022, XINSHENG_OPEN
from tests.enrolment.test_graphql import world  # noqa: F401  (fixture)
from tests.factories import graphql, make_user


@pytest.fixture
def enrolled(in_xinsheng, build):
    admin = make_user("town_admin", town=in_xinsheng)
    household = build.family(build.village(), size=3)
    [enrolment] = actions.enrol_households([household], XINSHENG_2022, now=XINSHENG_OPEN, actor=admin)
    return enrolment, admin


def _refusal(**kwargs) -> tuple[str, str, str]:
    with pytest.raises(ValidationError) as exc_info:
        actions.record_contribution(**kwargs)
    [(field, [error])] = exc_info.value.error_dict.items()
    return field, error.code, error.message


def _record(enrolment, admin, **kwargs) -> dict:
    return {"enrolment": enrolment, "method": "cash", "receipt_number": "R-1", "actor": admin, **kwargs}


def test_zero_amounts_on_an_unpaid_household_are_an_invalid_amount_not_an_overpayment(enrolled):
    enrolment, admin = enrolled
    field, code, message = _refusal(**_record(enrolment, admin, amounts_by_source={"person": 0}))
    assert (field, code) == ("amounts", "invalid_amount")
    assert "不能为 0" in message and "个人缴费 75.00 元" in message
    assert "收讫" not in message


def test_no_amounts_at_all_are_required(enrolled):
    enrolment, admin = enrolled
    field, code, message = _refusal(**_record(enrolment, admin, amounts_by_source={}))
    assert (field, code) == ("amounts", "required")
    assert message.startswith("请填写收款金额") and "元" in message


def test_an_overpayment_is_told_in_yuan_and_plain_chinese(enrolled):
    enrolment, admin = enrolled
    field, code, message = _refusal(**_record(enrolment, admin, amounts_by_source={"person": 9_999_900}))
    assert (field, code) == ("amounts", "overpayment")
    assert message == "“个人缴费”收款 99999.00 元，超过应收未收的 75.00 元"


def test_a_source_with_nothing_due_is_named(enrolled):
    enrolment, admin = enrolled
    field, code, message = _refusal(**_record(enrolment, admin, amounts_by_source={"donor": 100}))
    assert (field, code) == ("amounts", "overpayment")
    assert "“乡贤及社会捐赠”" in message and "donor" not in message


def test_a_household_that_has_paid_everything_is_already_paid(enrolled):
    enrolment, admin = enrolled
    actions.record_contribution(**_record(enrolment, admin, reference="B-1", method="bank_transfer"))
    for amounts in (None, {"person": 0}, {"person": 100}):
        field, code, message = _refusal(
            **_record(enrolment, admin, receipt_number="R-2", amounts_by_source=amounts)
        )
        assert (field, code, message) == ("amounts", "already_paid", "该户本年度互助费已全部收讫，无需再收款")


def test_money_received_outside_the_window_is_refused_like_an_enrolment(enrolled):
    enrolment, admin = enrolled
    entries = JournalEntry.objects.count()
    for day in (
        XINSHENG_2022.enrolment_opens - timedelta(days=1),
        XINSHENG_2022.enrolment_closes + timedelta(days=1),
    ):
        field, code, message = _refusal(**_record(enrolment, admin, received_on=day, terms=XINSHENG_2022))
        assert (field, code) == ("received_on", "outside_enrolment_window")
        assert "2022年9月29日至2022年10月31日24时" in message
    # without a day, it is today's, long after 2022's window
    field, code, _ = _refusal(**_record(enrolment, admin, terms=XINSHENG_2022))
    assert code == "outside_enrolment_window"
    assert JournalEntry.objects.count() == entries and not Contribution.objects.exists()


def test_money_received_within_the_window_may_be_entered_later(enrolled):
    enrolment, admin = enrolled
    last_day = XINSHENG_2022.enrolment_closes
    contribution = actions.record_contribution(
        **_record(enrolment, admin, received_on=last_day, terms=XINSHENG_2022)
    )
    assert contribution.received_on == last_day


def test_a_receipt_day_in_the_future_is_refused(enrolled):
    enrolment, admin = enrolled
    field, code, _ = _refusal(**_record(enrolment, admin, received_on=date.today() + timedelta(days=2)))
    assert (field, code) == ("received_on", "invalid_date")


CONTRIBUTE = """mutation($e: ID!, $a: [SourceAmountInput!], $on: String) { recordContribution(enrolmentId: $e,
    method: CASH, receiptNumber: "R-9", amounts: $a, receivedOn: $on) { contribution { amount }
    errors { field code message } } }"""


def test_the_api_gives_the_same_codes_and_messages(world, role_users):  # noqa: F811
    admin, town = role_users["town_admin"], world["town"]
    enrolment = to_global_id("Enrolment", world["enrolment"].pk)
    zero = graphql(admin, CONTRIBUTE, {"e": enrolment, "a": [{"source": "PERSON", "amount": "0"}]}, town=town)
    [error] = zero["data"]["recordContribution"]["errors"]
    assert (error["field"], error["code"]) == ("amounts", "INVALID_AMOUNT") and "元" in error["message"]
    over = graphql(
        admin, CONTRIBUTE, {"e": enrolment, "a": [{"source": "TOWN_FINANCE", "amount": "99999"}]}, town=town
    )
    [error] = over["data"]["recordContribution"]["errors"]
    assert (
        error["code"] == "OVERPAYMENT" and "99999.00 元" in error["message"] and "分" not in error["message"]
    )


def test_the_api_refuses_money_received_outside_the_window(world, role_users, monkeypatch):  # noqa: F811
    monkeypatch.setattr("mutualaid.policies.selectors.enrolment_terms", lambda year, on=None: XINSHENG_2022)
    admin, town = role_users["town_admin"], world["town"]
    enrolment = to_global_id("Enrolment", world["enrolment"].pk)
    late = graphql(admin, CONTRIBUTE, {"e": enrolment}, town=town)["data"]["recordContribution"]
    assert [(e["field"], e["code"]) for e in late["errors"]] == [("receivedOn", "OUTSIDE_ENROLMENT_WINDOW")]
    assert "交费截止后不再接受交费" in late["errors"][0]["message"]
    in_time = graphql(admin, CONTRIBUTE, {"e": enrolment, "on": "2022-10-31"}, town=town)["data"][
        "recordContribution"
    ]
    assert in_time["errors"] == [] and in_time["contribution"]["amount"] == "150.00"
