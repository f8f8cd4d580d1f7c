"""Independent read-only queries run at once, each on its own database connection.

A page that needs two heavy GROUP BYs over the same 100,000 rows (the cockpit) waits for the
sum of them when they run one after the other; both database drivers release the GIL while
the database works, so on a second core they overlap and the page waits for the longest one.

Only outside a transaction: a thread's own connection cannot see the transaction's uncommitted
rows (nor the test case's), so inside one the callables simply run in turn. Each side reads its
own snapshot; a write landing in between can show in one figure and not yet in another, as it
would between two requests."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from django.conf import settings
from django.db import connection, connections


def _on_own_connection(fn: Callable[[], Any]) -> Any:
    try:
        return fn()
    finally:
        # This thread's connections only (they are thread-local): a pool thread is never
        # reused, so nothing else would close them.
        connections.close_all()


def read_at_once(*fns: Callable[[], Any]) -> list[Any]:
    """The callables' results, in order. The first runs on the caller's connection, the others
    on threads of their own."""
    if (
        len(fns) < 2
        or connection.in_atomic_block
        or not getattr(settings, "LUOSHI_CONCURRENT_READS", True)
    ):
        return [fn() for fn in fns]
    with ThreadPoolExecutor(max_workers=len(fns) - 1) as pool:
        # Each in a copy of the caller's context, so that what it sets (the read replica's
        # routing, core/routers.py) holds on the other threads too.
        futures = [
            pool.submit(contextvars.copy_context().run, _on_own_connection, fn) for fn in fns[1:]
        ]
        first = fns[0]()
        return [first, *(f.result() for f in futures)]
