"""AuditRecord.thread: set on every record, covered by the hash where it is not the default,
and back-filled by migration 0004 so records written before it still verify."""

import hashlib
import json

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from luoshi.core import audit
from luoshi.core.actors import system_actor
from luoshi.core.models import AuditHead, AuditRecord

BEFORE, AFTER = ("core", "0003_audit_append_only"), ("core", "0004_auditrecord_thread")


def _write(entries):
    with transaction.atomic():
        return audit.record(system_actor(), entries)


def test_thread_is_the_task_named_in_the_context_else_the_object(db):
    _write(
        [
            audit.Entry("update", "ledger.task", 7, "7"),
            audit.Entry("create", "ledger.milestone", 3, "m", {"date": [None, "x"]}, {"task": 7}),
            audit.Entry("submit", "dispatch.report", 9, "r", {}, {"task": 7}),
            audit.Entry("update", "org.unit", 2, "u"),
            audit.Entry("update", "x.thing", 1, "t", thread="x.bundle:5"),
        ]
    )
    threads = list(AuditRecord.objects.order_by("id").values_list("thread", flat=True))
    assert threads == ["ledger.task:7"] * 3 + ["org.unit:2", "x.bundle:5"]
    assert [r.object_type for r in audit.thread("ledger.task", 7)] == [
        "dispatch.report",
        "ledger.milestone",
        "ledger.task",
    ]
    assert audit.verify_chain()[0]


def _tamper(pk, thread):
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("DROP TRIGGER core_audit_no_update")
        else:
            cur.execute("ALTER TABLE core_auditrecord DISABLE TRIGGER core_audit_no_change")
        cur.execute("UPDATE core_auditrecord SET thread = %s WHERE id = %s", [thread, pk])


@pytest.mark.parametrize("explicit", [False, True])
def test_moving_a_record_to_another_thread_breaks_the_chain(db, explicit):
    kw = {"thread": "x.bundle:5"} if explicit else {}
    (rec,) = _write([audit.Entry("update", "ledger.milestone", 3, "m", {}, {"task": 7}, **kw)])
    assert audit.verify_chain()[0]
    _tamper(rec.pk, "ledger.task:8")
    ok, _count, message = audit.verify_chain()
    assert not ok and "content" in message


def _old_digest(prev, at, actor_id, actor_name, action, otype, oid, orepr, changes, context):
    """The hash as written before the thread column existed."""
    payload = json.dumps(
        [prev, at.isoformat(), actor_id, actor_name, action, otype, oid, orepr, changes, context],
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


@pytest.mark.django_db(transaction=True)
def test_migration_fills_the_thread_of_older_records_and_the_chain_still_verifies():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    try:
        old_apps = executor.loader.project_state(BEFORE).apps
        Old = old_apps.get_model("core", "AuditRecord")
        at = timezone.now()
        specs = [
            ("create", "ledger.task", "11", {"title": [None, "t"]}, {}),
            ("create", "ledger.milestone", "4", {"date": [None, "2026-06-30"]}, {"task": 11}),
            ("update", "dispatch.report", "5", {"percent": [10, 20]}, {"task": 11, "x": 1}),
            ("import", "ledger.plan", "2", {"new": [0, 1]}, {"file": "abc", "rows": 1}),
            ("close", "dispatch.cycle", "8", {"missed": [0, 1]}, {"task": None}),
        ]
        prev, rows = audit.GENESIS, []
        for action, otype, oid, changes, context in specs:
            digest = _old_digest(prev, at, None, "系统", action, otype, oid, "", changes, context)
            rows.append(
                Old(
                    at=at,
                    actor_name="系统",
                    action=action,
                    object_type=otype,
                    object_id=oid,
                    object_repr="",
                    changes=changes,
                    context=context,
                    prev_hash=prev,
                    hash=digest,
                )
            )
            prev = digest
        Old.objects.bulk_create(rows)
        last = Old.objects.get(hash=prev).pk
        old_apps.get_model("core", "AuditHead").objects.update_or_create(
            pk=1, defaults={"last_id": last, "last_hash": prev}
        )
    finally:
        executor.loader.build_graph()
        executor.migrate([AFTER])
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    threads = list(AuditRecord.objects.order_by("id").values_list("thread", flat=True))
    assert threads == [
        "ledger.task:11",
        "ledger.task:11",
        "ledger.task:11",
        "ledger.plan:2",
        "dispatch.cycle:8",
    ]
    assert audit.verify_chain() == (True, 5, "ok")
    assert AuditHead.objects.get().last_hash == prev
    # The append-only triggers are back.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.update(thread="forged")
    # New records extend the back-filled chain.
    _write([audit.Entry("update", "ledger.task", 11, "t", {"title": ["t", "u"]})])
    assert audit.verify_chain() == (True, 6, "ok")
    assert len(list(audit.thread("ledger.task", 11))) == 4
