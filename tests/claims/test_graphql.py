"""The claims API: apply, upload (GraphQL multipart), submit, list/filter, detail with decision and events, review
actions, the firms' cross-town queue; a permission matrix for every operation (refused calls change nothing) and
bad input as typed errors."""

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from graphql_relay import from_global_id, to_global_id

from mutualaid.claims import actions, application
from mutualaid.claims.models import Claim, ClaimDocument, ClaimEvent, ClaimState, Decision
from mutualaid.claims_queue.models import QueueEntry
from mutualaid.tenants.models import Town
from tests.claims.conftest import PDF, complete, jpeg, stay_data
from tests.conftest import XINSHENG
from tests.factories import graphql

APPLY = """mutation($member: ID!, $input: ClaimInput!) { applyForClaim(memberId: $member, input: $input) {
  claim { id state channel totalCost outOfPocket bankCardMasked missingDocuments applicantName }
  errors { field code message } } }"""
UPLOAD = """mutation($claim: ID!, $kind: ClaimDocumentKind!, $file: Upload!) {
  uploadClaimDocument(claimId: $claim, kind: $kind, file: $file) {
    document { id kind contentType } claim { missingDocuments } errors { field code message } } }"""
SUBMIT = (
    "mutation($id: ID!) { submitClaim(id: $id) { claim { state dueDate } errors { field code message } } }"
)
START = "mutation($id: ID!) { startClaimReview(id: $id) { claim { state } errors { field code message } } }"
APPROVE = """mutation($id: ID!, $drg: String, $amount: String, $why: String) {
  approveClaim(id: $id, drgCode: $drg, amount: $amount, overrideReason: $why) {
    claim { state amount drgCode } errors { field code message } } }"""
REJECT = (
    'mutation($id: ID!) { rejectClaim(id: $id, reason: "非定点医院") { claim { state } errors { code } } }'
)
MORE = 'mutation($id: ID!) { requestClaimInformation(id: $id, reason: "请补拍") { claim { state } errors { code } } }'
LIST = """query($state: ClaimState, $village: String) { claims(state: $state, villageCode: $village, first: 20) {
  totalCount edges { node { id state villageCode applicantName isOverdue } } } claimsOverdueCount }"""
DETAIL = """query($id: ID!) { claim(id: $id) { state amount bankCardMasked
  decision { outcome amount computedAmount policyVersion reasons { code passed message } }
  events { action fromState toState actorUsername reason } documents { id kind } } }"""
DOWNLOAD = "query($id: ID!) { claimDocumentDownload(id: $id) { contentType contentBase64 } }"
QUEUE = "{ reviewQueue(first: 50) { totalCount edges { node { townCode claimId state dueDate isOverdue } } } reviewQueueOverdueCount }"


def api_input(**changes) -> dict:
    return {
        "hospitalName": "潼南区人民医院", "hospitalLevel": "SECONDARY", "hospitalDesignated": True,
        "hospitalMainland": True, "admissionDate": "2023-03-01", "dischargeDate": "2023-03-12", "inpatient": True,
        "cause": "ILLNESS", "insuranceType": "RESIDENT", "totalCost": "30000.00", "insurancePaid": "18000",
        "outOfPocket": "12,000.00", "diagnosisCodes": ["C34.900"], "procedureCodes": ["32.4100"],
        "bankCard": "6228 4804 0256 4890 018", "bankName": "农业银行", **changes,
    }  # fmt: skip


def gid(claim) -> str:
    return to_global_id("Claim", f"500152116:{claim.pk}")  # 新胜镇's: town objects' IDs carry their town


def upload(user, town, claim_id, kind, content, name="photo.jpg"):
    client = Client()
    if user is not None:
        client.force_login(user)
    operations = {"query": UPLOAD, "variables": {"claim": claim_id, "kind": kind, "file": None}}
    response = client.post(
        f"/t/{town.code}/graphql/",
        {
            "operations": json.dumps(operations),
            "map": json.dumps({"0": ["variables.file"]}),
            "0": SimpleUploadedFile(name, content),
        },
    )
    assert response.status_code in (200, 400), response.content
    return response.json()


