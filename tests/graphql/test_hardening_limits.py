"""Query cost (issue 22, item 3): depth, alias and cost limits refuse a request before it runs, with typed
errors; unmasked personal data has a per-user budget per time window, counted in the audit log, and a read
over budget is refused and flagged there."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime

import pytest
from django.db import connection
from django.test import override_settings

from mutualaid.enrolment.actions import seal_id_number, seal_phone
from mutualaid.enrolment.models import Household, Member, Village
from mutualaid.platform import idnumbers
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.audit.models import AuditEvent
from mutualaid.platform.audit.personal_data import values_read
from tests.factories import graphql, make_user

_sequence = itertools.count(7001)


def _codes(result) -> list[str]:
    return [error["extensions"]["code"] for error in result.get("errors", [])]


@pytest.fixture
def town_admin(dagong):
    return make_user(Role.TOWN_ADMIN, town=dagong)


@pytest.fixture
def members(dagong):
    """Four members of one household in 大公镇."""
    connection.set_tenant(dagong)
    try:
        village, _ = Village.objects.get_or_create(
            code="320685107288",
            defaults={"name": "限额村", "joined": True, "resolution_date": date(2022, 5, 1)},
        )
        household = Household.objects.create(number=f"L{next(_sequence)}", village=village)
        made = []
        for i in range(4):
            number = idnumbers.make("320685", date(1980, 1, 1 + i), next(_sequence))
            encrypted, id_hash, masked = seal_id_number(number)
            phone_encrypted, phone_hash, phone_masked = seal_phone("13912345678")
            parsed = idnumbers.parse(number)
            made.append(
                Member.objects.create(
                    household=household,
                    name=f"王{i}",
                    id_number_encrypted=encrypted,
                    id_hash=id_hash,
                    id_masked=masked,
                    sex=parsed.sex,
                    birth_date=parsed.birth_date,
                    relation="head" if i == 0 else "child",
                    phone_encrypted=phone_encrypted,
                    phone_hash=phone_hash,
                    phone_masked=phone_masked,
                    insurance_type="resident",
                    hardship_categories=[],
                    registered_on=date(2010, 1, 1),
                    status="active",
                )
            )
        return made
    finally:
        connection.set_schema_to_public()


# --- depth, aliases, cost --------------------------------------------------------------------------------------


def test_three_hundred_aliases_of_one_field_are_refused_before_running(dagong, town_admin):
    query = "{ " + " ".join(f"p{i}: participation(schemeYear: 2022) {{ members }}" for i in range(300)) + " }"
    result = graphql(town_admin, query, town=dagong)
    assert "TOO_MANY_ALIASES" in _codes(result)
    assert "data" not in result


def test_two_hundred_aliases_of_a_page_of_id_numbers_are_refused(dagong, town_admin):
    query = (
        "{ "
        + " ".join(
            f"m{i}: members(first: 100) {{ edges {{ node {{ idNumber phone }} }} }}" for i in range(200)
        )
        + " }"
    )
    result = graphql(town_admin, query, town=dagong)
    assert {"TOO_MANY_ALIASES", "QUERY_TOO_COSTLY"} <= set(_codes(result))


def test_a_costly_query_within_the_alias_limit_is_refused(dagong, town_admin):
    households = "households(first: 100) { edges { node { number members { name idNumber phone } } } }"
    query = "{ " + " ".join(f"h{i}: {households}" for i in range(20)) + " }"
    result = graphql(town_admin, query, town=dagong)
    assert _codes(result) == ["QUERY_TOO_COSTLY"]


def test_depth_is_limited_on_the_platform_schema(db):
    staff = make_user(is_staff=True)
    query = "{ towns(first: 1) { edges { node { county { code } } } } }"  # depth 5
    with override_settings(GRAPHQL_MAX_DEPTH=4):
        result = graphql(staff, query)
    assert _codes(result) == ["QUERY_TOO_DEEP"]
    with override_settings(GRAPHQL_MAX_DEPTH=5):
        assert "errors" not in graphql(staff, query)


def test_fragments_count_where_they_are_spread(db):
    staff = make_user(is_staff=True)
    query = """
        query { ...A ...A2 }
        fragment A on PlatformQuery { a1: baseDomain a2: baseDomain }
        fragment A2 on PlatformQuery { a3: baseDomain }
    """
    with override_settings(GRAPHQL_MAX_ALIASES=2):
        result = graphql(staff, query)
    assert _codes(result) == ["TOO_MANY_ALIASES"]


def test_introspection_and_ordinary_queries_pass_the_defaults(dagong, town_admin):
    from graphql import get_introspection_query

    assert "errors" not in graphql(town_admin, get_introspection_query(descriptions=True), town=dagong)
    query = "{ members(first: 100) { totalCount edges { node { name idNumber phone villageCode } } } }"
    assert "errors" not in graphql(town_admin, query, town=dagong)


# --- the personal data budget -----------------------------------------------------------------------------------


QUERY = "{ members(first: 10) { edges { node { name idNumber phone } } } }"


def _events(town, action):
    connection.set_tenant(town)
    try:
        return list(AuditEvent.objects.filter(action=action).order_by("id"))
    finally:
        connection.set_schema_to_public()


def test_unmasked_reads_are_counted_and_refused_over_budget_and_flagged(dagong, town_admin, members):
    with override_settings(PERSONAL_DATA_READ_BUDGET=10, PERSONAL_DATA_READ_WINDOW_SECONDS=3600):
        first = graphql(town_admin, QUERY, town=dagong)  # 4 members × 2 fields = 8 values
        assert "errors" not in first, first
        shown = [edge["node"]["idNumber"] for edge in first["data"]["members"]["edges"]]
        assert all(len(number) == 18 and "*" not in number for number in shown)
        connection.set_tenant(dagong)
        assert values_read(town_admin) == 8
        connection.set_schema_to_public()

        second = graphql(town_admin, QUERY, town=dagong)  # 8 more would make 16 > 10

    assert set(_codes(second)) == {"PERSONAL_DATA_BUDGET_EXCEEDED"}
    nodes = [edge["node"] for edge in second["data"]["members"]["edges"]]
    assert all(node["idNumber"] is None and node["phone"] is None for node in nodes)
    assert [node["name"] for node in nodes]  # the rest of the answer is still there
    flags = _events(dagong, "personal_data.budget_exceeded")
    assert len(flags) == 1
    assert flags[0].actor_id == town_admin.pk
    assert flags[0].data["requested"] == 8 and flags[0].data["used"] == 8 and flags[0].data["budget"] == 10
    # the refused read showed nothing, so it is not counted as read
    assert len(_events(dagong, "enrolment.personal_data.read")) == 1


def test_the_budget_is_per_user(dagong, town_admin, members):
    other_admin = make_user(Role.TOWN_ADMIN, town=dagong)
    with override_settings(PERSONAL_DATA_READ_BUDGET=8):
        assert "errors" not in graphql(town_admin, QUERY, town=dagong)
        assert "errors" not in graphql(other_admin, QUERY, town=dagong)
        assert _codes(graphql(town_admin, QUERY, town=dagong)) == ["PERSONAL_DATA_BUDGET_EXCEEDED"] * 8


def test_reads_older_than_the_window_do_not_count(dagong, town_admin, members):
    with override_settings(PERSONAL_DATA_READ_BUDGET=8):
        assert "errors" not in graphql(town_admin, QUERY, town=dagong)
        connection.set_tenant(dagong)
        AuditEvent.objects.filter(action="enrolment.personal_data.read").update(
            at=datetime(2020, 1, 1, tzinfo=UTC)
        )
        connection.set_schema_to_public()
        assert "errors" not in graphql(town_admin, QUERY, town=dagong)


def test_masked_values_cost_nothing(dagong, members):
    reviewer_like = make_user(Role.TOWN_FINANCE, town=dagong)
    with override_settings(PERSONAL_DATA_READ_BUDGET=0):
        result = graphql(reviewer_like, "{ members(first: 10) { edges { node { name } } } }", town=dagong)
    assert "PERSONAL_DATA_BUDGET_EXCEEDED" not in _codes(result)
