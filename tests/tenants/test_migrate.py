"""mutualaid migrate: skip up-to-date schemas (one query), migrate the rest in parallel, survive one failure."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mutualaid.tenants.migration import migrate_schemas, stale_schemas
from mutualaid.tenants.models import Town

SHARED = ["town_template", "town_320685107", "town_320685109", "town_500152116"]


def _create_schema(name: str, broken: bool = False) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}")
        if broken:  # a table in the way of the first migration that creates it
            cursor.execute(f"CREATE TABLE {name}.audit_auditevent (nonsense int)")


def test_up_to_date_schemas_are_found_with_one_query(towns):
    _create_schema("town_stale_probe")
    with CaptureQueriesContext(connection) as captured:
        stale = stale_schemas([*SHARED, "town_stale_probe", "town_missing_probe"])
    assert stale == ["town_stale_probe", "town_missing_probe"]
    assert len(captured) == 2  # which schemas have the table, then one UNION ALL over them


@pytest.fixture
def scratch_towns(transactional_db):
    from tests.conftest import ensure_towns

    ensure_towns()
    names = ["town_scratch_a", "town_scratch_b", "town_scratch_bad"]
    yield names
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP SCHEMA IF EXISTS {name} CASCADE")


def test_parallel_migration_reports_one_failure_and_finishes_the_others(scratch_towns):
    good_a, good_b, bad = scratch_towns
    for name in scratch_towns:
        _create_schema(name, broken=name == bad)
    results = migrate_schemas(scratch_towns, concurrency=2)
    outcome = {r.schema_name: r.ok for r in results}
    assert outcome == {good_a: True, good_b: True, bad: False}
    assert "audit_auditevent" in next(r.error for r in results if not r.ok)
    assert stale_schemas(scratch_towns) == [bad]

    # Fixing the town and re-running finishes the job.
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {bad}.audit_auditevent")
    assert all(r.ok for r in migrate_schemas([bad], concurrency=2))
    assert stale_schemas(scratch_towns) == []


def test_migrate_command_skips_up_to_date_towns_and_fails_loudly_for_a_broken_one(scratch_towns, capsys):
    from mutualaid.platform.regions.models import County

    bad = scratch_towns[2]
    _create_schema(bad, broken=True)
    Town.objects.create(
        code="320685199",
        name="坏镇",
        slug="bad",
        schema_name=bad,
        county=County.objects.first(),
        status="active",
    )
    with pytest.raises(CommandError, match="1 个乡镇迁移失败"):
        call_command("migrate_all", no_progress=True, concurrency=2)
    out = capsys.readouterr().out
    assert "乡镇 4 个，需迁移 1 个" in out