def snapshot():
    """What a refused call must leave unchanged (in 新胜镇's schema: a request leaves the connection in public)."""
    connection.set_tenant(Town.objects.get(code=XINSHENG))
    return (
        Claim.objects.count(),
        list(Claim.objects.order_by("pk").values_list("state", "amount_fen")),
        ClaimEvent.objects.count(),
        ClaimDocument.objects.count(),
        Decision.objects.count(),
        QueueEntry.objects.count(),
    )


def refused(result, name) -> bool:
    if result.get("errors"):
        return True
    payload = (result.get("data") or {}).get(name)
    return payload is None or (bool(payload["errors"]) and payload["errors"][0]["code"] in (
        "NOT_FOUND", "PERMISSION_DENIED",
    ))  # fmt: skip


def test_the_whole_path_through_the_api(scheme, users):
    town, member = scheme.town, users["member"]
    applied = graphql(member, APPLY, {"member": to_global_id("Member", scheme.head.pk), "input": api_input()},
                      town=town)["data"]["applyForClaim"]  # fmt: skip
    assert applied["errors"] == []
    claim = applied["claim"]
    assert claim["state"] == "DRAFT" and claim["channel"] == "SELF"
    assert (claim["totalCost"], claim["outOfPocket"]) == ("30000.00", "12000.00")
    assert claim["bankCardMasked"] == "6228 **** **** 0018" and claim["applicantName"] == "王大山"
    assert claim["missingDocuments"] == ["DISCHARGE_RECORD", "COST_LIST", "INSURANCE_STATEMENT"]

    incomplete = graphql(member, SUBMIT, {"id": claim["id"]}, town=town)["data"]["submitClaim"]
    assert incomplete["errors"][0]["code"] == "INCOMPLETE"
    for kind, content in (("DISCHARGE_RECORD", jpeg(exif_gps=True)), ("COST_LIST", PDF)):
        done = upload(member, town, claim["id"], kind, content)["data"]["uploadClaimDocument"]
        assert done["errors"] == [], done
    last = upload(member, town, claim["id"], "INSURANCE_STATEMENT", jpeg())["data"]["uploadClaimDocument"]
    assert last["claim"]["missingDocuments"] == [] and last["document"]["contentType"] == "image/jpeg"
    submitted = graphql(member, SUBMIT, {"id": claim["id"]}, town=town)["data"]["submitClaim"]
    assert submitted == {"claim": {"state": "SUBMITTED", "dueDate": "2023-03-27"}, "errors": []}

    # The reviewer's queue on the platform schema, then the claim in its town.
    queue = graphql(users["reviewer"], QUEUE)["data"]
    assert queue["reviewQueue"]["totalCount"] == 1
    entry = queue["reviewQueue"]["edges"][0]["node"]
    assert (entry["townCode"], entry["claimId"], entry["state"]) == (town.code, claim["id"], "SUBMITTED")
    assert graphql(users["other_firm_reviewer"], QUEUE)["data"]["reviewQueue"]["totalCount"] == 0

    reviewer = users["reviewer"]
    assert (
        graphql(reviewer, START, {"id": claim["id"]}, town=town)["data"]["startClaimReview"]["errors"] == []
    )
    approved = graphql(reviewer, APPROVE, {"id": claim["id"], "drg": "EB19"}, town=town)["data"][
        "approveClaim"
    ]
    assert approved == {"claim": {"state": "APPROVED", "amount": "12000.00", "drgCode": "EB19"}, "errors": []}

    detail = graphql(member, DETAIL, {"id": claim["id"]}, town=town)["data"]["claim"]
    assert detail["decision"]["outcome"] == "APPROVED" and detail["decision"]["policyVersion"] == 1
    assert detail["decision"]["amount"] == detail["decision"]["computedAmount"] == "12000.00"
    assert {"code": "drg_quota", "passed": True, "message": "病组 EB19 补助定额 15000.00 元"} in detail[
        "decision"
    ]["reasons"]
    assert [e["action"] for e in detail["events"]][-3:] == ["submitted", "review_started", "approved"]
    # Reviewers see the applicant's name masked.
    listed = graphql(reviewer, LIST, town=town)["data"]["claims"]["edges"][0]["node"]
    assert listed["applicantName"] == "王*山"

    document = detail["documents"][0]["id"]
    assert graphql(member, DOWNLOAD, {"id": document}, town=town)["data"]["claimDocumentDownload"][
        "contentType"
    ]
    assert graphql(users["town_finance"], DOWNLOAD, {"id": document}, town=town)["data"] is None or not (
        graphql(users["town_finance"], DOWNLOAD, {"id": document}, town=town)["data"] or {}
    ).get("claimDocumentDownload")
    assert (
        graphql(users["other_member"], DOWNLOAD, {"id": document}, town=town)["data"]["claimDocumentDownload"]
        is None
    )


