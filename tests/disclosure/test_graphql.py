"""The disclosure API: public queries without login (only what the page shows), and the permission matrix of the
rest — allowed roles succeed; other roles, another town's admin and anonymous are refused and nothing changes."""

from __future__ import annotations

from datetime import date

import pytest

from mutualaid.claims import actions as claim_actions
from mutualaid.claims.models import Claim
from mutualaid.disclosure import actions
from mutualaid.disclosure.models import Disclosure, Objection
from tests.disclosure.conftest import MARCH
from tests.factories import graphql as _graphql

PUBLIC = """query($m: String!) { publicDisclosures { month revision }
  publicDisclosure(month: $m) { id month revision closing opening inflow outflow reconciled
    subsidies { number village name ageBand drg hospitalLevel amount status } inflows { label amount items { label amount } }
    objections { subject reason answer outcome } } }"""
PUBLISH = "mutation($id: ID!) { publishDisclosure(id: $id) { disclosure { state } errors { field code } } }"
ANSWER = """mutation($id: ID!) { answerDisclosureObjection(id: $id, reopen: true, answer: "重新审核") {
  objection { state } errors { field code } } }"""
HOLD = (
    "mutation($id: ID!) { holdObjectedSubsidy(id: $id, held: true) { objection { held } errors { code } } }"
)
OBJECTIONS = "{ disclosureObjections { subject reason state verifiedBy claimId } }"
DRAFTS = "{ disclosures { month revision state } }"


def graphql(user, query, variables=None, *, town):
    """A request as ``user``; the test's connection goes back to the town's schema afterwards."""
    from django.db import connection

    try:
        return _graphql(user, query, variables, town=town)
    finally:
        connection.set_tenant(town)


def gid(kind: str, town, pk: int) -> str:
    from graphql_relay import to_global_id

    return to_global_id(kind, f"{town.code}:{pk}")


def test_public_queries_need_no_login_and_show_only_the_page(published, scheme):
    result = graphql(None, PUBLIC, {"m": "2023-03"}, town=scheme.town)
    assert "errors" not in result, result
    data = result["data"]
    assert data["publicDisclosures"] == [{"month": "2023-03", "revision": 1}]
    disclosure = data["publicDisclosure"]
    assert disclosure["reconciled"] and {s["name"] for s in disclosure["subsidies"]} == {
        "王*山",
        "李*红",
        "赵*",
    }
    text = str(result)
    for secret in ("王大山", "6228480402564890018", "C34.900", "13900001111"):
        assert secret not in text
    assert graphql(None, PUBLIC, {"m": "2023-04"}, town=scheme.town)["data"]["publicDisclosure"] is None


def test_drafts_are_not_public(march, users, scheme):
    actions.generate_draft(MARCH, actor=None)
    assert graphql(None, PUBLIC, {"m": "2023-03"}, town=scheme.town)["data"]["publicDisclosure"] is None
    assert (
        graphql(users["town_finance"], DRAFTS, town=scheme.town)["data"]["disclosures"][0]["state"] == "DRAFT"
    )
    for role in ("member", "reviewer", "coordinator", "other_town_admin", "anonymous"):
        result = graphql(users[role], DRAFTS, town=scheme.town)
        assert result["errors"][0]["extensions"]["code"] in ("PERMISSION_DENIED",), (role, result)


@pytest.mark.parametrize(
    "role,allowed",
    [
        ("town_admin", True),
        ("town_finance", False),
        ("reviewer", False),
        ("coordinator", False),
        ("member", False),
        ("other_town_admin", False),
        ("anonymous", False),
    ],
)
def test_publish_matrix(march, users, scheme, role, allowed):
    draft, _ = actions.generate_draft(MARCH, actor=None)
    result = graphql(users[role], PUBLISH, {"id": gid("Disclosure", scheme.town, draft.pk)}, town=scheme.town)
    payload = result["data"]["publishDisclosure"]
    draft.refresh_from_db()
    if allowed:
        assert payload["errors"] == [] and draft.state == "published"
    else:
        assert payload["errors"][0]["code"] == "PERMISSION_DENIED" and draft.state == "draft"


