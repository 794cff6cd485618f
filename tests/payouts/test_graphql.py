"""The payouts API: a permission matrix for every operation (town admin prepares; finance approves, exports and
records returns; coordinators see their own village; reviewers, members, other towns and anonymous see no
batches and change nothing), typed errors for bad input, and the download view."""

from __future__ import annotations

import json

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from graphql_relay import to_global_id

from mutualaid.claims.models import Claim
from mutualaid.funds.models import JournalEntry
from mutualaid.payouts import actions, bank_return, rules
from mutualaid.payouts.models import PayoutBatch, PayoutLine
from mutualaid.platform.audit.models import AuditEvent
from tests.claims.conftest import OTHER_VILLAGE, VILLAGE
from tests.factories import graphql
from tests.payouts.conftest import APRIL

DENIED_BATCHES = ("coordinator", "reviewer", "member", "other_town_admin", "anonymous")
BATCH_FIELDS = "batch { id state total lineCount files { name url } }"
FINANCE_ONLY = ("town_admin", *DENIED_BATCHES)


def gid(info_town, batch) -> str:
    return to_global_id("PayoutBatch", f"{info_town.code}:{batch.pk}")


def line_gid(town, line) -> str:
    return to_global_id("PayoutLine", f"{town.code}:{line.pk}")


def snapshot(town):
    connection.set_tenant(town)
    return (
        list(PayoutBatch.objects.order_by("pk").values_list("state", "total_fen", "export_count")),
        list(PayoutLine.objects.order_by("pk").values_list("state", "amount_fen")),
        list(Claim.objects.order_by("pk").values_list("state")),
        JournalEntry.objects.count(),
    )


def call(users, role, town, query, variables=None):
    result = graphql(users[role], query, variables, town=town)
    connection.set_tenant(town)
    return result


def mutation_error(result, name):
    assert "errors" not in result, result
    errors = result["data"][name]["errors"]
    return errors[0]["code"].lower() if errors else None


PREPARE = f"mutation($m: Date) {{ preparePayoutBatch(month: $m) {{ created {BATCH_FIELDS} errors {{ field code message }} }} }}"
APPROVE = f"mutation($id: ID!) {{ approvePayoutBatch(id: $id) {{ {BATCH_FIELDS} errors {{ field code message }} }} }}"
EXPORT = (
    "mutation($id: ID!, $f: PayoutFileFormat!) { exportPayoutBatch(id: $id, format: $f) { "
    f"{BATCH_FIELDS} file {{ fileName contentBase64 }} errors {{ field code message }} }} }}"
)
MARK = (
    "mutation($id: ID!, $lines: [PayoutLineResultInput!]!) { markPayoutLines(id: $id, lines: $lines) { "
    f"{BATCH_FIELDS} errors {{ field code message }} }} }}"
)
REMOVE = "mutation($id: ID!, $r: String!) { removePayoutLine(id: $id, reason: $r) { line { state } errors { code } } }"
BATCHES = "{ payoutBatches { id month state total lines { payeeName bankCardMasked amount state } } }"
VILLAGE_VIEW = (
    "query($v: String!) { villagePayouts(villageCode: $v) { memberName amount status batchMonth } }"
)


def test_prepare_and_approve_matrix(claims, users, scheme):
    town = scheme.town
    before = snapshot(town)
    for role in ("town_finance", *DENIED_BATCHES):
        assert mutation_error(
            call(users, role, town, PREPARE, {"m": "2023-04-01"}), "preparePayoutBatch"
        ) == ("permission_denied"), role
    assert snapshot(town) == before
    result = call(users, "town_admin", town, PREPARE, {"m": "2023-04-01"})
    assert mutation_error(result, "preparePayoutBatch") is None
    data = result["data"]["preparePayoutBatch"]
    assert data["created"] and data["batch"]["total"] == "10000.00" and data["batch"]["lineCount"] == 3
    again = call(users, "town_admin", town, PREPARE, {"m": "2023-04-15"})["data"]["preparePayoutBatch"]
    assert again["created"] is False and again["batch"]["id"] == data["batch"]["id"]
    batch_id = data["batch"]["id"]

    before = snapshot(town)
    for role in FINANCE_ONLY:
        code = mutation_error(call(users, role, town, APPROVE, {"id": batch_id}), "approvePayoutBatch")
        assert code in ("permission_denied", "same_person"), role
    assert snapshot(town) == before
    # the preparer may not approve even holding the finance role too
    from mutualaid.platform.accounts.models import RoleAssignment

    RoleAssignment.objects.create(user=users["town_admin"], role="town_finance", town=town)
    assert mutation_error(
        call(users, "town_admin", town, APPROVE, {"id": batch_id}), "approvePayoutBatch"
    ) == ("same_person")
    result = call(users, "town_finance", town, APPROVE, {"id": batch_id})
    assert result["data"]["approvePayoutBatch"]["batch"]["state"] == "APPROVED"