def test_who_sees_which_claims(scheme, users):
    own = application.create_claim(scheme.head, stay_data(), actor=None)
    neighbour = application.create_claim(scheme.neighbour, stay_data(), actor=None)
    expected = {
        "member": {own.pk},
        "other_member": {neighbour.pk},
        "coordinator": {own.pk},
        "other_coordinator": {neighbour.pk},
        "town_admin": {own.pk, neighbour.pk},
        "town_finance": {own.pk, neighbour.pk},
        "reviewer": {own.pk, neighbour.pk},
    }
    for role, ids in expected.items():
        result = graphql(users[role], LIST, town=scheme.town)
        edges = result["data"]["claims"]["edges"]
        assert {int(from_global_id(e["node"]["id"])[1].rpartition(":")[2]) for e in edges} == ids, role
        for other in {own.pk, neighbour.pk} - ids:
            assert (
                graphql(users[role], DETAIL, {"id": gid(Claim(pk=other))}, town=scheme.town)["data"]["claim"]
                is None
            )
    for role in ("other_firm_reviewer", "other_town_admin", "anonymous"):
        result = graphql(users[role], LIST, town=scheme.town)
        assert result.get("errors") or not result["data"]["claims"]["edges"], role
    filtered = graphql(users["town_admin"], LIST, {"village": scheme.other_village.code}, town=scheme.town)
    assert filtered["data"]["claims"]["totalCount"] == 1


@pytest.mark.parametrize(
    "role,allowed",
    [("member", True), ("coordinator", True), ("town_admin", True), ("other_member", False),
     ("other_coordinator", False), ("town_finance", False), ("reviewer", False), ("other_firm_reviewer", False),
     ("other_town_admin", False), ("anonymous", False)],
)  # fmt: skip
def test_apply_matrix(scheme, users, role, allowed):
    before = snapshot()
    result = graphql(users[role], APPLY, {"member": to_global_id("Member", scheme.head.pk), "input": api_input()},
                     town=scheme.town)  # fmt: skip
    if allowed:
        assert result["data"]["applyForClaim"]["errors"] == []
        assert snapshot()[0] == before[0] + 1
    else:
        assert refused(result, "applyForClaim"), result
        assert snapshot() == before


@pytest.mark.parametrize(
    "role,allowed",
    [("member", True), ("coordinator", True), ("town_admin", True), ("other_member", False),
     ("other_coordinator", False), ("town_finance", False), ("reviewer", False), ("anonymous", False)],
)  # fmt: skip
def test_upload_and_submit_matrix(scheme, users, role, allowed):
    claim = application.create_claim(scheme.head, stay_data(), actor=None)
    before = snapshot()
    uploaded = upload(users[role], scheme.town, gid(claim), "DISCHARGE_RECORD", jpeg())
    submitted = graphql(users[role], SUBMIT, {"id": gid(claim)}, town=scheme.town)
    if allowed:
        assert uploaded["data"]["uploadClaimDocument"]["errors"] == []
        assert submitted["data"]["submitClaim"]["errors"][0]["code"] == "INCOMPLETE"
    else:
        assert refused(uploaded, "uploadClaimDocument") and refused(submitted, "submitClaim")
        assert snapshot() == before


