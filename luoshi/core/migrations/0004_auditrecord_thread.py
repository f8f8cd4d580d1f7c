"""AuditRecord.thread: the history a record belongs to ("ledger.task:12"), indexed with the id,
so a task's whole history (its own records, its milestones', its hand-offs', its reports') is
one index range read newest first.

Existing records are back-filled with the rule `luoshi.core.audit.thread_of` applies to new
ones (context["task"] when present, else the object itself). The hash covers a thread only where
it differs from that rule, so the back-filled chain still verifies. The append-only triggers of
migration 0003 are lifted for the back-fill and restored in the same transaction. (On SQLite,
adding the column rebuilds the table, which drops its triggers anyway.)"""

from collections import defaultdict

from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Concat

# The same statements as migration 0003 (kept here so this migration does not change if that
# module does).
SQLITE_CREATE = [
    """CREATE TRIGGER IF NOT EXISTS core_audit_no_update BEFORE UPDATE ON core_auditrecord
       BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;""",
    """CREATE TRIGGER IF NOT EXISTS core_audit_no_delete BEFORE DELETE ON core_auditrecord
       BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_audit_no_update;",
    "DROP TRIGGER IF EXISTS core_audit_no_delete;",
]
POSTGRES_DISABLE = ["ALTER TABLE core_auditrecord DISABLE TRIGGER core_audit_no_change;"]
POSTGRES_ENABLE = ["ALTER TABLE core_auditrecord ENABLE TRIGGER core_audit_no_change;"]


def _run(schema_editor, by_vendor):
    for sql in by_vendor.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def lift(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DISABLE})


def restore(apps, schema_editor):
    _run(schema_editor, {"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_ENABLE})


def _thread(object_type, object_id, context):
    """luoshi.core.audit.thread_of as of this migration."""
    task = context.get("task") if isinstance(context, dict) else None
    if task is not None and task != "":
        return f"ledger.task:{task}"
    return f"{object_type}:{object_id}"


def backfill(apps, schema_editor):
    records = apps.get_model("core", "AuditRecord").objects.using(schema_editor.connection.alias)
    # Records naming a task in their context (milestones, reports …): computed in Python by the
    # very rule the hash check applies, then written one thread at a time.
    by_thread = defaultdict(list)
    rows = records.filter(context__has_key="task").values_list(
        "id", "object_type", "object_id", "context"
    )
    for pk, object_type, object_id, context in rows.iterator(chunk_size=2000):
        by_thread[_thread(object_type, object_id, context)].append(pk)
    for key, ids in by_thread.items():
        for i in range(0, len(ids), 500):
            records.filter(pk__in=ids[i : i + 500]).update(thread=key)
    # Every other record is its own object's thread: one statement.
    records.filter(thread="").update(thread=Concat("object_type", Value(":"), "object_id"))


class Migration(migrations.Migration):
    dependencies = [("core", "0003_audit_append_only")]

    operations = [
        migrations.RunPython(lift, restore),
        migrations.AddField(
            model_name="auditrecord",
            name="thread",
            field=models.CharField(blank=True, default="", max_length=150, verbose_name="thread"),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="auditrecord",
            index=models.Index(fields=["thread", "id"], name="audit_thread_idx"),
        ),
        migrations.RunPython(restore, lift),
    ]
