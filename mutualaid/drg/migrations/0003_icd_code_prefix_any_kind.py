"""A code-prefix index on ICD codes without the kind column, for searches across diagnoses and procedures
(``kind`` first in 0002's index makes a prefix search without a kind a sequential scan; PostgreSQL 16 has no skip
scan). Diagnosis codes start with a letter and procedure codes with a digit, so the prefix alone is selective."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("drg", "0002_search_indexes")]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS drg_icdcode_code_prefix_any ON drg_icdcode (UPPER(code::text) text_pattern_ops);",
            "DROP INDEX IF EXISTS drg_icdcode_code_prefix_any;",
        )
    ]
