"""Participation figures served from a cache that can never be stale (issue 22 item 16; the reasoning is in
``mutualaid/enrolment/participation.py``):

- ``enrolment_participation_change``: one row per transaction that wrote a table participation reads (villages,
  households, members, enrolments, contributions, reversals), its 64-bit transaction id, written by statement
  triggers — so ORM writes, raw SQL, the roster import's COPY and the admin are all seen, and a rolled-back
  transaction leaves no row. Inserts of different transactions never wait for one another (no shared counter row);
- ``enrolment_participation_figures``: per scheme year and the terms that shape the counts, the villages' figures
  and the snapshot they were computed under. A row is valid while every change row the reader sees was visible
  in that snapshot.

Functions resolve tables through TG_TABLE_SCHEMA (as the ledger guards do), so they never depend on the session's
search_path; they and the triggers are copied with the template schema when a town is cloned.
"""

from django.db import migrations

TABLES = (
    "enrolment_village",
    "enrolment_household",
    "enrolment_member",
    "enrolment_enrolment",
    "enrolment_contribution",
    "enrolment_contributionreversal",
)

CREATE = r"""
CREATE TABLE enrolment_participation_change (xid xid8 PRIMARY KEY);
CREATE TABLE enrolment_participation_figures (
    terms_key text PRIMARY KEY,
    snapshot pg_snapshot NOT NULL,
    villages jsonb NOT NULL,
    computed_at timestamptz NOT NULL DEFAULT now()
);
CREATE FUNCTION enrolment_participation_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format(
        'INSERT INTO %I.enrolment_participation_change (xid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING',
        TG_TABLE_SCHEMA
    );
    RETURN NULL;
END
$$;
""" + "".join(
    f"""
CREATE TRIGGER {table}_participation_changed AFTER INSERT OR UPDATE OR DELETE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION enrolment_participation_changed();
CREATE TRIGGER {table}_participation_truncated AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION enrolment_participation_changed();
"""
    for table in TABLES
)

DROP = (
    "".join(
        f"DROP TRIGGER {table}_participation_changed ON {table};\n"
        f"DROP TRIGGER {table}_participation_truncated ON {table};\n"
        for table in TABLES
    )
    + """
DROP FUNCTION enrolment_participation_changed();
DROP TABLE enrolment_participation_figures;
DROP TABLE enrolment_participation_change;
"""
)


class Migration(migrations.Migration):
    dependencies = [
        ("enrolment", "0006_roster_files_encrypted_at_rest"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
