"""Tenant isolation: a town admin of 大公镇 reads nothing of 雅周镇, by path or by host."""

import pytest
from django.db import connection

from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.audit.actions import record_event
from tests.factories import graphql, make_user

CURRENT = "{ currentTown { code name } }"


@pytest.fixture
def dagong_admin(dagong):
    return make_user(Role.TOWN_ADMIN, town=dagong)


def test_town_admin_reads_own_town_by_path_and_host(dagong_admin, dagong):
    expected = {"code": "320685107", "name": "大公镇"}
    assert graphql(dagong_admin, CURRENT, town=dagong)["data"]["currentTown"] == expected
    assert graphql(dagong_admin, CURRENT, host="dagong.localhost")["data"]["currentTown"] == expected


@pytest.mark.parametrize("route", ["path", "host"])
def test_town_admin_of_dagong_reads_nothing_of_yazhou(dagong_admin, yazhou, route):
    kwargs = {"town": yazhou} if route == "path" else {"host": "yazhou.localhost"}
    result = graphql(dagong_admin, CURRENT, **kwargs)
    assert result["data"] is None
    assert result["errors"][0]["extensions"]["code"] == "PERMISSION_DENIED"


def test_platform_lists_do_not_leak_other_towns(dagong_admin):
    codes = graphql(dagong_admin, "{ towns(first: 10) { edges { node { code } } } }")["data"]["towns"][
        "edges"
    ]
    assert codes == [{"node": {"code": "320685107"}}]


def test_each_town_keeps_its_own_audit_trail(dagong, yazhou):
    from mutualaid.platform.audit.models import AuditEvent

    connection.set_tenant(dagong)
    record_event(None, "dagong.only", dagong)
    connection.set_tenant(yazhou)
    assert not AuditEvent.objects.filter(action="dagong.only").exists()
    connection.set_schema_to_public()
    assert not AuditEvent.objects.filter(action="dagong.only").exists()