@pytest.mark.parametrize(
    "role,allowed",
    [("reviewer", True), ("town_admin", False), ("town_finance", False), ("coordinator", False),
     ("member", False), ("other_firm_reviewer", False), ("other_town_admin", False), ("anonymous", False)],
)  # fmt: skip
def test_review_matrix(scheme, users, role, allowed):
    claims = []
    for month, day in ((1, 3), (2, 3), (3, 3), (3, 10)):
        stay = stay_data(admission_date=date(2023, month, day), discharge_date=date(2023, month, day + 2))
        claim = complete(application.create_claim(scheme.head, stay, actor=None))
        application.submit(claim, actor=None)
        claims.append(claim)
    actions.start_review(claims[1], actor=None)
    actions.start_review(claims[2], actor=None)
    actions.start_review(claims[3], actor=None)
    before = snapshot()
    user, town = users[role], scheme.town
    results = [
        (graphql(user, START, {"id": gid(claims[0])}, town=town), "startClaimReview"),
        (graphql(user, APPROVE, {"id": gid(claims[1]), "drg": "EB19"}, town=town), "approveClaim"),
        (graphql(user, REJECT, {"id": gid(claims[2])}, town=town), "rejectClaim"),
        (graphql(user, MORE, {"id": gid(claims[3])}, town=town), "requestClaimInformation"),
    ]
    if allowed:
        assert all(r["data"][name]["errors"] == [] for r, name in results), results
        connection.set_tenant(town)
        states = [Claim.objects.get(pk=c.pk).state for c in claims]
        assert states == [
            ClaimState.IN_REVIEW,
            ClaimState.APPROVED,
            ClaimState.REJECTED,
            ClaimState.MORE_INFO,
        ]
    else:
        assert all(refused(r, name) for r, name in results), results
        assert snapshot() == before


def test_the_queue_is_for_reviewers_only(scheme, users):
    claim = complete(application.create_claim(scheme.head, stay_data(), actor=None))
    application.submit(claim, actor=None)
    for role in ("town_admin", "member", "coordinator", "anonymous"):
        result = graphql(users[role], QUEUE)
        assert result.get("errors") and not result.get("data"), role


def test_bad_input_through_the_api(scheme, users):
    admin, town = users["town_admin"], scheme.town
    member_id = to_global_id("Member", scheme.head.pk)
    before = snapshot()
    cases = [
        (api_input(totalCost="30000.001"), "input.totalCost", "INVALID_AMOUNT"),
        (api_input(totalCost="-5"), "input.totalCost", "INVALID_AMOUNT"),
        (api_input(totalCost="200000000", outOfPocket="199982000"), "input.totalCost", "INVALID_AMOUNT"),
        (api_input(outOfPocket="100"), "input.totalCost", "AMOUNTS_DO_NOT_ADD_UP"),
        (api_input(diagnosisCodes=["Q99.999"]), "input.diagnosisCodes", "UNKNOWN_ICD_CODE"),
        (api_input(admissionDate="2023-03-12", dischargeDate="2023-03-01"), "input.dischargeDate", "DATES_REVERSED"),
        (api_input(admissionDate="2020-03-01", dischargeDate="2020-03-05"), "input.admissionDate",
         "OUTSIDE_SCHEME_YEAR"),
    ]  # fmt: skip
    for data, field, code in cases:
        errors = graphql(admin, APPLY, {"member": member_id, "input": data}, town=town)["data"][
            "applyForClaim"
        ]["errors"]
        assert [(e["field"], e["code"]) for e in errors] == [(field, code)], (data, errors)
    not_enrolled = graphql(admin, APPLY, {"member": to_global_id("Member", scheme.outsider.pk), "input": api_input()},
                           town=town)["data"]["applyForClaim"]["errors"]  # fmt: skip
    assert [(e["field"], e["code"]) for e in not_enrolled] == [("memberId", "NOT_ENROLLED")]
    elsewhere = graphql(admin, APPLY, {"member": to_global_id("Member", 10**9), "input": api_input()},
                        town=town)["data"]["applyForClaim"]["errors"]  # fmt: skip
    assert [(e["field"], e["code"]) for e in elsewhere] == [("memberId", "NOT_FOUND")]
    assert snapshot() == before

    connection.set_tenant(town)
    claim = application.create_claim(scheme.head, stay_data(), actor=None)
    before = snapshot()
    not_a_photo = upload(admin, town, gid(claim), "COST_LIST", b"PK\x03\x04 a zip file", "scan.jpg")
    assert not_a_photo["data"]["uploadClaimDocument"]["errors"][0]["code"] == "UNSUPPORTED_FILE_TYPE"
    huge = upload(admin, town, gid(claim), "COST_LIST", b"%PDF-" + b"0" * (50 * 1024 * 1024), "big.pdf")
    assert huge["data"]["uploadClaimDocument"]["errors"][0]["code"] == "FILE_TOO_LARGE"
    connection.set_tenant(town)
    reviewed = complete(application.create_claim(scheme.spouse, stay_data(), actor=None))
    application.submit(reviewed, actor=None)
    actions.start_review(reviewed, actor=None)
    before = snapshot()
    unknown_drg = graphql(users["reviewer"], APPROVE, {"id": gid(reviewed), "drg": "XX99"}, town=town)
    assert unknown_drg["data"]["approveClaim"]["errors"][0]["code"] == "UNKNOWN_DRG_CODE"
    no_reason = graphql(
        users["reviewer"], APPROVE, {"id": gid(reviewed), "drg": "EB19", "amount": "100"}, town=town
    )
    assert no_reason["data"]["approveClaim"]["errors"][0]["code"] == "REASON_REQUIRED"
    assert snapshot() == before


