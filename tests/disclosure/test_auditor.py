"""The auditor role (纪检监察/财政审计): granted by the county for a town and a period; read-only access to the ledger,
claims, payout batches and the audit log (each search audited); refused outside the period, in other towns and
for every write."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection
from django_tenants.utils import schema_context

from mutualaid.disclosure import actions
from mutualaid.platform.accounts.permissions import Target, can_grant
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.audit.models import AuditEvent
from tests.disclosure.conftest import MARCH
from tests.factories import graphql as _graphql
from tests.factories import make_user

READS = {
    "fundEntries": "{ fundEntries(schemeYear: 2022, first: 5) { totalCount } }",
    "claims": "{ claims(first: 5) { totalCount } }",
    "payoutBatches": "{ payoutBatches { month } }",
    "auditLog": '{ auditLog(action: "disclosure.", limit: 10) { at actor action objectType objectId } }',
}
PUBLISH = "mutation($id: ID!) { publishDisclosure(id: $id) { errors { code } } }"


def graphql(user, query, variables=None, *, town):
    try:
        return _graphql(user, query, variables, town=town)
    finally:
        connection.set_tenant(town)


def auditor(town, **period):
    return make_user(Role.AUDITOR, town=town, **period)


def test_only_the_county_grants_the_auditor_role(users, scheme):
    from mutualaid.platform.regions.models import County

    county = County.objects.get(code=scheme.town.code[:6])
    bureau = make_user(Role.COUNTY_BUREAU, county=county)
    assert can_grant(bureau, Role.AUDITOR, Target.town(scheme.town.code))
    assert not can_grant(users["town_admin"], Role.AUDITOR, Target.town(scheme.town.code))


def test_auditor_reads_ledger_claims_batches_and_audit_log(march, scheme):
    actions.generate_draft(MARCH, actor=None)
    user = auditor(
        scheme.town,
        valid_from=date.today() - timedelta(days=1),
        valid_until=date.today() + timedelta(days=30),
    )
    for name, query in READS.items():
        result = graphql(user, query, town=scheme.town)
        assert "errors" not in result, (name, result)
    assert graphql(user, READS["auditLog"], town=scheme.town)["data"]["auditLog"][0]["action"].startswith(
        "disclosure."
    )
    assert AuditEvent.objects.filter(action="audit.log_searched", actor_id=user.pk).count() == 2


def test_auditor_writes_nothing_and_expires(march, scheme, towns):
    draft, _ = actions.generate_draft(MARCH, actor=None)
    from graphql_relay import to_global_id

    user = auditor(scheme.town)
    result = graphql(
        user, PUBLISH, {"id": to_global_id("Disclosure", f"{scheme.town.code}:{draft.pk}")}, town=scheme.town
    )
    assert result["data"]["publishDisclosure"]["errors"][0]["code"] == "PERMISSION_DENIED"
    expired = auditor(scheme.town, valid_until=date.today() - timedelta(days=1))
    not_yet = auditor(scheme.town, valid_from=date.today() + timedelta(days=1))
    elsewhere = auditor(towns["320685107"])
    for other in (expired, not_yet, elsewhere):
        for query in READS.values():
            assert graphql(other, query, town=scheme.town).get("errors"), query


INVITE = """mutation($input: UserInviteInput!) { userInvite(input: $input) {
  roleAssignment { role townCode validFrom validUntil inForce user { username } }
  errors { field code message } } }"""
ASSIGNMENTS = """{ roleAssignments(role: AUDITOR, first: 20) { edges { node {
  townCode validFrom validUntil inForce user { username } } } } }"""


def _invite(bureau, town, phone, **period):
    variables = {"input": {"phone": phone, "role": "AUDITOR", "townCode": town.code, **period}}
    result = _graphql(bureau, INVITE, variables)
    connection.set_tenant(town)
    return result["data"]["userInvite"]


def test_the_county_grants_an_auditor_for_a_period_through_the_api(march, scheme):
    from mutualaid.platform.accounts.models import RoleAssignment, User
    from mutualaid.platform.regions.models import County

    bureau = make_user(Role.COUNTY_BUREAU, county=County.objects.get(code=scheme.town.code[:6]))
    today = date.today()
    later = {"validFrom": str(today + timedelta(days=10)), "validUntil": str(today + timedelta(days=40))}
    payload = _invite(bureau, scheme.town, "13700005555", **later)
    assert payload["errors"] == []
    grant = payload["roleAssignment"]
    assert (grant["validFrom"], grant["validUntil"], grant["inForce"]) == (
        later["validFrom"],
        later["validUntil"],
        False,
    )
    user = User.objects.get(username=grant["user"]["username"])
    # Outside the period (not begun): refused.
    for query in READS.values():
        assert graphql(user, query, town=scheme.town).get("errors"), query
    # Granted again for a period that holds today: the period is replaced (audited), and the reads are allowed.
    now = {"validFrom": str(today), "validUntil": str(today + timedelta(days=30))}
    payload = _invite(bureau, scheme.town, "13700005555", **now)
    assert payload["errors"] == [] and payload["roleAssignment"]["inForce"] is True
    assert RoleAssignment.objects.filter(user=user, role=Role.AUDITOR).count() == 1
    with schema_context("public"):  # account events are audited in the public schema
        assert AuditEvent.objects.filter(action="role.period", object_id=str(user.pk)).exists()
    for name, query in READS.items():
        result = graphql(user, query, town=scheme.town)
        assert "errors" not in result, (name, result)
    listed = _graphql(bureau, ASSIGNMENTS)["data"]["roleAssignments"]["edges"]
    connection.set_tenant(scheme.town)
    assert [(n["node"]["validFrom"], n["node"]["validUntil"], n["node"]["inForce"]) for n in listed] == [
        (now["validFrom"], now["validUntil"], True)
    ]
    # The period over (time passed): refused again.
    RoleAssignment.objects.filter(user=user).update(
        valid_from=today - timedelta(days=30), valid_until=today - timedelta(days=1)
    )
    for query in READS.values():
        assert graphql(user, query, town=scheme.town).get("errors"), query


def test_bad_periods_are_typed_errors_and_grant_nothing(march, scheme):
    from mutualaid.platform.accounts.models import User
    from mutualaid.platform.regions.models import County

    bureau = make_user(Role.COUNTY_BUREAU, county=County.objects.get(code=scheme.town.code[:6]))
    today = date.today()
    cases = [
        ({"validFrom": str(today + timedelta(days=5)), "validUntil": str(today)}, "validUntil", "PERIOD_REVERSED"),
        ({"validFrom": str(today - timedelta(days=400)), "validUntil": str(today)}, "validFrom", "INVALID_DATE"),
        ({"validFrom": str(today)}, "validUntil", "PERIOD_REQUIRED"),
        ({"validFrom": str(today - timedelta(days=9)), "validUntil": str(today - timedelta(days=2))}, "validUntil",
         "INVALID_DATE"),
    ]  # fmt: skip
    for period, field, code in cases:
        payload = _invite(bureau, scheme.town, "13700006666", **period)
        assert [(e["field"], e["code"]) for e in payload["errors"]] == [(field, code)], period
        assert payload["errors"][0]["message"]
    assert not User.objects.filter(username__startswith=f"auditor_{scheme.town.code}").exists()
    # A role that holds no period refuses one (the town's finance, invited by its admin).
    admin = make_user(Role.TOWN_ADMIN, town=scheme.town)
    variables = {"input": {"phone": "13700007777", "role": "TOWN_FINANCE", "validUntil": str(today)}}
    errors = graphql(admin, INVITE, variables, town=scheme.town)["data"]["userInvite"]["errors"]
    assert [(e["field"], e["code"]) for e in errors] == [("validUntil", "PERIOD_NOT_ALLOWED")]
