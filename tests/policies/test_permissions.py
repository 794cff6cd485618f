"""Permission matrix for every policy operation of the town schema.

Town admins (and platform staff) edit and publish; the county bureau of the town's county, the town's finance,
reviewers of firms serving the town and the town's village coordinators read; the province supervisor (aggregates
only), members, other towns, other counties, other firms and anonymous callers are refused — and nothing changes.
Each role runs inside a savepoint that is rolled back, so every allowed role starts from the same state.
"""

from __future__ import annotations

import base64

import pytest
from django.db import connection, transaction
from graphql_relay import to_global_id

from mutualaid.platform.audit.models import AuditEvent
from mutualaid.policies import actions
from mutualaid.policies.models import PolicyVersion, SchemeYear
from tests.factories import graphql
from tests.policies.conftest import EDITORS, READERS


def gid(policy) -> str:
    return to_global_id("PolicyVersion", policy.pk)


def snapshot(town) -> tuple:
    """Everything the policy operations could change, read inside the town's schema."""
    connection.set_tenant(town)
    try:
        versions = tuple(
            PolicyVersion.objects.order_by("pk").values_list(
                "pk",
                "status",
                "fee_per_person_fen",
                "funding_shares",
                "special_groups",
                "thresholds",
                "updated_at",
            )
        )
        entries = tuple(  # ordered within a version too: a join's row order is not defined
            PolicyVersion.objects.order_by("pk", "subsidy_entries__drg_code").values_list(
                "pk", "subsidy_entries__drg_code", "subsidy_entries__amount_fen"
            )
        )
        return versions, entries, SchemeYear.objects.count(), AuditEvent.objects.count()
    finally:
        connection.set_schema_to_public()


def run_matrix(people, town, call, *, allowed, succeeded):
    before = snapshot(town)  # every role starts from here: each runs in a savepoint that is rolled back
    for who, user in people.items():
        with transaction.atomic():
            response = call(user)
            after = snapshot(town)
            if who in allowed:
                assert succeeded(response), (who, response)
                assert after != before, who
            else:
                assert not succeeded(response), (who, response)
                assert after == before, who
            transaction.set_rollback(True)


def mutation_ok(name):
    def check(response):
        result = response["data"][name]
        return result["errors"] == []

    return check


def mutation_refused(response, name):
    return response["data"][name]["errors"][0]["code"] in ("PERMISSION_DENIED", "NOT_FOUND")


@pytest.fixture
def draft(people, dagong, drg_catalogue):
    connection.set_tenant(dagong)
    policy = actions.apply_preset("haian-2022", None)
    connection.set_schema_to_public()
    return policy


@pytest.fixture
def published(people, dagong, drg_catalogue):
    connection.set_tenant(dagong)
    policy = actions.apply_preset("haian-2022", None, publish=True)
    connection.set_schema_to_public()
    return policy


MUTATIONS = {
    "policyDraftCreate": (
        "mutation { policyDraftCreate(schemeYear: 2031) { policy { id } errors { code } } }",
        None,
    ),
    "policyDraftUpdate": (
        'mutation($id: ID!) { policyDraftUpdate(id: $id, input: {feePerPerson: "120"}) { errors { code } } }',
        "draft",
    ),
    "policyFundingSharesSet": (
        """mutation($id: ID!) { policyFundingSharesSet(id: $id, shares: [{source: PERSON, amount: "50"},
           {source: TOWN_FINANCE, amount: "50"}]) { errors { code } } }""",
        "draft",
    ),
    "policySpecialGroupsSet": (
        "mutation($id: ID!) { policySpecialGroupsSet(id: $id, groups: [{category: DIBAO, treatment: EXCLUDED}]) { errors { code } } }",
        "draft",
    ),
    "policyThresholdsSet": (
        """mutation($id: ID!) { policyThresholdsSet(id: $id, thresholds: [
           {insuranceType: NONE, basis: TOTAL_COST, amount: "8000"}]) { errors { code } } }""",
        "draft",
    ),
    "policySubsidyTableUpload": (
        'mutation($id: ID!) { policySubsidyTableUpload(id: $id, filename: "t.csv", contentBase64: "'
        + base64.b64encode("DRG编码,补助金额\nES31,2600\n".encode()).decode()
        + '") { errors { code } } }',
        "draft",
    ),
    "policySubsidyTableScale": (
        'mutation($id: ID!) { policySubsidyTableScale(id: $id, factor: "1.2") { errors { code } } }',
        "draft",
    ),
    "policyPublish": ("mutation($id: ID!) { policyPublish(id: $id) { errors { code } } }", "draft"),
    "policyAmend": (
        'mutation($id: ID!) { policyAmend(id: $id, effectiveFrom: "2022-09-01", reason: "调整") { errors { code } } }',
        "published",
    ),
    "policyPresetApply": ('mutation { policyPresetApply(key: "haian-2022") { errors { code } } }', None),
    "policyCopyToYear": (
        "mutation($id: ID!) { policyCopyToYear(id: $id, schemeYear: 2023) { errors { code } } }",
        "published",
    ),
}


