"""The postings table that generates the fund mutations, and the refusal a town admin gets when the town has no
town-finance user (issue 14 item 4)."""

import pytest
from graphene.utils.str_converters import to_camel_case

from mutualaid.funds.actions import DEFAULT_MEMOS, default_memo
from mutualaid.funds.permissions import FINANCE_MISSING_MESSAGE, finance_staffed
from mutualaid.graphql.api import town_schema
from mutualaid.graphql.funds.mutations.postings import POSTING_MUTATIONS, POSTINGS
from mutualaid.platform.accounts.roles import Role
from tests.factories import graphql, make_user

GRANT = """mutation { fundRecordGrant(schemeYear: 2022, source: CHARITY, amount: "40000", grantor: "海安市老促会",
    receivedOn: "2022-07-15") { entry { id } errors { field code message } } }"""


def test_every_posting_is_a_mutation_of_the_town_schema_named_as_before():
    mutation_type = town_schema.graphql_schema.mutation_type
    assert [p.name for p in POSTINGS] == [
        "FundRecordUnderwriting",
        "FundRecordGrant",
        "FundRecordPledge",
        "FundSettlePledge",
        "FundRecordAdvance",
        "FundRepayAdvance",
        "FundRecordDonation",
        "FundRecordInterest",
        "FundRecordServiceFee",
        "FundPayServiceFee",
        "FundReverseEntry",
    ]
    for posting in POSTINGS:
        field = mutation_type.fields[posting.name[0].lower() + posting.name[1:]]
        assert field.type.name == posting.name
        assert field.description == posting.doc
        assert set(field.args) == {to_camel_case(arg.name) for arg in posting.arguments}
    assert len(POSTING_MUTATIONS) == len(POSTINGS)


def test_every_dated_argument_is_a_date():
    mutation_type = town_schema.graphql_schema.mutation_type
    for posting in POSTINGS:
        field = mutation_type.fields[posting.name[0].lower() + posting.name[1:]]
        for name, argument in field.args.items():
            if name.endswith("On"):
                assert str(argument.type) == "Date!", (posting.name, name)


@pytest.mark.parametrize("posting", [p for p in POSTINGS if p.memo], ids=lambda p: p.name)
def test_each_posting_names_a_default_memo_of_the_domain(posting):
    assert posting.memo in DEFAULT_MEMOS


def test_default_memos_fill_their_fields():
    assert default_memo("grant", grantor="海安市老促会") == "海安市老促会补助资金到账"
    assert default_memo("donation", source="乡贤及社会捐赠", donor="张三") == "乡贤及社会捐赠：张三捐赠"


def test_town_admin_without_a_finance_user_is_told_to_assign_the_role_first(dagong):
    admin = make_user(Role.TOWN_ADMIN, town=dagong)
    assert not finance_staffed(dagong.code)
    payload = graphql(admin, GRANT, town=dagong)["data"]["fundRecordGrant"]
    assert payload["entry"] is None
    assert [(e["code"], e["message"]) for e in payload["errors"]] == [
        ("PERMISSION_DENIED", FINANCE_MISSING_MESSAGE)
    ]
    assert "镇财政" in FINANCE_MISSING_MESSAGE and "镇管理员" in FINANCE_MISSING_MESSAGE


def test_once_finance_is_assigned_the_admin_gets_the_usual_refusal_and_finance_posts(dagong):
    admin = make_user(Role.TOWN_ADMIN, town=dagong)
    finance = make_user(Role.TOWN_FINANCE, town=dagong)
    assert finance_staffed(dagong.code)
    refused = graphql(admin, GRANT, town=dagong)["data"]["fundRecordGrant"]
    assert [(e["code"], e["message"]) for e in refused["errors"]] == [("PERMISSION_DENIED", "无权执行此操作")]
    posted = graphql(finance, GRANT, town=dagong)["data"]["fundRecordGrant"]
    assert posted["errors"] == [] and posted["entry"]["id"]


def test_an_inactive_finance_user_does_not_count(dagong):
    finance = make_user(Role.TOWN_FINANCE, town=dagong)
    finance.is_active = False
    finance.save(update_fields=["is_active"])
    assert not finance_staffed(dagong.code)


def test_other_roles_keep_the_usual_refusal(dagong):
    coordinator = make_user(Role.VILLAGE_COORDINATOR, town=dagong, village_code="320685107201")
    payload = graphql(coordinator, GRANT, town=dagong)["data"]["fundRecordGrant"]
    assert [(e["code"], e["message"]) for e in payload["errors"]] == [("PERMISSION_DENIED", "无权执行此操作")]
    anonymous = graphql(None, GRANT, town=dagong)["data"]["fundRecordGrant"]
    assert [e["message"] for e in anonymous["errors"]] == ["请先登录"]


@pytest.mark.parametrize(
    ("mutation", "expected"),
    [
        (
            """fundRecordAdvance(schemeYear: 2022, receivedOn: "2022-06-30")""",
            ("townAmount", "REQUIRED"),
        ),
        (
            """fundRecordUnderwriting(schemeYear: 2022, receivedOn: "2022-06-30", amountsBySource: [
               {source: TOWN_FINANCE, amount: "1"}, {source: TOWN_FINANCE, amount: "2"}])""",
            ("amountsBySource", "INVALID_SOURCE"),
        ),
        (
            """fundRecordUnderwriting(schemeYear: 2022, receivedOn: "2022-06-30", amountsBySource: [
               {source: TOWN_FINANCE, amount: "1.234"}])""",
            ("amountsBySource", "INVALID_AMOUNT"),
        ),
        (
            """fundRecordDonation(schemeYear: 2022, source: DONOR, amount: "1", donorName: " ",
               receiptNumber: "R1", receivedOn: "2022-08-01")""",
            ("donorName", "REQUIRED"),
        ),
        (
            """fundRecordServiceFee(schemeYear: 2022, amount: "abc", payee: " ", incurredOn: "2023-01-05")""",
            ("payee", "REQUIRED"),
        ),
        (
            """fundRepayAdvance(schemeYear: 2022, townAmount: "-1", paidOn: "2023-01-05")""",
            ("townAmount", "INVALID_AMOUNT"),
        ),
        (
            """fundRecordInterest(schemeYear: 1999, amount: "1", receivedOn: "2022-01-05")""",
            ("schemeYear", "INVALID_YEAR"),
        ),
    ],
)
def test_error_fields_are_the_api_names_as_before(dagong, mutation, expected):
    finance = make_user(Role.TOWN_FINANCE, town=dagong)
    name = mutation.split("(", 1)[0]
    result = graphql(
        finance, f"mutation {{ {mutation} {{ entry {{ id }} errors {{ field code }} }} }}", town=dagong
    )
    assert [(e["field"], e["code"]) for e in result["data"][name]["errors"]] == [expected]
