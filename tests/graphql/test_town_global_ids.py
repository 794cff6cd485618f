"""Global IDs of town objects carry their town (issue 22 item 11): the same row number in two towns gives two
IDs, and an ID handed out by one town's endpoint is NOT_FOUND on another's — for a firm reviewer who works both
towns, through the IDs queries and mutations take (``pk_from_global_id``). The SDL's interface is still ``Node``."""

from __future__ import annotations

from django.db import connection
from graphql_relay import from_global_id

from mutualaid.graphql.core.mutations import NotFound, pk_from_global_id
from mutualaid.graphql.sdl import SDL_DIR
from mutualaid.platform.accounts.roles import Role
from mutualaid.tenants.models import ServiceFirm
from tests.enrolment.conftest import build  # noqa: F401 - a fixture
from tests.factories import graphql, make_user

HOUSEHOLDS = "{ households(first: 10) { edges { node { id number } } } }"


def _household_ids(user, town) -> dict[str, str]:
    result = graphql(user, HOUSEHOLDS, town=town)
    assert "errors" not in result, result
    return {e["node"]["number"]: e["node"]["id"] for e in result["data"]["households"]["edges"]}


def _village_ids(user, town) -> dict[str, str]:
    result = graphql(user, "{ villages(first: 50) { edges { node { id name } } } }", town=town)
    assert "errors" not in result, result
    return {e["node"]["name"]: e["node"]["id"] for e in result["data"]["villages"]["edges"]}


def test_a_firm_reviewer_on_two_towns_never_reaches_the_other_towns_row(dagong, yazhou, build):  # noqa: F811
    firm = ServiceFirm.objects.create(name="两镇服务机构")
    firm.towns.add(dagong, yazhou)
    reviewer = make_user(Role.FIRM_REVIEWER, firm=firm)
    for town, name in ((dagong, "大公甲村"), (yazhou, "雅周甲村")):
        connection.set_tenant(town)
        build.village(f"{town.code}901", name=name)
        connection.set_schema_to_public()

    dagong_id = _village_ids(reviewer, dagong)["大公甲村"]
    yazhou_id = _village_ids(reviewer, yazhou)["雅周甲村"]
    assert from_global_id(dagong_id)[1].startswith(f"{dagong.code}:")
    assert from_global_id(yazhou_id)[1].startswith(f"{yazhou.code}:")

    connection.set_tenant(yazhou)
    try:
        try:
            pk_from_global_id(dagong_id, "Village", "villageId")
        except NotFound:
            pass
        else:
            raise AssertionError("another town's ID was accepted")
        assert pk_from_global_id(yazhou_id, "Village", "villageId") > 0
    finally:
        connection.set_schema_to_public()


def test_a_town_admins_mutation_refuses_another_towns_id(dagong, yazhou, build):  # noqa: F811
    admin = make_user(Role.TOWN_ADMIN, town=yazhou)
    connection.set_tenant(dagong)
    build.household(build.village(), number="DG-2")
    connection.set_schema_to_public()
    dagong_admin = make_user(Role.TOWN_ADMIN, town=dagong)
    dagong_id = _household_ids(dagong_admin, dagong)["DG-2"]
    result = graphql(
        admin,
        "mutation($ids: [ID!]!) { enrolHouseholds(householdIds: $ids, schemeYear: 2022) { errors { field code } } }",
        {"ids": [dagong_id]},
        town=yazhou,
    )
    assert result["data"]["enrolHouseholds"]["errors"] == [{"field": "householdIds", "code": "NOT_FOUND"}]


def test_the_committed_sdl_keeps_the_node_interface():
    for name in ("platform", "town"):
        sdl = (SDL_DIR / f"{name}.graphql").read_text()
        assert "interface Node {" in sdl and "implements Node" in sdl
