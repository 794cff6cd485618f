"""The fuzzer's findings (issue 22, item 13): each is a typed error (``extensions.code``), never a raw Python
message, on every connection and every string argument of both schemas."""

from __future__ import annotations

import pytest

from mutualaid.platform.accounts.roles import Role
from tests.factories import graphql, make_user


def _codes(result) -> list[str]:
    return [error.get("extensions", {}).get("code") for error in result.get("errors", [])]


@pytest.fixture
def staff(db):
    return make_user(is_staff=True)


@pytest.fixture
def town_admin(dagong):
    return make_user(Role.TOWN_ADMIN, town=dagong)


# --- connections ---------------------------------------------------------------------------------------------


def test_offset_with_a_bad_after_cursor(staff, towns):
    result = graphql(staff, '{ towns(offset: 5, after: "abc") { totalCount } }')
    assert _codes(result) == ["INVALID_PAGINATION"]
    assert "NoneType" not in str(result)


def test_offset_with_a_good_after_cursor_still_pages(staff, towns):
    first = graphql(staff, "{ towns(first: 1) { edges { cursor node { code } } } }")
    cursor = first["data"]["towns"]["edges"][0]["cursor"]
    result = graphql(staff, f'{{ towns(offset: 1, after: "{cursor}") {{ edges {{ node {{ code }} }} }} }}')
    assert "errors" not in result
    assert len(result["data"]["towns"]["edges"]) == len(towns) - 2  # after the first, skipping one more


@pytest.mark.parametrize("argument", ["offset: -1, first: 5", "first: -1", "last: -3", "first: 101"])
def test_negative_or_oversized_pages_on_the_town_schema(dagong, town_admin, argument):
    result = graphql(town_admin, f"{{ members({argument}) {{ totalCount }} }}", town=dagong)
    assert _codes(result) == ["INVALID_PAGINATION"]
    assert "Negative indexing" not in str(result)


@pytest.mark.parametrize("argument", ["offset: -1", "first: -2", 'before: "x", offset: 2', 'before: "!!"'])
def test_every_connection_of_the_platform_schema_checks_its_arguments(staff, towns, argument):
    for field in ("towns", "serviceFirms", "drgCatalogueVersions"):
        result = graphql(staff, f"{{ {field}({argument}) {{ totalCount }} }}")
        assert _codes(result) == ["INVALID_PAGINATION"], (field, result)


def test_pagination_arguments_in_variables_are_checked_too(dagong, town_admin):
    query = "query($n: Int) { members(first: $n) { totalCount } }"
    result = graphql(town_admin, query, {"n": -1}, town=dagong)
    assert _codes(result) == ["INVALID_PAGINATION"]


# --- NUL and surrogates in any string argument -----------------------------------------------------------------


def test_nul_in_a_query_argument_literal(staff, towns):
    result = graphql(staff, '{ town(code: "3206\\u0000") { name } }')
    assert _codes(result) == ["INVALID_INPUT"]
    assert "NUL (0x00)" not in str(result)


def test_nul_in_search_and_filter_arguments(dagong, town_admin):
    result = graphql(town_admin, '{ households(number: "H\\u0000") { totalCount } }', town=dagong)
    assert _codes(result) == ["INVALID_INPUT"]


def test_nul_in_a_mutation_variable(dagong, town_admin):
    query = 'mutation($n: String!) { createHousehold(villageCode: "320685107201", number: $n) { errors { code } } }'
    result = graphql(town_admin, query, {"n": "H1\x00"}, town=dagong)
    assert _codes(result) == ["INVALID_INPUT"]


def test_a_lone_surrogate_in_an_input_object(staff, towns):
    query = "mutation($i: UserInviteInput!) { userInvite(input: $i) { errors { code } } }"
    result = graphql(
        staff, query, {"i": {"phone": "13800001111", "role": "TOWN_ADMIN", "displayName": "\ud800"}}
    )
    assert _codes(result) == ["INVALID_INPUT"]


# --- explicit null for a defaulted argument, required input fields, node ids -------------------------------------


def test_null_for_an_argument_with_a_default_means_the_default(dagong, town_admin):
    given_null = graphql(
        town_admin,
        "{ fundTrialBalance(schemeYear: 2022, beforeClosing: null) { beforeClosing } }",
        town=dagong,
    )
    omitted = graphql(town_admin, "{ fundTrialBalance(schemeYear: 2022) { beforeClosing } }", town=dagong)
    assert given_null == omitted
    assert given_null.get("data") is not None
    assert "INTERNAL_ERROR" not in _codes(given_null)


def test_a_required_input_field_left_out_is_a_typed_error(staff, towns):
    result = graphql(staff, 'mutation { userInvite(input: {phone: "13800001111"}) { errors { code } } }')
    assert _codes(result) in (["INVALID_INPUT"], ["GRAPHQL_VALIDATION_FAILED"])


@pytest.mark.parametrize("global_id", ["", "þ", "Zm9v", "VG93bjp4", "Tm9wZTox"])
def test_node_with_an_id_that_is_not_ours_is_not_found(staff, towns, global_id):
    result = graphql(staff, f'{{ node(id: "{global_id}") {{ id }} }}')
    assert _codes(result) == ["NOT_FOUND"]
    assert "Unable to parse" not in str(result)


def test_errors_of_the_document_itself_are_coded(staff):
    assert _codes(graphql(staff, "{ towns { nope } }")) == ["GRAPHQL_VALIDATION_FAILED"]
    assert _codes(graphql(staff, "{ towns ")) == ["GRAPHQL_PARSE_FAILED"]


def test_a_refused_mutation_keeps_its_errors_when_it_declares_required_lists(dagong, town_admin):
    result = graphql(
        town_admin,
        'mutation { approveClaims(ids: ["nope"]) { claims { id } leftInReview { id } errors { code } } }',
        town=dagong,
    )
    assert "errors" not in result, result
    payload = result["data"]["approveClaims"]
    assert payload["errors"] and payload["claims"] == [] and payload["leftInReview"] == []
