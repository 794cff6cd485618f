"""PostgreSQL guards of the ledger, so that a raw write cannot bypass the model's rules:

- journal entries and lines are append-only: UPDATE, DELETE and TRUNCATE raise;
- a deferred constraint trigger checks, at commit (or at ``SET CONSTRAINTS ... IMMEDIATE``), that every entry has
  at least two lines, that its lines' debits and credits both equal the total its header declares, that the line
  count matches the header, and that every line is in the entry's scheme year. Because the header is immutable,
  lines can neither be added to nor removed from a committed entry;
- a closed scheme year cannot be reopened and fund-year rows cannot be deleted;
- the fixed chart of accounts is seeded (``mutualaid.funds.ledger.ensure_chart`` adds accounts added later).

Functions resolve tables through TG_TABLE_SCHEMA, so they never depend on the session's search_path; they and
the triggers are copied with the template schema when a town is cloned.
"""

from django.db import migrations

GUARDS = r"""
CREATE FUNCTION funds_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '%.%: 已记账的凭证只能追加，不可 % (append-only ledger)', TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$;

CREATE TRIGGER funds_entry_append_only BEFORE UPDATE OR DELETE ON funds_journalentry
    FOR EACH ROW EXECUTE FUNCTION funds_append_only();
CREATE TRIGGER funds_line_append_only BEFORE UPDATE OR DELETE ON funds_journalline
    FOR EACH ROW EXECUTE FUNCTION funds_append_only();
CREATE TRIGGER funds_entry_no_truncate BEFORE TRUNCATE ON funds_journalentry
    FOR EACH STATEMENT EXECUTE FUNCTION funds_append_only();
CREATE TRIGGER funds_line_no_truncate BEFORE TRUNCATE ON funds_journalline
    FOR EACH STATEMENT EXECUTE FUNCTION funds_append_only();

CREATE FUNCTION funds_check_entry_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    v_entry_id bigint;
    v_total bigint;
    v_count integer;
    v_year integer;
    v_debit bigint;
    v_credit bigint;
    v_lines integer;
    v_other_year integer;
BEGIN
    IF TG_TABLE_NAME = 'funds_journalentry' THEN
        v_entry_id := NEW.id;
    ELSE
        v_entry_id := NEW.entry_id;
    END IF;
    EXECUTE format('SELECT total_fen, line_count, scheme_year FROM %I.funds_journalentry WHERE id = $1',
                   TG_TABLE_SCHEMA)
        INTO v_total, v_count, v_year USING v_entry_id;
    IF v_total IS NULL THEN
        RAISE EXCEPTION 'journal line of a missing entry %', v_entry_id USING ERRCODE = 'check_violation';
    END IF;
    EXECUTE format('SELECT coalesce(sum(amount_fen) FILTER (WHERE side = ''debit''), 0), '
                   'coalesce(sum(amount_fen) FILTER (WHERE side = ''credit''), 0), count(*), '
                   'count(*) FILTER (WHERE scheme_year <> $2) '
                   'FROM %I.funds_journalline WHERE entry_id = $1', TG_TABLE_SCHEMA)
        INTO v_debit, v_credit, v_lines, v_other_year USING v_entry_id, v_year;
    IF v_lines < 2 OR v_lines <> v_count OR v_debit <> v_total OR v_credit <> v_total OR v_other_year > 0 THEN
        RAISE EXCEPTION '凭证 % 借贷不平衡 (unbalanced entry): debit %, credit %, % lines; header total %, % lines',
            v_entry_id, v_debit, v_credit, v_lines, v_total, v_count
            USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER funds_entry_balanced AFTER INSERT ON funds_journalentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION funds_check_entry_balanced();
CREATE CONSTRAINT TRIGGER funds_line_balanced AFTER INSERT ON funds_journalline
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION funds_check_entry_balanced();

CREATE FUNCTION funds_year_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION '互助年度资金池不可删除 (fund years cannot be deleted)'
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF OLD.status = 'closed' AND (NEW.status <> 'closed' OR NEW.scheme_year <> OLD.scheme_year) THEN
        RAISE EXCEPTION '%年度已结账，不可重新打开 (a closed year stays closed)', OLD.scheme_year
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER funds_year_guard BEFORE UPDATE OR DELETE ON funds_fundyear
    FOR EACH ROW EXECUTE FUNCTION funds_year_guard();
"""

DROP_GUARDS = r"""
DROP TRIGGER IF EXISTS funds_year_guard ON funds_fundyear;
DROP FUNCTION IF EXISTS funds_year_guard();
DROP TRIGGER IF EXISTS funds_line_balanced ON funds_journalline;
DROP TRIGGER IF EXISTS funds_entry_balanced ON funds_journalentry;
DROP FUNCTION IF EXISTS funds_check_entry_balanced();
DROP TRIGGER IF EXISTS funds_line_no_truncate ON funds_journalline;
DROP TRIGGER IF EXISTS funds_entry_no_truncate ON funds_journalentry;
DROP TRIGGER IF EXISTS funds_line_append_only ON funds_journalline;
DROP TRIGGER IF EXISTS funds_entry_append_only ON funds_journalentry;
DROP FUNCTION IF EXISTS funds_append_only();
"""


def seed_chart(apps, schema_editor):
    # The live chart definition: ensure_chart() keeps later additions in step, so this only needs today's list.
    from mutualaid.funds.chart import chart

    Account = apps.get_model("funds", "Account")
    Account.objects.bulk_create(
        [
            Account(code=a.code, key=a.key, name=a.name, kind=a.kind, normal_side=a.normal_side, source=a.source)
            for a in chart()
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [("funds", "0001_initial")]

    operations = [
        migrations.RunSQL(GUARDS, DROP_GUARDS),
        migrations.RunPython(seed_chart, migrations.RunPython.noop),
    ]
