"""The enrolment API: permission matrix for every operation (allowed roles succeed; other roles, other villages,
other towns and anonymous are refused and nothing changes), masking, audit of unmasked reads, query counts."""

from __future__ import annotations

import base64
import dataclasses
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from graphql_relay import to_global_id

from mutualaid.enrolment import actions
from mutualaid.enrolment.models import (
    Contribution,
    ContributionReversal,
    Enrolment,
    Household,
    ImportJob,
    Member,
    Village,
)
from mutualaid.platform import crypto
from mutualaid.platform.audit.models import AuditEvent
from tests.enrolment.conftest import HAIAN_2022, HAIAN_OPEN, id_number
from tests.enrolment.test_roster import HEADER, _csv
from tests.factories import graphql

VILLAGE = "320685107201"
OTHER_VILLAGE = "320685107202"
ROLES = (
    "town_admin", "town_finance", "coordinator", "other_coordinator", "firm_reviewer", "member", "county_bureau",
    "province_supervisor", "other_town_admin", "anonymous",
)  # fmt: skip


@pytest.fixture
def world(dagong, in_town, build, role_users, monkeypatch):
    """大公镇 with two villages, a household of three in the coordinator's village (enrolled for 2022 with one
    contribution), and a household in the other village; policy terms whose window is open today."""
    in_town(dagong)
    village = build.village(VILLAGE, "贲庄村")
    other = build.village(OTHER_VILLAGE, "孙庄村")
    household = build.family(village, size=3, region="320685")
    build.family(other, size=2, region="320685")
    admin = role_users["town_admin"]
    [enrolment] = actions.enrol_households([household], HAIAN_2022, now=HAIAN_OPEN, actor=admin)
    contribution = actions.record_contribution(
        enrolment, method="cash", receipt_number="R-0001", amounts_by_source={"person": 15000}, actor=admin
    )
    today = date.today()
    open_terms = dataclasses.replace(
        HAIAN_2022,
        scheme_year=today.year,
        enrolment_opens=today - timedelta(days=1),
        enrolment_closes=today + timedelta(days=1),
    )
    monkeypatch.setattr("mutualaid.policies.selectors.enrolment_terms", lambda year, on=None: open_terms)
    fresh = build.family(village, size=2, region="320685")
    return {
        "town": dagong,
        "village": village,
        "household": household,
        "fresh": fresh,
        "enrolment": enrolment,
        "contribution": contribution,
        "member": household.members.order_by("id").first(),
        "year": today.year,
    }


def _snapshot(town):
    connection.set_tenant(town)
    return (
        Village.objects.count(),
        list(Village.objects.order_by("id").values_list("joined", "resolution_date")),
        Household.objects.count(),
        list(Member.objects.order_by("id").values_list("name", "phone_hash", "status")),
        Enrolment.objects.count(),
        Contribution.objects.count(),
        ContributionReversal.objects.count(),
        ImportJob.objects.count(),
    )


def _gid(type_name, obj):
    return to_global_id(type_name, obj.pk)


ROSTER = base64.b64encode(
    _csv([["N1", VILLAGE, "周一", id_number("320685"), "户主", "", "城乡居民医保", "", "2001-01-01"]], HEADER)
).decode()

