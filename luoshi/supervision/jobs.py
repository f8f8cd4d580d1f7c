"""The worker's daily supervision jobs. Register them in settings.LUOSHI_JOBS, e.g.
    "luoshi.lights": ("luoshi.supervision.jobs.daily_lights", 60),
The lights job runs on working days only, and once a day however often the worker calls it (a
day already recomputed — an audit record of it exists — is skipped); a second run would change
nothing anyway. After the lights it scans for integrity signals (the lights pass has just
written the changes "green until the day it went red" is read from)."""

from __future__ import annotations

import datetime as dt
import logging

from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.core.models import AuditRecord

from . import services
from .services import integrity
from .services import problems as problem_services

SCAN_DAYS = 14

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
    # Two weeks back covers long holidays between working days; a rescan adds nothing twice.
    found = integrity.scan_signals(
        actor=system_actor(), today=today, since=today - dt.timedelta(days=SCAN_DAYS)
    )
    log.info("integrity scan: %s", found)
    return {**counts, "signals_added": found["added"]}


def escalate_problems() -> dict | None:
    """Climb open problems past their SLA one level: register it in settings.LUOSHI_JOBS, e.g.
        "luoshi.escalate_problems": ("luoshi.supervision.jobs.escalate_problems", 60),
    Working days only. It may run every hour: a problem that climbed today has a new SLA from
    today, so later runs that day find nothing to do (services.problems.escalate_problems)."""
    today = timezone.localdate()
    if not current_calendar().is_working_day(today):
        return None
    result = problem_services.escalate_problems(actor=system_actor(), today=today)
    if result["escalated"]:
        log.info("escalated problems: %s", result)
    return result
