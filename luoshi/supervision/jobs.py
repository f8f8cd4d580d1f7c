"""The worker's daily lights job. Register it in settings.LUOSHI_JOBS, e.g.
    "luoshi.lights": ("luoshi.supervision.jobs.daily_lights", 60),
It runs on working days only, and once a day however often the worker calls it (a day already
recomputed — an audit record of it exists — is skipped); a second run would change nothing
anyway."""

from __future__ import annotations

import logging

from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.core.models import AuditRecord

from . import services

log = logging.getLogger(__name__)


def daily_lights() -> dict | None:
    today = timezone.localdate()
    if not current_calendar().is_working_day(today):
        return None
    done = AuditRecord.objects.filter(
        object_type="supervision.lights",
        object_id="all",
        action="recompute",
        context__today=today.isoformat(),
    ).exists()
    if done:
        return None
    counts = services.recompute_lights(actor=system_actor(), today=today)
    log.info("recomputed lights: %s", counts)
    return counts
