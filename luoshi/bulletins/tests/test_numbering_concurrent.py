"""Publishing at the same time on PostgreSQL: each publisher waits for the series row and takes
the next number, so the numbers are 1…n with no gap and no repeat. (SQLite serialises writers
itself, so the test is for PostgreSQL. No series row exists before: the publishers also race
to create it.)"""

import threading

import pytest
from django.db import connection, connections

from luoshi.bulletins import services
from luoshi.bulletins.models import Bulletin, NumberSeries

from .conftest import make_world

N = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_publishing_takes_consecutive_numbers(orgtree):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite runs one writer")
    world = make_world(orgtree)
    o = world.o
    ids = []
    for _ in range(N):
        b = services.draft(actor=o.supervisor, plan=world.plan, today=world.today)
        ids.append(services.approve(b, actor=world.leader, version=1).pk)

    barrier = threading.Barrier(N)
    errors = []

    def publish(pk):
        try:
            b = Bulletin.objects.get(pk=pk)
            barrier.wait(timeout=30)
            services.publish(b, actor=o.supervisor, version=2, pdf=False)
        except Exception as exc:  # reported below, with every thread's failure
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=publish, args=(pk,)) for pk in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    seqs = sorted(Bulletin.objects.filter(pk__in=ids).values_list("seq", flat=True))
    assert seqs == list(range(1, N + 1))
    assert NumberSeries.objects.get().last == N
    numbers = set(Bulletin.objects.filter(pk__in=ids).values_list("number", flat=True))
    assert len(numbers) == N
