"""Reminders for report slots: before the due time (2 working days by default), at it, and
after it, to the owner and the unit's administrators. Each (slot, stage, person) is notified
once, whatever happens to the worker: the notification's dedupe key says so, and the keys
already queued are looked up in bulk rather than per slot."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core.calendar import current_calendar
from luoshi.notify.access import already_queued
from luoshi.notify.services import notify, robot_for
from luoshi.org.models import Role, RoleGrant, ancestor_paths

from . import rules
from .models import Cycle, Slot
from .services import OPEN_SLOT

WINDOW_DAYS = 20  # slots due further back than this were reminded already or are closed


def _unit_admins(slots) -> dict[int, list]:
    """Unit admins of each slot's unit, or of its nearest ancestor that has one."""
    prefixes = {p for s in slots for p in ancestor_paths(s.unit.path)}
    by_path: dict[str, list] = {}
    for g in RoleGrant.objects.filter(
        role=Role.UNIT_ADMIN, unit__path__in=prefixes, person__is_active=True
    ).select_related("person", "unit"):
        by_path.setdefault(g.unit.path, []).append(g.person)
    out = {}
    for s in slots:
        nearest = next((p for p in reversed(ancestor_paths(s.unit.path)) if p in by_path), None)
        out[s.pk] = by_path.get(nearest, [])
    return out


def _stage(slot: Slot, now: dt.datetime, cal, before: int) -> str | None:
    """The latest reminder stage whose time has come (earlier ones are not sent late)."""
    due = timezone.localtime(slot.due_at)
    times = rules.reminder_times(due, cal.add_working_days, before=before)
    passed = [name for name, at in sorted(times.items(), key=lambda kv: kv[1]) if at <= now]
    return passed[-1] if passed else None


def send_reminders(now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    cal = current_calendar()
    before = int(getattr(settings, "LUOSHI_REMIND_BEFORE_WORKING_DAYS", 2))
    channels = tuple(getattr(settings, "LUOSHI_REMINDER_CHANNELS", ("inbox", "email")))
    horizon = now + dt.timedelta(days=before + 14)  # covers long holidays before a due date
    slots = list(
        Slot.objects.filter(
            status__in=OPEN_SLOT,
            cycle__status=Cycle.Status.OPEN,
            due_at__gte=now - dt.timedelta(days=WINDOW_DAYS),
            due_at__lte=horizon,
        ).select_related("task", "unit", "owner")
    )
    todo = []
    for slot in slots:
        stage = _stage(slot, timezone.localtime(now), cal, before)
        if stage:
            todo.append((slot, stage))
    if not todo:
        return 0
    admins = _unit_admins([s for s, _ in todo])
    wanted = []
    for slot, stage in todo:
        people = {p.pk: p for p in ([slot.owner] if slot.owner else []) + admins[slot.pk]}
        for person in people.values():
            wanted.append((slot, stage, person, f"reminder:slot:{slot.pk}:{stage}:{person.pk}"))
    queued = already_queued(k for *_, k in wanted)
    robots: dict[int | None, bool] = {}

    def channels_for(person) -> tuple[str, ...]:
        """Only the channels that can reach this person (no e-mail address, no robot: skip)."""
        if person.unit_id not in robots:
            robots[person.unit_id] = robot_for(person) is not None
        return tuple(
            c
            for c in channels
            if (c != "email" or person.email) and (c != "webhook" or robots[person.unit_id])
        )

    sent = 0
    for slot, stage, person, key in wanted:
        if key in queued:
            continue
        due = timezone.localtime(slot.due_at)
        subject = {
            "before": _("Report due %(due)s: %(task)s"),
            "due": _("Report due now: %(task)s"),
        }.get(stage, _("Report overdue since %(due)s: %(task)s")) % {
            "due": f"{due:%Y-%m-%d %H:%M}",
            "task": slot.task.title,
        }
        body = _("%(unit)s owes the progress report on %(no)s %(task)s, due %(due)s.") % {
            "unit": slot.unit.name,
            "no": slot.task.no,
            "task": slot.task.title,
            "due": f"{due:%Y-%m-%d %H:%M}",
        }
        notify(
            person,
            subject=subject,
            body=body,
            url=reverse("dispatch:report", args=[slot.pk]),
            channels=channels_for(person),
            urgent=stage.startswith("after") and slot.task.key_task,
            dedupe_key=key,
        )
        sent += 1
    return sent