def test_export_and_mark_matrix_and_bad_input(claims, users, scheme):
    town = scheme.town
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    batch_id = gid(town, batch)
    # exporting an unapproved batch
    result = call(users, "town_finance", town, EXPORT, {"id": batch_id, "f": "CSV"})
    assert mutation_error(result, "exportPayoutBatch") == "not_approved"
    actions.approve_batch(batch, actor=users["town_finance"])
    before = snapshot(town)
    for role in FINANCE_ONLY:
        result = call(users, role, town, EXPORT, {"id": batch_id, "f": "CSV"})
        assert mutation_error(result, "exportPayoutBatch") == "permission_denied", role
    assert snapshot(town) == before
    # another town's batch id: not found, nothing written
    other = to_global_id("PayoutBatch", f"320685101:{batch.pk}")
    assert mutation_error(
        call(users, "town_finance", town, EXPORT, {"id": other, "f": "CSV"}), "exportPayoutBatch"
    ) == ("not_found")
    assert snapshot(town) == before
    result = call(users, "town_finance", town, EXPORT, {"id": batch_id, "f": "XLSX"})
    assert result["data"]["exportPayoutBatch"]["batch"]["state"] == "EXPORTED"
    assert result["data"]["exportPayoutBatch"]["file"]["fileName"].endswith(".xlsx")

    lines = list(PayoutLine.objects.filter(batch=batch).order_by("pk"))
    marks = [{"lineId": line_gid(town, line), "paid": True} for line in lines]
    before = snapshot(town)
    for role in FINANCE_ONLY:
        assert mutation_error(
            call(users, role, town, MARK, {"id": batch_id, "lines": marks}), "markPayoutLines"
        ) == ("permission_denied"), role
    bad = [
        ([*marks, marks[0]], "duplicate_line"),
        ([{"lineId": to_global_id("PayoutLine", f"{town.code}:999999"), "paid": True}], "unknown_line"),
        ([{"lineId": marks[0]["lineId"], "paid": False}], "reason_required"),
    ]
    for value, code in bad:
        assert (
            mutation_error(
                call(users, "town_finance", town, MARK, {"id": batch_id, "lines": value}), "markPayoutLines"
            )
            == code
        )
    assert snapshot(town) == before
    result = call(users, "town_finance", town, MARK, {"id": batch_id, "lines": marks})
    assert result["data"]["markPayoutLines"]["batch"]["state"] == "SETTLED"


def test_import_return_file_through_the_api(claims, users, scheme):
    town = scheme.town
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    lines = list(batch.lines.order_by("pk"))
    rows = ["流水号,户名,金额,状态,失败原因"] + [
        f"{rules.line_reference(batch.month, line.pk)},{line.payee_name},{rules.yuan_text(line.amount_fen)},"
        + ("失败,账户冻结" if i == 0 else "成功,")
        for i, line in enumerate(lines)
    ]
    query = (
        "mutation($id: ID!, $file: Upload!) { importPayoutReturn(id: $id, file: $file) { "
        "batch { state lines(state: RETURNED) { returnReason } } errors { field code message } } }"
    )
    client = Client()
    client.force_login(users["town_finance"])
    operations = {"query": query, "variables": {"id": gid(town, batch), "file": None}}
    response = client.post(
        f"/t/{town.code}/graphql/",
        {
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.file"]}),
            "0": SimpleUploadedFile("回盘.csv", "\n".join(rows).encode("utf-8")),
        },
    )
    data = response.json()["data"]["importPayoutReturn"]
    assert data["errors"] == []
    assert data["batch"]["state"] == "SETTLED"
    assert data["batch"]["lines"] == [{"returnReason": "账户冻结"}]


