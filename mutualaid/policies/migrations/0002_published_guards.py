"""PostgreSQL guards, so that a raw write cannot change a published policy (the models refuse first):

- a published ``policies_policyversion`` row cannot be updated or deleted;
- the subsidy entries of a published version cannot be inserted, updated or deleted.

Functions resolve tables through TG_TABLE_SCHEMA, never the session's search_path; they and the triggers are
copied with the template schema when a town is cloned.
"""

from django.db import migrations

GUARDS = r"""
CREATE FUNCTION policies_published_version_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'published' THEN
        RAISE EXCEPTION 'published policy version % is immutable', OLD.id USING ERRCODE = 'check_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER policies_published_version_guard BEFORE UPDATE OR DELETE ON policies_policyversion
    FOR EACH ROW EXECUTE FUNCTION policies_published_version_guard();

CREATE FUNCTION policies_published_entry_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    parent_status text;
    parent_id bigint;
BEGIN
    FOR parent_id IN SELECT DISTINCT x FROM unnest(ARRAY[
        CASE WHEN TG_OP <> 'INSERT' THEN OLD.policy_id END,
        CASE WHEN TG_OP <> 'DELETE' THEN NEW.policy_id END]) AS x WHERE x IS NOT NULL
    LOOP
        EXECUTE format('SELECT status FROM %I.policies_policyversion WHERE id = $1', TG_TABLE_SCHEMA)
            INTO parent_status USING parent_id;
        IF parent_status = 'published' THEN
            RAISE EXCEPTION 'the subsidy table of published policy version % is immutable', parent_id
                USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER policies_published_entry_guard BEFORE INSERT OR UPDATE OR DELETE ON policies_subsidyentry
    FOR EACH ROW EXECUTE FUNCTION policies_published_entry_guard();
"""

DROP_GUARDS = r"""
DROP TRIGGER IF EXISTS policies_published_entry_guard ON policies_subsidyentry;
DROP FUNCTION IF EXISTS policies_published_entry_guard();
DROP TRIGGER IF EXISTS policies_published_version_guard ON policies_policyversion;
DROP FUNCTION IF EXISTS policies_published_version_guard();
"""


class Migration(migrations.Migration):
    dependencies = [("policies", "0001_initial")]

    operations = [migrations.RunSQL(GUARDS, DROP_GUARDS)]