def test_another_towns_id_is_not_found(march, users, scheme, towns):
    draft, _ = actions.generate_draft(MARCH, actor=None)
    other = towns["320685107"]
    result = graphql(
        users["town_admin"], PUBLISH, {"id": gid("Disclosure", other, draft.pk)}, town=scheme.town
    )
    assert result["data"]["publishDisclosure"]["errors"][0]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "role,allowed",
    [
        ("reviewer", True),
        ("other_firm_reviewer", False),
        ("town_admin", False),
        ("member", False),
        ("anonymous", False),
    ],
)
def test_answer_objection_matrix(published, users, scheme, role, allowed):
    objection = actions.submit_objection(
        published, published.content["subsidies"][0]["no"], "理由", user=users["member"]
    )
    result = graphql(
        users[role], ANSWER, {"id": gid("DisclosureObjection", scheme.town, objection.pk)}, town=scheme.town
    )
    payload = result["data"]["answerDisclosureObjection"]
    objection.refresh_from_db()
    if allowed:
        assert payload["errors"] == [] and objection.state == "reopened"
    else:
        assert payload["errors"][0]["code"] == "PERMISSION_DENIED" and objection.state == "open"


@pytest.mark.parametrize(
    "role,allowed", [("town_admin", True), ("town_finance", False), ("reviewer", False), ("anonymous", False)]
)
def test_hold_matrix(published, users, scheme, role, allowed):
    objection = actions.submit_objection(
        published, published.content["subsidies"][0]["no"], "理由", user=users["member"]
    )
    result = graphql(
        users[role], HOLD, {"id": gid("DisclosureObjection", scheme.town, objection.pk)}, town=scheme.town
    )
    objection.refresh_from_db()
    assert objection.held is allowed
    assert (result["data"]["holdObjectedSubsidy"]["errors"] == []) is allowed


def test_objections_list_hides_the_objector(published, users, scheme):
    actions.submit_objection(published, published.content["subsidies"][0]["no"], "理由", user=users["member"])
    result = graphql(users["reviewer"], OBJECTIONS, town=scheme.town)
    rows = result["data"]["disclosureObjections"]
    assert rows[0]["verifiedBy"] == "account" and rows[0]["reason"] == "理由"
    assert users["member"].username not in str(result)
    for role in ("member", "town_finance", "other_firm_reviewer", "anonymous"):
        assert graphql(users[role], OBJECTIONS, town=scheme.town)["errors"], role


def test_anonymous_objection_by_phone_through_the_api(published, scheme, django_capture_on_commit_callbacks):
    from mutualaid.platform.sms import RecordingSmsBackend
    from tests.disclosure.test_actions import code_of

    RecordingSmsBackend.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = graphql(
            None,
            'mutation { requestObjectionCode(phone: "13700005555") { sent errors { code } } }',
            town=scheme.town,
        )
    assert sent["data"]["requestObjectionCode"] == {"sent": True, "errors": []}
    code = code_of(RecordingSmsBackend.outbox[-1].text)
    submit = """mutation($id: ID!, $n: Int!, $c: String) { submitDisclosureObjection(disclosureId: $id, number: $n,
      reason: "理由", phone: "13700005555", code: $c) { submitted errors { field code } } }"""
    variables = {
        "id": gid("Disclosure", scheme.town, published.pk),
        "n": published.content["subsidies"][0]["no"],
    }
    wrong = graphql(None, submit, {**variables, "c": "000000"}, town=scheme.town)
    assert wrong["data"]["submitDisclosureObjection"]["errors"] == [{"field": "code", "code": "BAD_CODE"}]
    ok = graphql(None, submit, {**variables, "c": code}, town=scheme.town)
    assert ok["data"]["submitDisclosureObjection"] == {"submitted": True, "errors": []}
    assert Objection.objects.count() == 1 and Disclosure.objects.count() == 1
    too_long = graphql(
        None, submit.replace('"理由"', '"' + "长" * 600 + '"'), {**variables, "c": code}, town=scheme.town
    )
    assert too_long["data"]["submitDisclosureObjection"]["errors"][0]["code"] == "REASON_TOO_LONG"


def test_generate_draft_via_api(march, users, scheme):
    query = 'mutation { generateDisclosureDraft(month: "2023-03") { created disclosure { state reconciled } errors { code } } }'
    result = graphql(users["town_admin"], query, town=scheme.town)
    assert result["data"]["generateDisclosureDraft"]["disclosure"] == {"state": "DRAFT", "reconciled": True}
    bad = graphql(users["town_admin"], query.replace("2023-03", "2023-13"), town=scheme.town)
    assert bad["data"]["generateDisclosureDraft"]["errors"][0]["code"] == "INVALID_MONTH"
    assert date(2023, 3, 1) == Disclosure.objects.get().month


