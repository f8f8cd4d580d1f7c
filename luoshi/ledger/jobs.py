"""Jobs the worker runs on a schedule (settings.LUOSHI_JOBS). Plain functions, idempotent."""

from __future__ import annotations

import logging

from luoshi.core.actors import system_actor

from . import services

log = logging.getLogger(__name__)


def purge_exports() -> int:
    n = services.purge_exports(actor=system_actor())
    log.info("removed %s old prepared exports", n)
    return n
