"""pg_trgm GIN indexes for name substring search, where the server ships pg_trgm.

The embedded PostgreSQL (pgserver wheel) has no pg_trgm: there the migration does nothing and name search is a
sequential scan of a few tens of thousands of rows (well under the type-ahead budget). On a full PostgreSQL the
extension and the indexes are created. Index names are stable so the reverse can drop them.
"""

from django.db import migrations

FORWARD = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
        CREATE INDEX IF NOT EXISTS drg_drg_name_trgm ON drg_drg USING gin (name gin_trgm_ops);
        CREATE INDEX IF NOT EXISTS drg_icdcode_name_trgm ON drg_icdcode USING gin (name gin_trgm_ops);
    END IF;
END
$$;
"""

REVERSE = """
DROP INDEX IF EXISTS drg_drg_name_trgm;
DROP INDEX IF EXISTS drg_icdcode_name_trgm;
"""


class Migration(migrations.Migration):
    dependencies = [("drg", "0001_initial")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