def test_public_list_costs_the_same_queries_for_one_and_more_months(published, users, scheme):
    from django.db import connection as conn
    from django.test.utils import CaptureQueriesContext

    query = "{ publicDisclosures { month closing subsidies { name amount } inflows { label items { label } } objections { reason } } }"

    def count() -> int:
        with CaptureQueriesContext(conn) as captured:
            result = graphql(None, query, town=scheme.town)
        assert "errors" not in result
        return len(captured)

    one = count()
    for month in (date(2023, 1, 1), date(2023, 2, 1)):
        draft, _ = actions.generate_draft(month, actor=None)
        actions.publish(draft, actor=users["town_admin"])
    assert count() == one


def test_an_objection_reaches_the_firms_review_queue_until_answered(published, users, scheme):
    from mutualaid.claims_queue.models import QueueEntry

    line = published.content["subsidies"][0]
    objection = actions.submit_objection(published, line["no"], "理由", user=users["member"])
    queue = "{ reviewQueue(first: 10) { edges { node { townCode claimId state } } } }"
    result = _graphql(users["reviewer"], queue)
    from django.db import connection as conn

    conn.set_tenant(scheme.town)
    nodes = [e["node"] for e in result["data"]["reviewQueue"]["edges"]]
    assert [n["townCode"] for n in nodes] == [scheme.town.code] and nodes[0]["state"] == "APPROVED"
    assert _graphql(users["other_firm_reviewer"], queue)["data"]["reviewQueue"]["edges"] == []
    conn.set_tenant(scheme.town)
    actions.answer_objection(objection, reopen=True, answer="重新审核", actor=users["reviewer"])
    entry = QueueEntry.objects.get(claim_id=line["no"])  # the re-review is still to do, with a fresh due date
    assert (entry.state, entry.due_date) == ("in_review", Claim.objects.get(pk=line["no"]).due_date)
    claim_actions.approve(Claim.objects.get(pk=line["no"]), actor=users["reviewer"], note="维持")
    actions.resolve_objection(objection, outcome="维持", actor=users["reviewer"])
    assert not QueueEntry.objects.filter(claim_id=line["no"]).exists()


REOPEN = """mutation($id: ID!) { answerDisclosureObjection(id: $id, reopen: true, answer: "调取病历重新审核") {
  objection { state claimState nextStep } errors { field code message } } }"""
CLAIM = "query($id: ID!) { claim(id: $id) { state events { action fromState toState } } }"


def test_reopening_through_the_api_puts_the_claim_back_in_review(published, users, scheme):
    line = next(s for s in published.content["subsidies"] if s["amount_fen"] == 500_000)
    objection = actions.submit_objection(published, line["no"], "理由", user=users["member"])
    result = graphql(
        users["reviewer"],
        REOPEN,
        {"id": gid("DisclosureObjection", scheme.town, objection.pk)},
        town=scheme.town,
    )
    payload = result["data"]["answerDisclosureObjection"]
    assert payload["errors"] == []
    assert payload["objection"]["state"] == "REOPENED" and payload["objection"]["claimState"] == "审核中"
    assert "作出审核决定" in payload["objection"]["nextStep"]
    claim = graphql(users["reviewer"], CLAIM, {"id": gid("Claim", scheme.town, line["no"])}, town=scheme.town)
    assert claim["data"]["claim"]["state"] == "IN_REVIEW"
    assert {"action": "reopened", "fromState": "approved", "toState": "in_review"} in [
        {k: e[k] for k in ("action", "fromState", "toState")} for e in claim["data"]["claim"]["events"]
    ]
    listed = graphql(
        users["town_admin"], OBJECTIONS.replace("claimId", "claimId claimState nextStep"), town=scheme.town
    )
    assert listed["data"]["disclosureObjections"][0]["claimState"] == "审核中"


def test_reopening_in_an_approved_batch_is_a_typed_error(published, users, scheme):
    from mutualaid.payouts import actions as payouts

    line = next(s for s in published.content["subsidies"] if s["amount_fen"] == 500_000)
    batch, _ = payouts.gather_batch(date(2023, 4, 1), actor=users["town_admin"])
    payouts.approve_batch(batch, actor=users["town_finance"])
    objection = actions.submit_objection(published, line["no"], "理由", user=users["member"])
    result = graphql(
        users["reviewer"],
        REOPEN,
        {"id": gid("DisclosureObjection", scheme.town, objection.pk)},
        town=scheme.town,
    )
    errors = result["data"]["answerDisclosureObjection"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("id", "IN_APPROVED_BATCH")]
    assert "已审批" in errors[0]["message"]
    objection.refresh_from_db()
    assert objection.state == "open" and Claim.objects.get(pk=line["no"]).state == "in_batch"
