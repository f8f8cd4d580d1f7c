"""Tampering with the audit trail from inside the database is detected (issue #12): the head
neither moves back nor disappears, a missing head is an error, a rewritten record cannot be
rehashed without the audit key, removed newest records are caught by the checkpoints kept
outside the database, and PostgreSQL refuses TRUNCATE."""

import hashlib
import json

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from luoshi.core import audit
from luoshi.core.actors import system_actor
from luoshi.core.models import AuditHead, AuditRecord


def _write(n, start=0):
    with transaction.atomic():
        audit.record(
            system_actor(),
            [
                audit.Entry("update", "test.thing", i, f"thing {i}", {"x": [i, i + 1]})
                for i in range(start, start + n)
            ],
        )


def _lift_triggers():
    """What someone with the database's credentials can do: take the triggers away."""
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            for name in (
                "core_audit_no_update",
                "core_audit_no_delete",
                "core_audithead_forward",
                "core_audithead_no_delete",
            ):
                cur.execute(f"DROP TRIGGER IF EXISTS {name}")
        else:
            cur.execute("ALTER TABLE core_auditrecord DISABLE TRIGGER USER")
            cur.execute("ALTER TABLE core_audithead DISABLE TRIGGER USER")


@pytest.fixture
def checkpoints(settings, tmp_path):
    settings.LUOSHI_AUDIT_CHECKPOINTS = tmp_path / "checkpoints.jsonl"
    return settings.LUOSHI_AUDIT_CHECKPOINTS


def test_the_head_only_moves_forward(db):
    _write(2)
    head = AuditHead.objects.get()
    for change in (
        {"last_id": head.last_id - 1},
        {"last_hash": "f" * 64},
        {"keyed_from": head.keyed_from + 100},
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            AuditHead.objects.filter(pk=1).update(**change)
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditHead.objects.filter(pk=1).delete()
    _write(1)  # moving forward is what writing does
    assert audit.verify_chain() == (True, 3, "ok")


def test_a_missing_head_is_an_error(db):
    _write(2)
    _lift_triggers()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_audithead")
    ok, _count, message = audit.verify_chain()
    assert not ok and "head is missing" in message


def _plain(prev, rec):
    return audit._digest(prev, rec, None)


@pytest.mark.parametrize("rehash_with", ["sha256", "another key"])
def test_a_rewritten_record_cannot_be_rehashed_without_the_key(db, rehash_with):
    _write(4)
    _lift_triggers()
    records = list(AuditRecord.objects.order_by("id"))
    records[1].changes = {"x": [1, 999]}
    prev = records[0].hash
    for rec in records[1:]:
        key = None if rehash_with == "sha256" else b"not the audit key"
        rec.prev_hash, rec.hash = prev, audit._digest(prev, rec, key)
        prev = rec.hash
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE core_auditrecord SET changes = %s, prev_hash = %s, hash = %s WHERE id = %s",
                [json.dumps(rec.changes), rec.prev_hash, rec.hash, rec.id],
            )
    with connection.cursor() as cur:
        cur.execute("UPDATE core_audithead SET last_hash = %s", [prev])
    ok, count, message = audit.verify_chain()
    assert not ok and count == 1 and "content does not match" in message


def test_removing_the_newest_records_is_caught_by_a_checkpoint(db, checkpoints, caplog):
    _write(3)
    with caplog.at_level("INFO", logger="luoshi.audit"):
        cp = audit.checkpoint()
    assert cp["last_id"] == AuditRecord.objects.order_by("-id").first().id
    assert "audit checkpoint" in caplog.text  # the log keeps a copy too
    _write(2, start=3)
    assert audit.verify_chain() == (True, 5, "ok")
    # Delete the last three and move the head back to the new end: consistent inside the DB.
    _lift_triggers()
    keep = list(AuditRecord.objects.order_by("id"))[:2]
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditrecord WHERE id > %s", [keep[-1].id])
        cur.execute(
            "UPDATE core_audithead SET last_id = %s, last_hash = %s", [keep[-1].id, keep[-1].hash]
        )
    assert audit.verify_chain(checkpoints=False) == (True, 2, "ok")
    ok, _count, message = audit.verify_chain()
    assert not ok and f"record {cp['last_id']}" in message and "gone" in message


def test_a_forged_checkpoint_line_is_refused(db, checkpoints):
    _write(2)
    audit.checkpoint()
    line = json.loads(checkpoints.read_text())
    line["last_id"] = 1
    line["mac"] = hashlib.sha256(b"guess").hexdigest()
    checkpoints.write_text(json.dumps(line) + "\n")
    ok, _count, message = audit.verify_chain()
    assert not ok and "not written with this audit key" in message


def test_checkpoints_of_another_database_are_ignored(db, checkpoints):
    _write(2)
    audit.checkpoint()
    chain = json.loads(checkpoints.read_text())["chain"]
    _lift_triggers()
    with connection.cursor() as cur:
        cur.execute("DELETE FROM core_auditrecord")
        cur.execute("DELETE FROM core_audithead")
    _write(1)  # a new chain: other first record
    assert audit._chain_id() != chain
    assert audit.verify_chain() == (True, 1, "ok")


def test_audit_verify_writes_a_checkpoint(db, checkpoints, capsys):
    _write(2)
    call_command("audit_verify")
    assert "intact: 2 records" in capsys.readouterr().out
    (line,) = checkpoints.read_text().splitlines()
    assert json.loads(line)["last_id"] == AuditHead.objects.get().last_id


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_postgresql_refuses_truncate(db):
    _write(1)
    with connection.cursor() as cur:
        cur.execute("RESET luoshi.audit_flush")
    for table in ("core_auditrecord", "core_audithead"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"TRUNCATE {table}")
    assert AuditRecord.objects.count() == 1


def test_the_deploy_check_warns_while_the_key_is_derived(settings):
    from luoshi.core.checks import audit_key

    settings.LUOSHI_AUDIT_KEY = ""
    assert [w.id for w in audit_key(None)] == ["luoshi.W002"]
    settings.LUOSHI_AUDIT_KEY = "k" * 40
    assert audit_key(None) == []
