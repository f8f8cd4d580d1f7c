"""The job the worker runs every minute (registered in settings.LUOSHI_JOBS). Idempotent and
safe to run twice at once: messages are claimed one by one (see services.deliver_due)."""

from __future__ import annotations

import logging

from . import services

log = logging.getLogger(__name__)

# Below the worker's 240 s task timeout, so a pass is never killed half-way through a send.
PASS_SECONDS = 180


def deliver() -> dict[str, int]:
    stats = services.deliver_due(max_seconds=PASS_SECONDS)
    log.info("notifications: %s", stats)
    return stats
