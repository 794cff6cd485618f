"""Onboarding a town: validation, cloning the template, first admin, failure and retry."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_exists

from mutualaid.platform.accounts.models import RoleAssignment
from mutualaid.platform.accounts.roles import Role
from mutualaid.platform.audit.models import AuditEvent
from mutualaid.platform.sms import RecordingSmsBackend
from mutualaid.tenants import actions
from mutualaid.tenants.models import Town, TownStatus
from mutualaid.tenants.provisioning import provision_town
from mutualaid.tenants.signals import town_provisioned


@pytest.mark.parametrize(
    ("code", "error"),
    [("32068510", "invalid_code"), ("32068510X", "invalid_code"), ("320685199", "unknown_code")],
)
def test_onboarding_refuses_bad_codes_and_writes_nothing(haizhen, code, error):
    with pytest.raises(ValidationError) as raised:
        actions.resolve_township(code)
    assert raised.value.error_dict["code"][0].code == error
    assert not Town.objects.filter(code=code).exists()


def test_onboarding_clones_the_template_and_activates_with_a_first_admin(
    haizhen, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        town = actions.request_onboarding(haizhen, admin_phone="139 1234 5678", enqueue=False)
    assert town.status == TownStatus.PROVISIONING and town.slug == "haian"
    assert town.get_primary_domain().domain == "haian.localhost"

    with django_capture_on_commit_callbacks(execute=True):
        password = provision_town(town.pk)
    town.refresh_from_db()
    assert town.status == TownStatus.ACTIVE and town.activated_at is not None
    assert schema_exists("town_320685100")
    admin = RoleAssignment.objects.get(town=town, role=Role.TOWN_ADMIN).user
    assert admin.username == "admin_320685100" and admin.check_password(password)
    assert any(m.phone == "13912345678" and password in m.text for m in RecordingSmsBackend.outbox)
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "town.onboard.request",
        "town.onboard.active",
    }

    # Idempotent: running the task again does nothing.
    assert provision_town(town.pk) is None


def test_onboarding_the_same_town_twice_is_refused(haizhen):
    actions.request_onboarding(haizhen, enqueue=False)
    with pytest.raises(ValidationError) as raised:
        actions.request_onboarding(haizhen, enqueue=False)
    assert raised.value.error_dict["code"][0].code == "already_onboarded"
    assert Town.objects.filter(code=haizhen.code).count() == 1


def test_a_failed_onboarding_leaves_no_schema_and_can_be_retried(haizhen):
    town = actions.request_onboarding(haizhen, enqueue=False)

    def broken_seeder(sender, town, **kwargs):
        raise RuntimeError("seeding failed")

    town_provisioned.connect(broken_seeder)
    try:
        assert provision_town(town.pk) is None
    finally:
        town_provisioned.disconnect(broken_seeder)
    town.refresh_from_db()
    assert town.status == TownStatus.FAILED and "seeding failed" in town.error
    assert not schema_exists(town.schema_name)
    assert connection.schema_name == "public"

    actions.retry_onboarding(town, enqueue=False)
    provision_town(town.pk)
    town.refresh_from_db()
    assert town.status == TownStatus.ACTIVE and schema_exists(town.schema_name)


def test_only_failed_towns_can_be_retried(dagong):
    with pytest.raises(ValidationError) as raised:
        actions.retry_onboarding(dagong, enqueue=False)
    assert raised.value.error_dict["code"][0].code == "not_retryable"


def test_provisioning_by_migrations_gives_the_same_tables(haizhen):
    town = actions.request_onboarding(haizhen, enqueue=False)
    provision_town(town.pk, by_migrations=True)
    town.refresh_from_db()
    assert town.status == TownStatus.ACTIVE
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, count(*) FROM information_schema.tables "
            "WHERE table_schema IN ('town_template', 'town_320685100') GROUP BY 1"
        )
        counts = dict(cursor.fetchall())
    assert counts["town_template"] == counts["town_320685100"]


def _catalog_signature(schema: str) -> dict:
    """Counts of what a schema holds, by kind, for comparing a clone with its template."""
    queries = {
        "tables": "SELECT count(*) FROM pg_tables WHERE schemaname = %s",
        "indexes": "SELECT count(*) FROM pg_indexes WHERE schemaname = %s",
        "constraints": "SELECT count(*) FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace "
        "WHERE n.nspname = %s",
        "triggers": "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND NOT t.tgisinternal",
        "functions": "SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = %s",
        "migrations": None,
    }
    result = {}
    with connection.cursor() as cursor:
        for kind, sql in queries.items():
            if sql is None:
                cursor.execute(f"SELECT count(*) FROM {schema}.django_migrations")
            else:
                cursor.execute(sql, [schema])
            result[kind] = cursor.fetchone()[0]
    return result


def test_snapshot_clone_reproduces_the_template(haizhen, caplog):
    town = actions.request_onboarding(haizhen, enqueue=False)
    provision_town(town.pk)
    assert "no template snapshot" not in caplog.text  # the fast path ran, not the fallback
    assert _catalog_signature("town_320685100") == _catalog_signature("town_template")
