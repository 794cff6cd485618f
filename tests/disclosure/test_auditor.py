"""The auditor role (纪检监察/财政审计): granted by the county for a town and a period; read-only access to the ledger,
claims, payout batches and the audit log (each search audited); refused outside the period, in other towns and
for every write."""

from __future__ import annotations

from datetime import date, timedelta

from django.db import connection

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
