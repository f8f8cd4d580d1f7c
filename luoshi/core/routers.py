"""Reads from a PostgreSQL read replica, writes to the primary (README, "How far one box goes").

Only when DATABASE_REPLICA_URL is set. A request that only reads (GET, HEAD) reads from the
replica, unless the same browser wrote within the last REPLICA_PIN_SECONDS: after a save and
its redirect the person reads the primary, so they never see the page from before their own
change (a replica lags by up to a second or two). Everything else (writes, reads inside a
transaction, jobs, commands, imports) uses the primary. Exports and the other read-only pages
are what a city's deadline day puts on the replica."""

from __future__ import annotations

import contextvars
from contextlib import contextmanager

from django.conf import settings
from django.db import transaction

REPLICA = "replica"
PRIMARY = "default"
PIN_COOKIE = "luoshi_wrote"

_replica_reads: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "luoshi_replica_reads", default=False
)


@contextmanager
def replica_reads():
    """Within this block, reads outside a transaction go to the replica."""
    token = _replica_reads.set(True)
    try:
        yield
    finally:
        _replica_reads.reset(token)


def reads_from_replica() -> bool:
    return (
        _replica_reads.get()
        and REPLICA in settings.DATABASES
        and not transaction.get_connection(PRIMARY).in_atomic_block
    )


class ReadReplicaRouter:
    def db_for_read(self, model, **hints):
        return REPLICA if reads_from_replica() else PRIMARY

    def db_for_write(self, model, **hints):
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replica holds the same rows as the primary

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == PRIMARY


class ReplicaReadsMiddleware:
    """Puts a read-only request's reads on the replica; marks a browser that wrote."""

    SAFE = ("GET", "HEAD", "OPTIONS")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method in self.SAFE and PIN_COOKIE not in request.COOKIES:
            with replica_reads():
                return self.get_response(request)
        response = self.get_response(request)
        if request.method not in self.SAFE:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=getattr(settings, "REPLICA_PIN_SECONDS", 10),
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response