def test_who_sees_batches_and_village_payouts(claims, users, scheme):
    town = scheme.town
    actions.gather_batch(APRIL, actor=users["town_admin"])
    for role in ("town_admin", "town_finance"):
        result = call(users, role, town, BATCHES)
        assert len(result["data"]["payoutBatches"]) == 1, role
        cards = [line["bankCardMasked"] for line in result["data"]["payoutBatches"][0]["lines"]]
        assert all("*" in card for card in cards)
    for role in DENIED_BATCHES:
        result = call(users, role, town, BATCHES)
        assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", role
    seen = call(users, "coordinator", town, VILLAGE_VIEW, {"v": VILLAGE})["data"]["villagePayouts"]
    assert {row["memberName"] for row in seen} == {"王大山", "李小红", "钱五"}
    assert {row["status"] for row in seen} == {"pending"}
    for role in ("other_coordinator", "reviewer", "member", "other_town_admin", "anonymous"):
        result = call(users, role, town, VILLAGE_VIEW, {"v": VILLAGE})
        assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED", role
    other = call(users, "other_coordinator", town, VILLAGE_VIEW, {"v": OTHER_VILLAGE})["data"][
        "villagePayouts"
    ]
    assert [row["memberName"] for row in other] == ["赵四"]
    masked = call(users, "town_finance", town, VILLAGE_VIEW, {"v": OTHER_VILLAGE})["data"]["villagePayouts"]
    assert masked[0]["memberName"] != "赵四" and masked[0]["memberName"].startswith("赵")  # finance: masked


def test_printout_downloads_are_checked_and_audited(claims, users, scheme):
    town = scheme.town
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    url = f"/t/{town.code}/payouts/{batch.pk}/summary.xlsx"
    for role, status in (("anonymous", 401), ("coordinator", 403), ("reviewer", 403), ("member", 403),
                         ("other_town_admin", 403)):  # fmt: skip
        client = Client()
        if users[role] is not None:
            client.force_login(users[role])
        assert client.get(url).status_code == status, role
    client = Client()
    client.force_login(users["town_finance"])
    response = client.get(url)
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert client.get(f"/t/{town.code}/payouts/{batch.pk}/bank.csv").status_code == 409  # not exported yet
    connection.set_tenant(town)
    assert AuditEvent.objects.filter(action="payouts.printout").count() == 1


def _batches_queries(user, town) -> tuple[int, int]:
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    query = "{ payoutBatches { month lines(first: 2) { payeeName } postings { voucher } files { name } } }"
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/t/{town.code}/graphql/", json.dumps({"query": query}), content_type="application/json"
        )
    data = response.json()
    assert "errors" not in data, data
    connection.set_tenant(town)
    return len(captured), len(data["data"]["payoutBatches"])


def test_the_batch_list_costs_the_same_queries_for_one_and_two_batches(claims, users, scheme, april):
    from datetime import datetime

    from tests.claims.conftest import SHANGHAI

    town = scheme.town
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    one, count = _batches_queries(users["town_finance"], town)
    assert count == 1
    april.set(datetime(2023, 5, 1, 9, 0, tzinfo=SHANGHAI))
    actions.gather_batch(None, actor=users["town_admin"])
    two, count = _batches_queries(users["town_finance"], town)
    assert count == 2 and two == one


RECOVER = (
    'mutation($c: ID!) { recoverClaim(claimId: $c, finding: "伪造住院费用清单") { '
    "recovery { id outstanding voucher } errors { field code } } }"
)
REPAY = (
    'mutation($id: ID!, $a: String!) { recordRecoveryRepayment(id: $id, amount: $a, paidOn: "2023-04-01") { '
    "recovery { outstanding repaid state } errors { field code } } }"
)


def test_recovery_through_the_api_books_the_receivable(claims, users, scheme):
    from mutualaid.funds.chart import MEMBER_RECEIVABLE
    from mutualaid.funds.ledger import balance_of

    town = scheme.town
    batch, _ = actions.gather_batch(APRIL, actor=users["town_admin"])
    actions.approve_batch(batch, actor=users["town_finance"])
    actions.export_batch(batch, fmt="csv", actor=users["town_finance"])
    bank_return.mark_lines(
        batch, [(line.pk, True, "") for line in batch.lines.all()], actor=users["town_finance"]
    )
    claim_id = to_global_id("Claim", f"{town.code}:{claims['head'].pk}")
    recovered = call(users, "town_admin", town, RECOVER, {"c": claim_id})["data"]["recoverClaim"]
    assert recovered["errors"] == [] and recovered["recovery"]["outstanding"] == "5000.00"
    assert recovered["recovery"]["voucher"].startswith("记-2022-")
    assert balance_of(2022, MEMBER_RECEIVABLE) == 500_000
    rid = recovered["recovery"]["id"]
    too_much = call(users, "town_finance", town, REPAY, {"id": rid, "a": "5000.01"})["data"]
    assert too_much["recordRecoveryRepayment"]["errors"] == [{"field": "amount", "code": "EXCEEDS_BALANCE"}]
    repaid = call(users, "town_finance", town, REPAY, {"id": rid, "a": "5000.00"})["data"]
    assert repaid["recordRecoveryRepayment"]["recovery"] == {"outstanding": "0.00", "repaid": "5000.00",
                                                             "state": "SETTLED"}  # fmt: skip
    assert balance_of(2022, MEMBER_RECEIVABLE) == 0
