"""Migrating many town schemas: find the stale ones with one query, migrate them in parallel processes within a
connection budget, report progress, and keep going when one town fails (re-running finishes the job)."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core.management import call_command
from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.utils import get_tenant_base_migrate_command_class, schema_exists

from mutualaid.platform.schemas import tenant_connection, use_public_schema


@dataclass(frozen=True)
class SchemaResult:
    schema_name: str
    ok: bool
    error: str = ""


def template_schema() -> str:
    return settings.TENANT_TEMPLATE_SCHEMA


def expected_migrations() -> set[tuple[str, str]]:
    """Every migration on disk: Django records all apps' migrations in each schema (the router skips the rest)."""
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


def stale_schemas(schema_names: Iterable[str]) -> list[str]:
    """The schemas missing any migration on disk, found with a single query over all of them."""
    names = list(schema_names)
    if not names:
        return []
    expected = sorted(f"{app}.{name}" for app, name in expected_migrations())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid "
            "WHERE c.relname = 'django_migrations' AND n.nspname = ANY(%s)",
            [names],
        )
        with_table = {row[0] for row in cursor.fetchall()}
        up_to_date: set[str] = set()
        if with_table:
            parts = [
                f"SELECT %s, count(*) FROM {connection.ops.quote_name(name)}.django_migrations "
                "WHERE app || '.' || name = ANY(%s)"
                for name in sorted(with_table)
            ]
            params: list = []
            for name in sorted(with_table):
                params += [name, expected]
            cursor.execute(" UNION ALL ".join(parts), params)
            up_to_date = {name for name, count in cursor.fetchall() if count == len(expected)}
    return [name for name in names if name not in up_to_date]


def migrate_schema(schema_name: str, verbosity: int = 0) -> None:
    """Create the schema if needed and apply every pending migration to it."""
    if not schema_exists(schema_name):
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {connection.ops.quote_name(schema_name)}")
    conn = tenant_connection()
    conn.set_schema(schema_name, include_public=False)
    MigrationRecorder(connection).ensure_schema()  # else the public django_migrations table is found
    conn.set_schema(schema_name)
    try:
        command = get_tenant_base_migrate_command_class()()
        call_command(command, interactive=False, verbosity=verbosity, skip_checks=True)
    finally:
        use_public_schema()


def migrate_public(verbosity: int = 0) -> None:
    use_public_schema()
    command = get_tenant_base_migrate_command_class()()
    call_command(command, interactive=False, verbosity=verbosity, skip_checks=True)


def ensure_template_schema() -> None:
    name = template_schema()
    if stale_schemas([name]):
        migrate_schema(name)


def _migrate_one(schema_name: str) -> SchemaResult:
    try:
        migrate_schema(schema_name)
        return SchemaResult(schema_name, True)
    except Exception as exc:  # one town's failure must not stop the others
        connection.close()
        return SchemaResult(schema_name, False, f"{type(exc).__name__}: {exc}")


def migrate_schemas(
    schema_names: list[str], concurrency: int, on_result: Callable[[SchemaResult], None] | None = None
) -> list[SchemaResult]:
    results: list[SchemaResult] = []
    if not schema_names:
        return results
    if concurrency <= 1 or len(schema_names) == 1:
        for name in schema_names:
            result = _migrate_one(name)
            results.append(result)
            if on_result:
                on_result(result)
        return results
    connections.close_all()  # forked children must not share the parent's socket
    context = multiprocessing.get_context("fork")
    with context.Pool(processes=min(concurrency, len(schema_names))) as pool:
        for result in pool.imap_unordered(_migrate_one, schema_names):
            results.append(result)
            if on_result:
                on_result(result)
    return results
