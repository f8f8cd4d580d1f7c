"""read_at_once: side by side on their own connections outside a transaction, in turn inside
one (where another connection could not see the transaction's rows)."""

from __future__ import annotations

import threading

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, connections, transaction

from luoshi.core.concurrent import read_at_once


def _seen():
    return threading.get_ident(), ContentType.objects.count()


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_others_run_on_threads_of_their_own(settings):
    settings.LUOSHI_CONCURRENT_READS = True
    committed = ContentType.objects.count()
    assert committed >= 1
    opened = []

    def on_worker():
        result = _seen()
        opened.append(connections["default"])
        return result

    (me, n_here), (other, n_there) = read_at_once(_seen, on_worker)
    assert me == threading.get_ident() != other
    assert n_here == n_there == committed  # the committed rows, from both connections
    assert opened[0] is not connection  # its own connection, closed when done (Django keeps
    # an in-memory SQLite test database open, or it would vanish)
    if not (connection.vendor == "sqlite" and connection.is_in_memory_db()):
        assert opened[0].connection is None


@pytest.mark.django_db
def test_inside_a_transaction_they_run_in_turn_on_this_connection(settings):
    settings.LUOSHI_CONCURRENT_READS = True
    with transaction.atomic():
        results = read_at_once(_seen, _seen, _seen)
    assert {ident for ident, _ in results} == {threading.get_ident()}


@pytest.mark.django_db(transaction=True)
def test_the_setting_turns_it_off(settings):
    settings.LUOSHI_CONCURRENT_READS = False
    assert {ident for ident, _ in read_at_once(_seen, _seen)} == {threading.get_ident()}


def test_an_error_in_a_worker_reaches_the_caller(settings):
    settings.LUOSHI_CONCURRENT_READS = True

    def fails():
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        read_at_once(lambda: 1, fails)
