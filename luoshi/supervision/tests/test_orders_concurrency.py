"""Eight supervisors' requests issuing orders at the same moment get the numbers 1..8, each
once: the counter's single UPDATE serialises them (PostgreSQL's row lock, SQLite's write lock)
and a number is never handed out twice or skipped.

On PostgreSQL the threads share the test database. On SQLite the test database is a
shared-cache in-memory one, whose table locks fail at once instead of waiting (so it cannot show
writers queueing); the test then copies it to a file with SQLite's backup API and the threads
use that file with the project's own connection settings (WAL, BEGIN IMMEDIATE, busy timeout):
the configuration production runs."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from luoshi.core.models import AuditRecord
from luoshi.supervision.models import Order, OrderCounter
from luoshi.supervision.services import orders as services

from .test_orders import build_world

THREADS = 8
TZ = timezone.get_current_timezone()
NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=TZ)
DUE = dt.date(2026, 3, 6)


def _file_copy(tmp_path) -> str | None:
    """The path of a file copy of an in-memory SQLite test database, else None."""
    if connection.vendor != "sqlite" or not connection.is_in_memory_db():
        return None
    path = tmp_path / "orders-race.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)
    finally:
        target.close()
    return str(path)


@pytest.mark.django_db(transaction=True)
def test_concurrent_issuers_get_numbers_1_to_n_without_repeats(orgtree, tmp_path):
    world = build_world(orgtree)
    db_file = _file_copy(tmp_path)
    start = threading.Barrier(THREADS)
    numbers: list[int] = []
    errors: list[BaseException] = []

    def issue_one(i: int) -> None:
        try:
            if db_file:
                # This thread's own connection, opened on the file copy.
                conn = connections["default"]
                conn.settings_dict = {**conn.settings_dict, "NAME": db_file}
            start.wait(timeout=30)
            order = services.issue_order(
                actor=orgtree.supervisor,
                unit=orgtree.a1,
                tasks=[world.t1 if i % 2 else world.t2],
                demand=f"并发督办{i}",
                respond_by=DUE,
                now=NOW,
            )
            numbers.append(order.number)
        except BaseException as exc:  # reported below, with the thread's traceback
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue_one, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sorted(numbers) == list(range(1, THREADS + 1))

    if db_file:
        with sqlite3.connect(db_file) as db:
            stored = [n for (n,) in db.execute("SELECT number FROM supervision_order")]
            last = db.execute("SELECT last FROM supervision_ordercounter WHERE year = 2026")
            last = last.fetchone()[0]
            issued = db.execute(
                "SELECT COUNT(*) FROM core_auditrecord"
                " WHERE object_type = 'supervision.order' AND action = 'issue'"
            ).fetchone()[0]
        assert not Order.objects.exists()  # the threads wrote to the copy, not here
    else:
        stored = list(Order.objects.values_list("number", flat=True))
        last = OrderCounter.objects.get(year=2026).last
        issued = AuditRecord.objects.filter(object_type="supervision.order", action="issue").count()
    assert sorted(stored) == list(range(1, THREADS + 1))
    assert last == THREADS
    assert issued == THREADS
