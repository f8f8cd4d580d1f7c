"""Jobs the worker runs on a schedule. Plain functions with no arguments, each idempotent
(keyed on the cycle, slot and action it handles), so a job that runs twice, or twice at once,
or again after the worker was killed, does nothing twice."""

from __future__ import annotations

import logging

from django.utils import timezone

from . import services

log = logging.getLogger(__name__)


def open_cycles() -> int:
    n = services.open_due_cycles(timezone.now())
    log.info("opened %s cycles", n)
    return n


def close_cycles() -> int:
    n = services.close_due_cycles(timezone.now())
    log.info("closed %s cycles", n)
    return n


def remind() -> int:
    from .reminders import send_reminders

    n = send_reminders(timezone.now())
    log.info("queued %s reminders", n)
    return n
