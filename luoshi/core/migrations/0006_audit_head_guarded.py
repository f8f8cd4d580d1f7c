"""The chain head only moves forward and is never deleted; on PostgreSQL the audit tables also
refuse TRUNCATE (row triggers do not see it). `keyed_from`: records written from now on are
hashed with the audit key; the ones before keep their plain SHA-256 and still verify.

The TRUNCATE guard lets a statement through when the session sets luoshi.audit_flush = 'on':
the test suite's flush between tests does. It protects against a careless TRUNCATE, not
against someone who can drop triggers: the audit key and the checkpoints do that."""

from django.db import migrations, models

SQLITE = [
    """CREATE TRIGGER IF NOT EXISTS core_audithead_forward BEFORE UPDATE ON core_audithead
       WHEN NEW.id != OLD.id OR NEW.last_id < OLD.last_id
         OR (NEW.last_id = OLD.last_id AND NEW.last_hash != OLD.last_hash)
         OR NEW.keyed_from != OLD.keyed_from
       BEGIN SELECT RAISE(ABORT, 'the audit chain head only moves forward'); END;""",
    """CREATE TRIGGER IF NOT EXISTS core_audithead_no_delete BEFORE DELETE ON core_audithead
       BEGIN SELECT RAISE(ABORT, 'the audit chain head cannot be deleted'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_audithead_forward;",
    "DROP TRIGGER IF EXISTS core_audithead_no_delete;",
]
POSTGRES = [
    """CREATE OR REPLACE FUNCTION core_audithead_forward() RETURNS trigger AS $$
       BEGIN
         IF TG_OP = 'DELETE' THEN
           RAISE EXCEPTION 'the audit chain head cannot be deleted';
         END IF;
         IF NEW.id <> OLD.id OR NEW.last_id < OLD.last_id
            OR (NEW.last_id = OLD.last_id AND NEW.last_hash <> OLD.last_hash)
            OR NEW.keyed_from <> OLD.keyed_from THEN
           RAISE EXCEPTION 'the audit chain head only moves forward';
         END IF;
         RETURN NEW;
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER core_audithead_forward BEFORE UPDATE OR DELETE ON core_audithead
       FOR EACH ROW EXECUTE FUNCTION core_audithead_forward();""",
    """CREATE OR REPLACE FUNCTION core_audit_no_truncate() RETURNS trigger AS $$
       BEGIN
         IF current_setting('luoshi.audit_flush', true) = 'on' THEN
           RETURN NULL;
         END IF;
         RAISE EXCEPTION 'the audit trail cannot be truncated';
       END; $$ LANGUAGE plpgsql;""",
    """CREATE TRIGGER core_audit_no_truncate BEFORE TRUNCATE ON core_auditrecord
       FOR EACH STATEMENT EXECUTE FUNCTION core_audit_no_truncate();""",
    """CREATE TRIGGER core_audithead_no_truncate BEFORE TRUNCATE ON core_audithead
       FOR EACH STATEMENT EXECUTE FUNCTION core_audit_no_truncate();""",
]
POSTGRES_DROP = [
    "DROP TRIGGER IF EXISTS core_audithead_forward ON core_audithead;",
    "DROP FUNCTION IF EXISTS core_audithead_forward();",
    "DROP TRIGGER IF EXISTS core_audit_no_truncate ON core_auditrecord;",
    "DROP TRIGGER IF EXISTS core_audithead_no_truncate ON core_audithead;",
    "DROP FUNCTION IF EXISTS core_audit_no_truncate();",
]


def forwards(apps, schema_editor):
    AuditHead = apps.get_model("core", "AuditHead")
    AuditRecord = apps.get_model("core", "AuditRecord")
    last = AuditRecord.objects.order_by("-id").first()
    if last is not None:
        # The chain so far stays unkeyed; a missing head is put back where the chain ends.
        AuditHead.objects.update_or_create(
            pk=1,
            defaults={"last_id": last.id, "last_hash": last.hash, "keyed_from": last.id + 1},
        )
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE, "postgresql": POSTGRES}.get(vendor, []):
        schema_editor.execute(sql)


def backwards(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for sql in {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}.get(vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_field_labels")]
    operations = [
        migrations.AddField(
            model_name="audithead",
            name="keyed_from",
            field=models.BigIntegerField(default=1, verbose_name="keyed from record"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
