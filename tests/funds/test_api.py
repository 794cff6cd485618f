"""The town schema's fund ledger API: every operation's permission matrix, typed errors, statements."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from mutualaid.funds import actions
from mutualaid.funds.models import JournalEntry
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.regions.models import County, Province
from mutualaid.tenants.models import ServiceFirm
from tests.factories import graphql, make_user


def _in(town, fn):
    connection.set_tenant(town)
    try:
        return fn()
    finally:
        connection.set_schema_to_public()


def _entry_count(town) -> int:
    return _in(town, lambda: JournalEntry.objects.count())


@pytest.fixture
def users(dagong, yazhou, xinsheng):
    firm = ServiceFirm.objects.create(name="测试服务机构")
    firm.towns.add(dagong)
    return {
        "finance": make_user(Role.TOWN_FINANCE, town=dagong),
        "admin": make_user(Role.TOWN_ADMIN, town=dagong),
        "county": make_user(Role.COUNTY_BUREAU, county=dagong.county),
        "staff": make_user(is_staff=True),
        "coordinator": make_user(Role.VILLAGE_COORDINATOR, town=dagong, village_code="320685107201"),
        "reviewer": make_user(Role.FIRM_REVIEWER, firm=firm),
        "member": make_user(Role.MEMBER, town=dagong),
        "province": make_user(Role.PROVINCE_SUPERVISOR, province=Province.objects.get(code="32")),
        "other_town_finance": make_user(Role.TOWN_FINANCE, town=yazhou),
        "other_town_admin": make_user(Role.TOWN_ADMIN, town=yazhou),
        "other_county": make_user(Role.COUNTY_BUREAU, county=County.objects.get(code="500152")),
        "anonymous": None,
    }


@pytest.fixture
def ledger_2022(dagong, users):
    """大公镇 2022: a pledge, an advance, a service fee owed and an interest entry to settle, repay, pay, reverse."""
    finance = users["finance"]

    def setup():
        actions.record_pledge(
            2022,
            source="government_grant",
            amount_fen=25_000_000,
            grantor="海安市农业农村局",
            pledged_on=date(2022, 5, 12),
            actor=finance,
        )
        actions.record_advance(
            2022, town_fen=15_000_000, village_fen=10_000_000, received_on=date(2022, 6, 30), actor=finance
        )
        actions.accrue_expense(
            2022, expense="service_fees", amount_fen=300_000, incurred_on=date(2023, 1, 5), actor=finance
        )
        return actions.record_interest(2022, amount_fen=1234, received_on=date(2022, 12, 21), actor=finance)

    return _in(dagong, setup)


ENTRY = "entry { id voucher kind total counterparty receiptNumber lines { account { key } side amount } } errors { field code message }"
MUTATIONS = {
    "fundRecordUnderwriting": (
        f"""mutation($y: Int!, $a: [FundSourceAmountInput!]!, $on: Date!) {{
            fundRecordUnderwriting(schemeYear: $y, amountsBySource: $a, receivedOn: $on) {{ {ENTRY} }} }}""",
        {
            "y": 2022,
            "a": [
                {"source": "TOWN_FINANCE", "amount": "2500"},
                {"source": "VILLAGE_COLLECTIVE", "amount": "2500.00"},
            ],
            "on": "2022-06-28",
        },
    ),
    "fundRecordGrant": (
        f"""mutation($y: Int!, $amount: String!, $on: Date!) {{ fundRecordGrant(schemeYear: $y, source: CHARITY,
            amount: $amount, grantor: "海安市老区开发促进会", receivedOn: $on) {{ {ENTRY} }} }}""",
        {"y": 2022, "amount": "40000", "on": "2022-07-15"},
    ),
    "fundRecordPledge": (
        f"""mutation {{ fundRecordPledge(schemeYear: 2022, source: GOVERNMENT_GRANT, amount: "250000",
            grantor: "海安市农业农村局", pledgedOn: "2022-05-12") {{ {ENTRY} }} }}""",
        {},
    ),
    "fundSettlePledge": (
        f"""mutation {{ fundSettlePledge(schemeYear: 2022, source: GOVERNMENT_GRANT, amount: "250000",
            receivedOn: "2023-04-20") {{ {ENTRY} }} }}""",
        {},
    ),
    "fundRecordAdvance": (
        f"""mutation {{ fundRecordAdvance(schemeYear: 2022, townAmount: "150000", villageAmount: "100000",
            receivedOn: "2022-06-30") {{ {ENTRY} }} }}""",
        {},
    ),
    "fundRepayAdvance": (
        f"""mutation {{ fundRepayAdvance(schemeYear: 2022, townAmount: "150000", villageAmount: "100000",
            paidOn: "2023-04-25") {{ {ENTRY} }} }}""",
        {},
    ),
    "fundRecordDonation": (
        f"""mutation {{ fundRecordDonation(schemeYear: 2022, source: DONOR, amount: "20000", donorName: "张三",
            receiptNumber: "苏财捐 0001", receivedOn: "2022-08-01") {{ {ENTRY} }} }}""",
        {},
    ),
    "fundRecordInterest": (
        f"""mutation {{ fundRecordInterest(schemeYear: 2022, amount: "12.34", receivedOn: "2022-12-21")
            {{ {ENTRY} }} }}""",
        {},
    ),
    "fundRecordServiceFee": (
        f"""mutation {{ fundRecordServiceFee(schemeYear: 2022, amount: "3000", payee: "福村宝乡村互助服务有限公司",
            incurredOn: "2023-01-05") {{ {ENTRY} }} }}""",
        {},
    ),
    "fundPayServiceFee": (
        f"""mutation {{ fundPayServiceFee(schemeYear: 2022, amount: "2000", payee: "福村宝乡村互助服务有限公司",
            paidOn: "2023-01-06") {{ {ENTRY} }} }}""",
        {},
    ),
    "fundReverseEntry": (
        f"""mutation($id: ID!) {{ fundReverseEntry(entryId: $id, reason: "利息重复入账") {{ {ENTRY} }} }}""",
        None,  # filled with the interest entry's ID
    ),
    "fundCloseYear": (
        """mutation { fundCloseYear(schemeYear: 2022) { fundYear { schemeYear status surplus carriedForward }
            nextYear { carriedForward bank receivables payables } errors { field code message } } }""",
        {},
    ),
}
REFUSED_WRITERS = [
    "admin",
    "county",
    "staff",
    "coordinator",
    "reviewer",
    "member",
    "province",
    "other_town_finance",
    "other_town_admin",
    "other_county",
    "anonymous",
]


def _variables(name, ledger_entry):
    query, variables = MUTATIONS[name]
    if variables is None:
        variables = {"id": to_global_id("FundJournalEntry", ledger_entry.pk)}
    return query, variables


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_town_finance_posts_every_operation(name, dagong, users, ledger_2022):
    query, variables = _variables(name, ledger_2022)
    before = _entry_count(dagong)
    result = graphql(users["finance"], query, variables, town=dagong)
    assert "errors" not in result, result
    payload = result["data"][name]
    assert payload["errors"] == []
    assert _entry_count(dagong) > before


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_other_roles_towns_and_anonymous_cannot_post(name, dagong, users, ledger_2022):
    query, variables = _variables(name, ledger_2022)
    before = _entry_count(dagong)
    for who in REFUSED_WRITERS:
        result = graphql(users[who], query, variables, town=dagong)
        payload = result["data"][name]
        assert [e["code"] for e in payload["errors"]] == ["PERMISSION_DENIED"], who
        assert _entry_count(dagong) == before, who


READS = {
    "fundSummary": (
        "{ fundSummary(schemeYear: 2022) { bank income } }",
        {"finance", "admin", "county", "staff"},
    ),
    "fundTrialBalance": (
        "{ fundTrialBalance(schemeYear: 2022) { balanced totalDebit } }",
        {"finance", "admin", "county", "staff"},
    ),
    "fundYears": ("{ fundYears { schemeYear status } }", {"finance", "admin", "county", "staff"}),
    "fundAccounts": ("{ fundAccounts { code key } }", {"finance", "admin", "county", "staff"}),
    "fundEntries": ("{ fundEntries(schemeYear: 2022) { totalCount } }", {"finance", "admin", "staff"}),
    "fundAccountStatement": (
        '{ fundAccountStatement(schemeYear: 2022, account: "bank") { totalCount } }',
        {"finance", "admin", "staff"},
    ),
}


@pytest.mark.parametrize("name", list(READS))
def test_read_permission_matrix(name, dagong, users, ledger_2022):
    query, allowed = READS[name]
    for who, user in users.items():
        result = graphql(user, query, town=dagong)
        if who in allowed:
            assert "errors" not in result, (who, result)
            assert result["data"][name] is not None
        else:
            assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", (who, result)
            assert result["data"] is None or result["data"].get(name) is None


def test_haian_laocuhui_grants_40000_per_town(dagong, yazhou, users):
    query, variables = MUTATIONS["fundRecordGrant"]
    yazhou_finance = users["other_town_finance"]
    for town, user in ((dagong, users["finance"]), (yazhou, yazhou_finance)):
        result = graphql(user, query, variables, town=town)
        entry = result["data"]["fundRecordGrant"]["entry"]
        assert entry["total"] == "40000.00" and entry["counterparty"] == "海安市老区开发促进会"
        assert {(line["account"]["key"], line["side"]) for line in entry["lines"]} == {
            ("bank", "DEBIT"),
            ("income:charity", "CREDIT"),
        }
        summary = graphql(
            user,
            "{ fundSummary(schemeYear: 2022) { bank income incomeBySource { source amount } } }",
            town=town,
        )
        summary = summary["data"]["fundSummary"]
        assert summary["bank"] == summary["income"] == "40000.00"
        assert {"source": "CHARITY", "amount": "40000.00"} in summary["incomeBySource"]


def test_haian_agriculture_bureau_pledge_advance_settlement_via_api(dagong, users):
    finance = users["finance"]
    for name in ("fundRecordPledge", "fundRecordAdvance", "fundSettlePledge", "fundRepayAdvance"):
        query, variables = MUTATIONS[name]
        assert graphql(finance, query, variables, town=dagong)["data"][name]["errors"] == []
    summary = graphql(
        finance,
        "{ fundSummary(schemeYear: 2022) { bank receivables payables income netAssets } }",
        town=dagong,
    )["data"]["fundSummary"]
    assert summary == {
        "bank": "250000.00",
        "receivables": "0.00",
        "payables": "0.00",
        "income": "250000.00",
        "netAssets": "250000.00",
    }


@pytest.mark.parametrize(
    ("amount", "field", "code"),
    [
        ("abc", "amount", "INVALID_AMOUNT"),
        ("-5", "amount", "INVALID_AMOUNT"),
        ("0", "amount", "INVALID_AMOUNT"),
        ("12.345", "amount", "INVALID_AMOUNT"),
        ("100000000.01", "amount", "INVALID_AMOUNT"),
    ],
)
def test_absurd_or_malformed_amounts_are_typed_errors_and_write_nothing(amount, field, code, dagong, users):
    query, variables = MUTATIONS["fundRecordGrant"]
    result = graphql(users["finance"], query, variables | {"amount": amount}, town=dagong)
    payload = result["data"]["fundRecordGrant"]
    assert payload["entry"] is None
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)]
    assert _entry_count(dagong) == 0


@pytest.mark.parametrize(
    ("on", "code"), [("2021-12-31", "DATE_OUTSIDE_YEAR"), ("2099-01-01", "INVALID_DATE")]
)
def test_dates_outside_the_year_are_typed_errors(on, code, dagong, users):
    query, variables = MUTATIONS["fundRecordGrant"]
    payload = graphql(users["finance"], query, variables | {"on": on}, town=dagong)["data"]["fundRecordGrant"]
    assert [(e["field"], e["code"]) for e in payload["errors"]] == [("receivedOn", code)]
    assert _entry_count(dagong) == 0


@pytest.mark.parametrize("on", ["2022-13-01", "去年"])
def test_malformed_dates_are_refused_by_the_date_type(on, dagong, users):
    # Dates are ``Date``: a malformed one fails validation of the request itself, before anything runs.
    query, variables = MUTATIONS["fundRecordGrant"]
    result = graphql(users["finance"], query, variables | {"on": on}, town=dagong)
    assert result.get("data") is None
    assert "Date" in result["errors"][0]["message"]
    assert _entry_count(dagong) == 0


def test_reversal_via_api_links_both_entries(dagong, users, ledger_2022):
    query, variables = _variables("fundReverseEntry", ledger_2022)
    reversal = graphql(users["finance"], query, variables, town=dagong)["data"]["fundReverseEntry"]["entry"]
    assert reversal["kind"] == "REVERSAL"
    again = graphql(users["finance"], query, variables, town=dagong)["data"]["fundReverseEntry"]
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("entryId", "ALREADY_REVERSED")]
    missing = graphql(users["finance"], query, {"id": to_global_id("FundJournalEntry", 10**9)}, town=dagong)
    assert [e["code"] for e in missing["data"]["fundReverseEntry"]["errors"]] == ["NOT_FOUND"]
    wrong_type = graphql(users["finance"], query, {"id": to_global_id("Town", 1)}, town=dagong)
    assert [e["code"] for e in wrong_type["data"]["fundReverseEntry"]["errors"]] == ["NOT_FOUND"]
    entries = graphql(
        users["admin"],
        "{ fundEntries(schemeYear: 2022, kind: INTEREST) { edges { node { voucher reversedBy { voucher reason } } } } }",
        town=dagong,
    )["data"]["fundEntries"]["edges"]
    assert entries[0]["node"]["reversedBy"]["reason"] == "利息重复入账"


def test_xinsheng_surplus_carried_into_next_scheme_year_via_api(xinsheng, users):
    finance = make_user(Role.TOWN_FINANCE, town=xinsheng)
    _in(
        xinsheng,
        lambda: actions.record_donation(
            2022,
            source="charity",
            amount_fen=2_000_000,
            donor_name="潼南区慈善会",
            receipt_number="渝捐 1",
            received_on=date(2022, 10, 20),
            actor=finance,
        ),
    )
    query, _ = MUTATIONS["fundCloseYear"]
    payload = graphql(finance, query, town=xinsheng)["data"]["fundCloseYear"]
    assert payload["errors"] == []
    assert payload["fundYear"] == {
        "schemeYear": 2022,
        "status": "CLOSED",
        "surplus": "20000.00",
        "carriedForward": "20000.00",
    }
    assert payload["nextYear"]["carriedForward"] == payload["nextYear"]["bank"] == "20000.00"
    twice = graphql(finance, query, town=xinsheng)["data"]["fundCloseYear"]
    assert [(e["field"], e["code"]) for e in twice["errors"]] == [("schemeYear", "ALREADY_CLOSED")]
    trial = graphql(
        finance,
        "{ fundTrialBalance(schemeYear: 2022, beforeClosing: true) { balanced totalDebit } }",
        town=xinsheng,
    )["data"]["fundTrialBalance"]
    assert trial == {"balanced": True, "totalDebit": "20000.00"}


STATEMENT = """query($first: Int, $after: String) { fundAccountStatement(schemeYear: 2022, account: "1002",
    first: $first, after: $after) { totalCount pageInfo { endCursor hasNextPage }
    edges { node { debit credit runningBalance entry { voucher kindDisplay lines { amount } } } } } }"""


def test_account_statement_pages_keep_the_running_balance(dagong, users):
    finance = users["finance"]

    def post():
        for day in range(1, 8):
            actions.record_interest(
                2022, amount_fen=100 * day, received_on=date(2022, 12, day), actor=finance
            )

    _in(dagong, post)
    first = graphql(users["admin"], STATEMENT, {"first": 3}, town=dagong)["data"]["fundAccountStatement"]
    assert first["totalCount"] == 7
    assert [e["node"]["runningBalance"] for e in first["edges"]] == ["1.00", "3.00", "6.00"]
    second = graphql(
        users["admin"], STATEMENT, {"first": 3, "after": first["pageInfo"]["endCursor"]}, town=dagong
    )
    assert [e["node"]["runningBalance"] for e in second["data"]["fundAccountStatement"]["edges"]] == [
        "10.00",
        "15.00",
        "21.00",
    ]


def test_statement_and_entries_query_count_does_not_grow_with_page_size(dagong, users):
    finance = users["finance"]
    _in(
        dagong,
        lambda: [
            actions.record_interest(2022, amount_fen=100 + i, received_on=date(2022, 12, 1), actor=finance)
            for i in range(12)
        ],
    )
    entries = "query($first: Int) { fundEntries(schemeYear: 2022, first: $first) { edges { node { voucher lines { account { key } amount } reverses { voucher } reversedBy { voucher } } } } }"
    counts = []
    for query in (STATEMENT, entries):
        for first in (2, 12):
            graphql(users["admin"], query, {"first": first}, town=dagong)  # warm the session and user caches
            with CaptureQueriesContext(connection) as captured:
                result = graphql(users["admin"], query, {"first": first}, town=dagong)
            assert "errors" not in result, result
            counts.append(len(captured))
    assert counts[0] == counts[1] and counts[2] == counts[3], counts
