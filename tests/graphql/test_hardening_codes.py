"""One spelling of error codes (issue 22, item 15): the same condition answers the same code in the mutation
errors (enum NAMEs, upper-case, as graphene emits them) and in string codes such as ``publishingIssues``."""

from __future__ import annotations

from django.db import connection
from graphql_relay import to_global_id

from mutualaid.platform.accounts.roles import Role
from mutualaid.policies import actions
from tests.factories import graphql, make_user


def test_publishing_issues_and_policy_publish_spell_codes_alike(dagong):
    connection.set_tenant(dagong)
    draft = actions.create_draft(2031, None)  # empty: every required parameter is missing
    connection.set_schema_to_public()
    admin = make_user(Role.TOWN_ADMIN, town=dagong)
    policy_id = to_global_id("PolicyVersion", draft.pk)

    found = graphql(
        admin,
        "query($id: ID!) { policyVersion(id: $id) { publishingIssues { field code } } }",
        {"id": policy_id},
        town=dagong,
    )["data"]["policyVersion"]["publishingIssues"]
    published = graphql(
        admin,
        "mutation($id: ID!) { policyPublish(id: $id) { errors { field code } } }",
        {"id": policy_id},
        town=dagong,
    )["data"]["policyPublish"]["errors"]

    assert found, "an empty draft has publishing issues"
    assert "REQUIRED" in {issue["code"] for issue in found}
    assert all(issue["code"] == issue["code"].upper() for issue in found)
    assert {(i["field"], i["code"]) for i in found} == {(e["field"], e["code"]) for e in published}
