"""The audit trail is append-only and hash-chained."""

import pytest
from django.db import DatabaseError, connection, transaction

from luoshi.core import audit
from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord


def _write(n):
    with transaction.atomic():
        audit.record(
            system_actor(),
            [
                audit.Entry("update", "test.thing", i, f"thing {i}", {"x": [i, i + 1]})
                for i in range(n)
            ],
        )


def test_chain_links_every_record(db):
    _write(3)
    _write(2)
    recs = list(AuditRecord.objects.order_by("id"))
    assert len(recs) == 5
    assert recs[0].prev_hash == audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(recs, recs[1:], strict=False))
    assert audit.verify_chain() == (True, 5, "ok")


def test_records_cannot_be_updated_or_deleted(db):
    _write(1)
    rec = AuditRecord.objects.get()
    with pytest.raises(ValueError):
        rec.save()
    with pytest.raises(ValueError):
        rec.delete()
    # Even a bulk UPDATE / DELETE that bypasses the model is refused by the database.
    for statement in (AuditRecord.objects.update,):
        with pytest.raises(DatabaseError), transaction.atomic():
            statement(actor_name="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.all()._raw_delete(connection.alias)
    assert AuditRecord.objects.get().actor_name == "系统"


def test_verify_detects_a_record_removed_from_the_end(db):
    _write(2)
    # Simulate tampering below the application: drop the trigger, delete, and verify.
    last = AuditRecord.objects.order_by("-id").first()
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("DROP TRIGGER core_audit_no_delete")
        else:
            cur.execute("ALTER TABLE core_auditrecord DISABLE TRIGGER core_audit_no_change")
        cur.execute("DELETE FROM core_auditrecord WHERE id = %s", [last.id])
    ok, count, message = audit.verify_chain()
    assert not ok and "head" in message


def test_record_outside_a_transaction_is_refused(transactional_db):
    with pytest.raises(RuntimeError):
        audit.record(system_actor(), [audit.Entry("x", "t", 1)])


def test_a_record_always_names_who_acted(db):
    """Jobs and imports act as the named system actor; nobody records anonymously."""
    with pytest.raises(ValueError), transaction.atomic():
        audit.record(None, [audit.Entry("x", "t", 1)])
    assert not AuditRecord.objects.exists()


def test_diff_lists_only_changed_fields():
    import datetime as dt
    from decimal import Decimal

    assert audit.diff(
        {"a": 1, "b": dt.date(2026, 1, 2), "c": Decimal("1.50")},
        {"a": 1, "b": dt.date(2026, 1, 3), "c": Decimal("1.5")},
    ) == {"b": ["2026-01-02", "2026-01-03"]}


def test_a_moment_given_in_local_time_still_verifies(db):
    """Services may pass `at` in Asia/Shanghai time (an escalation "that morning"); the
    database gives it back in UTC, and the chain must verify either way."""
    import datetime as dt
    from zoneinfo import ZoneInfo

    at = dt.datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with transaction.atomic():
        [rec] = audit.record(
            system_actor(), [audit.Entry("update", "test.thing", 1, "t", {})], at=at
        )
    assert AuditRecord.objects.get(pk=rec.pk).at == at
    assert audit.verify_chain() == (True, 1, "ok")
