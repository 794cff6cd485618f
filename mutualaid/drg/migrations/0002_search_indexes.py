"""Search indexes: code prefix (btree text_pattern_ops) everywhere, name substring (pg_trgm GIN) where available.

``code__istartswith`` compiles to ``UPPER("code"::text) LIKE UPPER('A01%')``; the expression indexes below match
it exactly, so prefix look-ups are index range scans.

The embedded PostgreSQL (pgserver wheel) ships no pg_trgm: there the trigram part does nothing and a name
substring search scans a few tens of thousands of short rows (a few milliseconds). On a full PostgreSQL the
extension and the GIN indexes are created.
"""

from django.db import migrations

PREFIX = """
CREATE INDEX IF NOT EXISTS drg_drg_code_prefix ON drg_drg (UPPER(code::text) text_pattern_ops);
CREATE INDEX IF NOT EXISTS drg_icdcode_code_prefix ON drg_icdcode (kind, UPPER(code::text) text_pattern_ops);
"""

TRIGRAM = """
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
DROP INDEX IF EXISTS drg_drg_code_prefix;
DROP INDEX IF EXISTS drg_icdcode_code_prefix;
DROP INDEX IF EXISTS drg_drg_name_trgm;
DROP INDEX IF EXISTS drg_icdcode_name_trgm;
"""


class Migration(migrations.Migration):
    dependencies = [("drg", "0001_initial")]

    operations = [migrations.RunSQL(PREFIX + TRIGRAM, REVERSE)]
