"""What the Citus plan (deploy/README.md, "Past one database server") depends on, checked on the real PostgreSQL
of the test suite (the migrated template and the session's town schemas): a town schema can be placed whole on
any node because nothing ties it to the public schema or to another town. No foreign key leaves a town schema or
points into one; no sequence a town column draws from lives elsewhere; no view spans schemas; the triggers on town tables (the
ledger's and the published policy's guards) call functions of their own schema that name no other schema."""

from __future__ import annotations

import pytest
from django.db import connection

SYSTEM = ("pg_catalog", "information_schema", "pg_toast")


def _town_schemas() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname <> 'public' AND nspname <> ALL(%s) "
            "AND nspname NOT LIKE 'pg\\_%%'",
            [list(SYSTEM)],
        )
        return sorted(row[0] for row in cursor.fetchall())


def _rows(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@pytest.mark.django_db
def test_the_town_schemas_are_there_with_their_own_foreign_keys():
    towns = _town_schemas()
    assert "town_template" in towns and len(towns) >= 4, towns
    inside = _rows(
        """SELECT count(*) FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
           WHERE c.contype = 'f' AND t.relnamespace = 'town_template'::regnamespace"""
    )[0][0]
    assert inside > 10  # the check below sees real constraints, not an empty catalogue


@pytest.mark.django_db
def test_no_foreign_key_crosses_a_schema_boundary():
    crossing = _rows(
        """SELECT c.conname, src.relnamespace::regnamespace::text, src.relname,
                  dst.relnamespace::regnamespace::text, dst.relname
           FROM pg_constraint c
           JOIN pg_class src ON src.oid = c.conrelid
           JOIN pg_class dst ON dst.oid = c.confrelid
           WHERE c.contype = 'f' AND src.relnamespace <> dst.relnamespace"""
    )
    # Neither town → public, nor town → another town, nor public → town.
    assert crossing == []


@pytest.mark.django_db
def test_town_columns_draw_from_their_own_schemas_sequences():
    foreign_sequences = _rows(
        """SELECT tbl.relnamespace::regnamespace::text, tbl.relname, seq.relnamespace::regnamespace::text, seq.relname
           FROM pg_depend d
           JOIN pg_attrdef ad ON ad.oid = d.objid AND d.classid = 'pg_attrdef'::regclass
           JOIN pg_class tbl ON tbl.oid = ad.adrelid
           JOIN pg_class seq ON seq.oid = d.refobjid AND seq.relkind = 'S'
           WHERE tbl.relnamespace <> seq.relnamespace"""
    )
    assert foreign_sequences == []


@pytest.mark.django_db
def test_no_view_spans_schemas_and_town_triggers_stay_in_their_schema():
    towns = _town_schemas()
    spanning_views = _rows(
        """SELECT DISTINCT v.relnamespace::regnamespace::text, v.relname, t.relnamespace::regnamespace::text
           FROM pg_rewrite r
           JOIN pg_class v ON v.oid = r.ev_class AND v.relkind IN ('v', 'm')
           JOIN pg_depend d ON d.objid = r.oid AND d.classid = 'pg_rewrite'::regclass
           JOIN pg_class t ON t.oid = d.refobjid AND d.refclassid = 'pg_class'::regclass
           WHERE v.relnamespace <> t.relnamespace
             AND v.relnamespace::regnamespace::text NOT IN ('pg_catalog', 'information_schema')"""
    )
    assert spanning_views == []
    # The ledger and policy guards are triggers; each calls a function of its own schema that names no other.
    triggers = _rows(
        """SELECT tbl.relnamespace::regnamespace::text, tbl.relname, tg.tgname,
                  fn.pronamespace::regnamespace::text, fn.prosrc
           FROM pg_trigger tg
           JOIN pg_class tbl ON tbl.oid = tg.tgrelid
           JOIN pg_proc fn ON fn.oid = tg.tgfoid
           WHERE NOT tg.tgisinternal AND tbl.relnamespace::regnamespace::text = ANY(%s)""",
        [towns],
    )
    assert triggers  # the guards are there
    for schema, table, trigger, function_schema, source in triggers:
        assert function_schema == schema, (schema, table, trigger, function_schema)
        named = {other for other in [*towns, "public"] if f"{other}." in source.lower()}
        assert not named, (schema, trigger, named)