APPROVE_MANY = """mutation($ids: [ID!]!) { approveClaims(ids: $ids) {
  claims { id state amount } leftInReview { id state adjudication { reasons { code passed } } }
  errors { field code } } }"""


@pytest.mark.parametrize(
    "role,allowed",
    [("reviewer", True), ("town_admin", False), ("town_finance", False), ("coordinator", False),
     ("member", False), ("other_firm_reviewer", False), ("anonymous", False)],
)  # fmt: skip
def test_approve_a_list_matrix(scheme, users, role, allowed):
    good = complete(application.create_claim(scheme.head, stay_data(), actor=None))
    bad = complete(application.create_claim(scheme.neighbour, stay_data(inpatient=False), actor=None))
    for claim in (good, bad):
        application.submit(claim, actor=None)
        actions.start_review(claim, actor=None)
        Claim.objects.filter(pk=claim.pk).update(drg_code="EB19")
    before = snapshot()
    result = graphql(users[role], APPROVE_MANY, {"ids": [gid(good), gid(bad)]}, town=scheme.town)
    if allowed:
        payload = result["data"]["approveClaims"]
        assert payload["errors"] == []
        assert [(c["id"].endswith(str(good.pk)) or from_global_id(c["id"])[1].endswith(str(good.pk)), c["state"],
                 c["amount"]) for c in payload["claims"]] == [(True, "APPROVED", "12000.00")]  # fmt: skip
        left = payload["leftInReview"][0]
        assert left["state"] == "IN_REVIEW"
        assert {"code": "inpatient", "passed": False} in left["adjudication"]["reasons"]
    else:
        assert refused(result, "approveClaims"), result
        assert snapshot() == before


FULL_LIST = """{ claims(first: 50) { totalCount edges { node { id state applicantName amount isOverdue
  missingDocuments documents { kind } events { action } decision { amount reasons { code } } } } } }"""


def _list_queries(user, town) -> tuple[int, int]:
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(user)
    with CaptureQueriesContext(connection) as captured:
        response = client.post(
            f"/t/{town.code}/graphql/", json.dumps({"query": FULL_LIST}), content_type="application/json"
        )
    data = response.json()
    assert "errors" not in data, data
    return len(captured), len(data["data"]["claims"]["edges"])


def test_the_claims_list_costs_the_same_queries_for_3_and_12_claims(scheme, users):
    def add(n):
        connection.set_tenant(scheme.town)
        for i in range(n):
            claim = complete(application.create_claim(
                scheme.head, stay_data(admission_date=date(2023, 1, 1 + 2 * (i % 14))), actor=None))  # fmt: skip
            application.submit(claim, actor=None)

    add(3)
    few, rows_few = _list_queries(users["town_admin"], scheme.town)
    add(9)
    many, rows_many = _list_queries(users["town_admin"], scheme.town)
    assert (rows_few, rows_many) == (3, 12)
    assert few == many