@pytest.mark.parametrize("name", list(MUTATIONS))
def test_mutation_matrix(people, dagong, draft, name):
    query, target = MUTATIONS[name]
    if target == "published":
        connection.set_tenant(dagong)
        actions.publish(draft, None)
        connection.set_schema_to_public()
    variables = {"id": gid(draft)} if target else None

    run_matrix(
        people,
        dagong,
        lambda user: graphql(user, query, variables, town=dagong),
        allowed=EDITORS,
        succeeded=mutation_ok(name),
    )


def test_copy_from_previous_year_matrix(people, dagong, published):
    connection.set_tenant(dagong)
    draft_2023 = actions.create_draft(2023, None)
    connection.set_schema_to_public()
    query = "mutation($id: ID!) { policySubsidyTableCopyFromPreviousYear(id: $id) { errors { code } } }"

    run_matrix(
        people,
        dagong,
        lambda user: graphql(user, query, {"id": gid(draft_2023)}, town=dagong),
        allowed=EDITORS,
        succeeded=mutation_ok("policySubsidyTableCopyFromPreviousYear"),
    )


def test_refused_mutations_say_permission_denied_or_not_found(people, dagong, draft):
    for who in set(people) - EDITORS:
        response = graphql(people[who], MUTATIONS["policyPublish"][0], {"id": gid(draft)}, town=dagong)
        assert mutation_refused(response, "policyPublish"), who


def test_other_towns_admin_cannot_reach_a_policy_through_their_own_town(people, xinsheng, draft):
    """大公镇's policy ID sent to 新胜镇's endpoint names nothing there."""
    response = graphql(
        people["other_town_admin"], MUTATIONS["policyPublish"][0], {"id": gid(draft)}, town=xinsheng
    )

    assert response["data"]["policyPublish"]["errors"][0]["code"] == "NOT_FOUND"


QUERIES = {
    "schemeYears": "{ schemeYears { totalCount } }",
    "policyVersions": "{ policyVersions { totalCount } }",
    "policyVersion": "query($id: ID!) { policyVersion(id: $id) { version feePerPerson } }",
    "policyForDate": '{ policyForDate(date: "2022-08-01") { version } }',
    "policyInForce": "{ policyInForce(schemeYear: 2022) { version } }",
    "subsidyTable": "query($id: ID!) { subsidyTable(policyId: $id, first: 5) { totalCount } }",
    "subsidyCostPreview": """query($id: ID!) { subsidyCostPreview(policyId: $id, participants: 1000,
        admissions: [{drgCode: "ES31", admissionsPerThousand: "2"}]) { total } }""",
    "subsidyTableFile": "query($id: ID!) { subsidyTableFile(policyId: $id, format: CSV) { filename } }",
    "policyPresets": "{ policyPresets { key } }",
}


@pytest.mark.parametrize("name", list(QUERIES))
def test_query_matrix(people, dagong, published, name):
    variables = {"id": gid(published)} if "$id" in QUERIES[name] else None
    for who, user in people.items():
        response = graphql(user, QUERIES[name], variables, town=dagong)
        value = (response.get("data") or {}).get(name)
        if who in READERS:
            assert "errors" not in response and value, (who, response)
        else:
            assert value is None and response["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", (
                who,
                response,
            )


def test_nested_policy_types_show_nothing_to_refused_users(people, dagong, published):
    """Types guard their own querysets too, in case another field ever exposes them."""
    from mutualaid.graphql.policies.schema import PolicyVersionType

    class Info:
        class context:
            user = people["province_supervisor"]
            tenant = dagong

    connection.set_tenant(dagong)
    try:
        assert not PolicyVersionType.get_queryset(PolicyVersion.objects.all(), Info).exists()
        Info.context.user = people["town_finance"]
        assert PolicyVersionType.get_queryset(PolicyVersion.objects.all(), Info).exists()
    finally:
        connection.set_schema_to_public()


def test_amend_refuses_a_draft_and_publish_refuses_a_published_version(people, dagong, draft):
    admin = people["town_admin"]
    amend = graphql(admin, MUTATIONS["policyAmend"][0], {"id": gid(draft)}, town=dagong)["data"][
        "policyAmend"
    ]

    assert amend["errors"] == [{"code": "NOT_PUBLISHED"}]
