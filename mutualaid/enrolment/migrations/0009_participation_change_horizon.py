"""The horizon below which participation's change rows are pruned (``participation.prune_changes``).

One row per town schema. Pruning raises it to the oldest running transaction and deletes the change rows and the
stored figures below it; a store whose snapshot began below the horizon is refused, so no stored figures can outlive
the change rows that would invalidate them. The store reads the row FOR SHARE, so a prune in progress is waited for
and its new horizon is the one compared.
"""

from django.db import migrations

CREATE = """
CREATE TABLE enrolment_participation_horizon (
    id smallint PRIMARY KEY CHECK (id = 1),
    horizon xid8 NOT NULL
);
INSERT INTO enrolment_participation_horizon (id, horizon) VALUES (1, '0'::xid8);
"""
DROP = "DROP TABLE enrolment_participation_horizon;"


class Migration(migrations.Migration):
    dependencies = [
        ("enrolment", "0008_household_village_number_index"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