OPERATIONS = {
    "createVillage": (
        {"town_admin"},
        lambda w: (
            'mutation { createVillage(code: "320685107299", name: "新村") { village { code } errors { code } } }',
            {},
        ),
    ),
    "recordVillageDecision": (
        {"town_admin", "coordinator"},
        lambda w: (
            f'mutation {{ recordVillageDecision(villageCode: "{VILLAGE}", joined: false) {{ village {{ joined }} errors {{ code }} }} }}',
            {},
        ),
    ),
    "createHousehold": (
        {"town_admin", "coordinator"},
        lambda w: (
            f'mutation {{ createHousehold(villageCode: "{VILLAGE}", number: "H-NEW") {{ household {{ number }} errors {{ code }} }} }}',
            {},
        ),
    ),
    "addMember": (
        {"town_admin", "coordinator"},
        lambda w: (
            """mutation($h: ID!, $id: String!) { addMember(householdId: $h, name: "吴二", idNumber: $id, relation: SPOUSE,
               insuranceType: RESIDENT, registeredOn: "2015-01-01") { member { name } errors { code field message } } }""",
            {"h": _gid("Household", w["household"]), "id": id_number("320685")},
        ),
    ),
    "updateMember": (
        {"town_admin", "coordinator"},
        lambda w: (
            "mutation($m: ID!) { updateMember(memberId: $m, status: MOVED_OUT) { member { status } errors { code } } }",
            {"m": _gid("Member", w["member"])},
        ),
    ),
    "enrolHouseholds": (
        {"town_admin", "coordinator"},
        lambda w: (
            """mutation($y: Int!, $h: [ID!]!) { enrolHouseholds(schemeYear: $y, householdIds: $h) {
               enrolments { memberCount due } errors { code message } } }""",
            {"y": w["year"], "h": [_gid("Household", w["fresh"])]},
        ),
    ),
    "recordContribution": (
        {"town_admin", "coordinator"},
        lambda w: (
            """mutation($e: ID!) { recordContribution(enrolmentId: $e, method: CASH, receiptNumber: "R-0002",
               amounts: [{source: TOWN_FINANCE, amount: "75.00"}]) { contribution { amount } errors { code message } } }""",
            {"e": _gid("Enrolment", w["enrolment"])},
        ),
    ),
    "reverseContribution": (
        {"town_admin", "town_finance"},
        lambda w: (
            """mutation($c: ID!) { reverseContribution(contributionId: $c, reason: "收据号录错") {
               contribution { reversed } errors { code message } } }""",
            {"c": _gid("Contribution", w["contribution"])},
        ),
    ),
    "importRoster": (
        {"town_admin", "coordinator"},
        lambda w: (
            f"""mutation($f: String!) {{ importRoster(fileName: "r.csv", contentBase64: $f, villageCode: "{VILLAGE}") {{
               job {{ status }} errors {{ code message }} }} }}""",
            {"f": ROSTER},
        ),
    ),
    "importRosterWholeTown": (
        {"town_admin"},
        lambda w: (
            'mutation($f: String!) { importRoster(fileName: "r.csv", contentBase64: $f) { job { status } errors { code } } }',
            {"f": ROSTER},
        ),
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", sorted(OPERATIONS))
def test_permission_matrix_for_every_mutation(world, role_users, operation, role):
    allowed, build_request = OPERATIONS[operation]
    query, variables = build_request(world)
    before = _snapshot(world["town"])
    result = graphql(role_users[role], query, variables, town=world["town"])
    payload = next(iter((result.get("data") or {}).values()), None)
    after = _snapshot(world["town"])
    if role in allowed:
        assert payload and payload["errors"] == [], result
        assert after != before
    else:
        assert payload is None or payload["errors"][0]["code"] in ("PERMISSION_DENIED", "NOT_FOUND"), result
        assert after == before


READS = {
    "members": (
        {"town_admin", "coordinator", "other_coordinator", "firm_reviewer"},
        "{ members(first: 5) { totalCount } }",
    ),
    "households": (
        {"town_admin", "coordinator", "other_coordinator"},
        "{ households(first: 5) { totalCount } }",
    ),
    "contributions": (
        {"town_admin", "town_finance", "coordinator", "other_coordinator"},
        "{ contributions(schemeYear: 2022, first: 5) { totalCount } }",
    ),
    "enrolments": (
        {"town_admin", "town_finance", "coordinator", "other_coordinator"},
        "{ enrolments(schemeYear: 2022, first: 5) { totalCount } }",
    ),
    "participation": (
        {
            "town_admin",
            "town_finance",
            "coordinator",
            "other_coordinator",
            "county_bureau",
            "province_supervisor",
        },
        "query($y: Int!) { participation(schemeYear: $y) { enrolledPeople } }",
    ),
    "rosterTemplate": (
        {"town_admin", "coordinator", "other_coordinator"},
        "{ rosterTemplate(format: CSV) { fileName } }",
    ),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("read", sorted(READS))
def test_permission_matrix_for_every_query(world, role_users, read, role):
    allowed, query = READS[read]
    result = graphql(
        role_users[role], query, {"y": world["year"]} if "$y" in query else {}, town=world["town"]
    )
    if role in allowed:
        assert "errors" not in result, result
    else:
        assert result.get("errors"), result


def test_a_coordinator_sees_only_their_village(world, role_users):
    mine = graphql(
        role_users["coordinator"],
        "{ members(first: 50) { totalCount edges { node { villageCode } } } }",
        town=world["town"],
    )
    assert {e["node"]["villageCode"] for e in mine["data"]["members"]["edges"]} == {VILLAGE}
    assert mine["data"]["members"]["totalCount"] == 5
    everyone = graphql(role_users["town_admin"], "{ members(first: 50) { totalCount } }", town=world["town"])
    assert everyone["data"]["members"]["totalCount"] == 7


def test_id_and_phone_are_masked_for_the_other_village_and_absent_for_reviewers(world, role_users):
    query = f'{{ members(villageCode: "{VILLAGE}", first: 1) {{ edges {{ node {{ name idNumber phone insuranceType }} }} }} }}'
    member = world["member"]
    for role in ("other_coordinator",):  # a coordinator of another village cannot list this village at all
        result = graphql(role_users[role], query, town=world["town"])
        assert result["data"]["members"]["edges"] == []
    reviewer = graphql(role_users["firm_reviewer"], query, town=world["town"])["data"]["members"]["edges"][0][
        "node"
    ]
    assert reviewer == {"name": "李*明", "idNumber": None, "phone": None, "insuranceType": "RESIDENT"}
    admin = graphql(role_users["town_admin"], query, town=world["town"])["data"]["members"]["edges"][0][
        "node"
    ]
    assert admin["idNumber"] == crypto.decrypt(member.id_number_encrypted) and admin["phone"] == "13912345678"


def test_every_unmasked_read_is_audited_without_personal_data(world, role_users):
    connection.set_tenant(world["town"])
    before = AuditEvent.objects.filter(action="enrolment.personal_data.read").count()
    graphql(
        role_users["coordinator"],
        "{ members(first: 10) { edges { node { idNumber phone } } } }",
        town=world["town"],
    )
    connection.set_tenant(world["town"])
    events = AuditEvent.objects.filter(action="enrolment.personal_data.read")
    assert events.count() == before + 1
    event = events.order_by("-id").first()
    assert len(event.data["member_ids"]) == 5
    text = str(event.data)
    assert crypto.decrypt(world["member"].id_number_encrypted) not in text and "13912345678" not in text


def test_members_list_costs_the_same_queries_for_3_and_30_members(world, role_users, build):
    query = """{ members(first: 100) { totalCount edges { node { name idNumber phone villageCode householdNumber
               enrolled(schemeYear: 2022) } } } }"""
    user = role_users["town_admin"]

    def count():
        with CaptureQueriesContext(connection) as captured:
            result = graphql(user, query, town=world["town"])
        assert "errors" not in result, result
        return len(captured), result["data"]["members"]["totalCount"]

    few, n_few = count()
    connection.set_tenant(world["town"])
    for _ in range(8):
        build.family(world["village"], size=3, region="320685")
    many, n_many = count()
    assert n_many == n_few + 24
    assert few == many


def test_households_list_with_members_costs_constant_queries(world, role_users, build):
    query = (
        "{ households(first: 100) { edges { node { number headName village { code } members { name } } } } }"
    )
    user = role_users["town_admin"]

    def count():
        with CaptureQueriesContext(connection) as captured:
            result = graphql(user, query, town=world["town"])
        assert "errors" not in result, result
        return len(captured)

    few = count()
    connection.set_tenant(world["town"])
    for _ in range(6):
        build.family(world["village"], size=2, region="320685")
    assert count() == few


def test_enrolment_refusals_are_typed_errors_through_the_api(world, role_users):
    query = """mutation($y: Int!, $h: [ID!]!) { enrolHouseholds(schemeYear: $y, householdIds: $h) {
               enrolments { memberCount } errors { code field } } }"""
    first = graphql(
        role_users["town_admin"],
        query,
        {"y": world["year"], "h": [_gid("Household", world["fresh"])]},
        town=world["town"],
    )
    assert first["data"]["enrolHouseholds"]["errors"] == []
    again = graphql(
        role_users["town_admin"],
        query,
        {"y": world["year"], "h": [_gid("Household", world["fresh"])]},
        town=world["town"],
    )
    assert again.get("data") and again["data"]["enrolHouseholds"]["errors"] == [
        {"code": "ALREADY_ENROLLED", "field": "households"}
    ], again


def test_participation_against_the_policy_targets(world, role_users):
    result = graphql(
        role_users["town_admin"],
        """{ participation(schemeYear: 2022) { villages villagesJoined eligiblePeople enrolledPeople
             enrolledHouseholds villageShare { shareBp targetBp met } householdShareInJoined { numerator denominator shareBp met }
             byVillage { code enrolledPeople } } }""",
        town=world["town"],
    )
    found = result["data"]["participation"]
    # the monkeypatched terms are for this year; scheme year 2022 enrolments are counted by their own year
    assert found["villages"] == 2 and found["villagesJoined"] == 2
    assert found["villageShare"] == {"shareBp": 10000, "targetBp": 5000, "met": True}
