"""Every payout operation refuses the roles it does not name (typed PERMISSION_DENIED or a GraphQL permission
error, nothing written) and lets the roles it names through the permission check."""

from __future__ import annotations

import pytest
from graphql_relay import to_global_id

from mutualaid.payouts import actions
from tests.payouts.conftest import APRIL
from tests.payouts.test_graphql import call, snapshot

ROLES = ("town_admin", "town_finance", "coordinator", "reviewer", "member", "other_town_admin", "anonymous")
ADMIN = {"town_admin"}
FINANCE = {"town_finance"}


def _ids(town, users, claims):
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    line = batch.lines.order_by("pk").first()
    return {
        "batch": to_global_id("PayoutBatch", f"{town.code}:{batch.pk}"),
        "line": to_global_id("PayoutLine", f"{town.code}:{line.pk}"),
        "claim": to_global_id("Claim", claims["head"].pk),
        "recovery": to_global_id("Recovery", f"{town.code}:1"),
    }


MUTATIONS = [
    ("removePayoutLine", "mutation($line: ID!) { removePayoutLine(id: $line, reason: \"核实\") { errors { code } } }", ADMIN),
    ("reversePayoutLine", "mutation($line: ID!) { reversePayoutLine(id: $line, reason: \"撤回\") { errors { code } } }", FINANCE),
    ("recoverClaim", "mutation($claim: ID!) { recoverClaim(claimId: $claim, finding: \"伪造\") { errors { code } } }", ADMIN),
    (
        "recordRecoveryRepayment",
        "mutation($recovery: ID!) { recordRecoveryRepayment(id: $recovery, amount: \"1.00\", paidOn: \"2023-04-01\") { errors { code } } }",
        FINANCE,
    ),
    (
        "requestRecoveryWriteOff",
        "mutation($recovery: ID!) { requestRecoveryWriteOff(id: $recovery, reason: \"无力偿还\") { errors { code } } }",
        ADMIN,
    ),
    (
        "bookBankStatementLine",
        "mutation { bookBankStatementLine(month: \"2023-04-01\", row: 2, schemeYear: 2022, reason: \"利息\") { errors { code } } }",
        FINANCE,
    ),
    ("approveRecoveryWriteOff", "mutation($recovery: ID!) { approveRecoveryWriteOff(id: $recovery) { errors { code } } }", FINANCE),
]  # fmt: skip

QUERIES = [
    ("recoveries", "{ recoveries { amount } }", {"town_admin", "town_finance"}),
    ("townNotices", "{ townNotices { title } }", {"town_admin", "town_finance"}),
    ("bankReconciliations", "{ bankReconciliations { difference } }", FINANCE),
    (
        "payoutBatch",
        "query($batch: ID!) { payoutBatch(id: $batch) { state } }",
        {"town_admin", "town_finance"},
    ),
]


@pytest.mark.parametrize("name, query, allowed", MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_mutation_matrix(name, query, allowed, claims, users, scheme):
    town = scheme.town
    ids = _ids(town, users, claims)
    variables = {key: ids[key] for key in ("batch", "line", "claim", "recovery") if f"${key}" in query}
    for role in ROLES:
        before = snapshot(town)
        result = call(users, role, town, query, variables)
        assert "errors" not in result, (role, result)
        errors = result["data"][name]["errors"]
        denied = bool(errors) and errors[0]["code"] == "PERMISSION_DENIED"
        if role in allowed:
            assert not denied, (role, errors)
        else:
            assert denied, (role, errors)
            assert snapshot(town) == before, role


@pytest.mark.parametrize("name, query, allowed", QUERIES, ids=[q[0] for q in QUERIES])
def test_query_matrix(name, query, allowed, claims, users, scheme):
    town = scheme.town
    ids = _ids(town, users, claims)
    variables = {"batch": ids["batch"]} if "$batch" in query else None
    for role in ROLES:
        result = call(users, role, town, query, variables)
        if role in allowed:
            assert "errors" not in result, (role, result)
        else:
            assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", role


def test_import_and_reconcile_uploads_are_finance_only(claims, users, scheme):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    town = scheme.town
    ids = _ids(town, users, claims)
    uploads = [
        ("importPayoutReturn", "mutation($id: ID!, $file: Upload!) { importPayoutReturn(id: $id, file: $file) { errors { code } } }", {"id": ids["batch"]}),
        ("reconcileBankStatement", "mutation($file: Upload!) { reconcileBankStatement(month: \"2023-04-01\", file: $file) { errors { code } } }", {}),
    ]  # fmt: skip
    for name, query, variables in uploads:
        for role in ROLES:
            before = snapshot(town)
            client = Client()
            if users[role] is not None:
                client.force_login(users[role])
            operations = {"query": query, "variables": {**variables, "file": None}}
            response = client.post(
                f"/t/{town.code}/graphql/",
                {
                    "operations": json.dumps(operations),
                    "map": json.dumps({"0": ["variables.file"]}),
                    "0": SimpleUploadedFile("f.csv", "交易日期,交易金额\n".encode()),
                },
            )
            errors = response.json()["data"][name]["errors"]
            denied = bool(errors) and errors[0]["code"] == "PERMISSION_DENIED"
            assert denied == (role != "town_finance"), (name, role, errors)
            if denied:
                assert snapshot(town) == before, (name, role)
