"""PostgreSQL triggers that hold R9 in the database: an issued statement and its lines never change.

Only marking an issued statement paid (status, paid_at, paid_by) is let through. Any other UPDATE or DELETE of a
non-draft statement, and any INSERT/UPDATE/DELETE of a line of a non-draft statement, raises an integrity error
(Django: IntegrityError), whoever runs it (ORM queryset, raw SQL, psql). The whole row is compared, so a column
added later is frozen by default.

On SQLite (the embedded default) the models' save()/delete() guards and the services hold it: SQLite rebuilds a
table on most ALTERs and would silently drop triggers, so we do not pretend there.
"""

from django.db import migrations

CREATE = r"""
CREATE OR REPLACE FUNCTION billing_statement_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.status <> 'draft' THEN
            RAISE EXCEPTION 'statement_issued: statement % is issued and cannot be deleted', OLD.id
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.status <> 'draft' AND (
        (to_jsonb(NEW) - 'status' - 'paid_at' - 'paid_by_id') IS DISTINCT FROM
        (to_jsonb(OLD) - 'status' - 'paid_at' - 'paid_by_id')
        OR NOT (NEW.status = OLD.status OR (OLD.status = 'issued' AND NEW.status = 'paid'))
        OR (OLD.status = 'paid' AND (NEW.paid_at IS DISTINCT FROM OLD.paid_at
                                     OR NEW.paid_by_id IS DISTINCT FROM OLD.paid_by_id))
    ) THEN
        RAISE EXCEPTION 'statement_issued: statement % is issued and cannot be changed', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER billing_statement_frozen BEFORE UPDATE OR DELETE ON billing_statement
    FOR EACH ROW EXECUTE FUNCTION billing_statement_frozen();

CREATE OR REPLACE FUNCTION billing_statementline_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND EXISTS (
        SELECT 1 FROM billing_statement WHERE id = OLD.statement_id AND status <> 'draft'
    ) THEN
        RAISE EXCEPTION 'statement_issued: line % belongs to an issued statement', OLD.id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND EXISTS (
        SELECT 1 FROM billing_statement WHERE id = NEW.statement_id AND status <> 'draft'
    ) THEN
        RAISE EXCEPTION 'statement_issued: statement % is issued and takes no more lines', NEW.statement_id
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER billing_statementline_frozen BEFORE INSERT OR UPDATE OR DELETE ON billing_statementline
    FOR EACH ROW EXECUTE FUNCTION billing_statementline_frozen();
"""

DROP = r"""
DROP TRIGGER IF EXISTS billing_statementline_frozen ON billing_statementline;
DROP FUNCTION IF EXISTS billing_statementline_frozen();
DROP TRIGGER IF EXISTS billing_statement_frozen ON billing_statement;
DROP FUNCTION IF EXISTS billing_statement_frozen();
"""


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0002_statements")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
