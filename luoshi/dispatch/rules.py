"""Dispatch rules: when reports fall due, and how late one is. Plain data in, plain data out."""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from luoshi.core import workdays

WEEKLY, MONTHLY, QUARTERLY, DATES = "weekly", "monthly", "quarterly", "dates"


@dataclass(frozen=True)
class ScheduleSpec:
    kind: str
    weekday: int = 4  # weekly: 0 = Monday … 6 = Sunday (default Friday)
    day: int = 25  # monthly / quarterly: day of the month, clamped to its end
    dates: tuple[dt.date, ...] = field(default_factory=tuple)


def _clamp(year: int, month: int, day: int) -> dt.date:
    return dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))


def due_dates(spec: ScheduleSpec, start: dt.date, end: dt.date) -> list[dt.date]:
    """Every due date of the schedule in [start, end], ascending."""
    out: list[dt.date] = []
    if spec.kind == WEEKLY:
        d = start + dt.timedelta(days=(spec.weekday - start.weekday()) % 7)
        while d <= end:
            out.append(d)
            d += dt.timedelta(days=7)
    elif spec.kind in (MONTHLY, QUARTERLY):
        months = (3, 6, 9, 12) if spec.kind == QUARTERLY else tuple(range(1, 13))
        for year in range(start.year, end.year + 1):
            for month in months:
                d = _clamp(year, month, spec.day)
                if start <= d <= end:
                    out.append(d)
    elif spec.kind == DATES:
        out = sorted({d for d in spec.dates if start <= d <= end})
    else:
        raise ValueError(f"unknown schedule kind {spec.kind!r}")
    return out


def previous_due(spec: ScheduleSpec, due: dt.date) -> dt.date | None:
    """The due date before `due` (the start of its reporting period), within a year back."""
    earlier = due_dates(spec, due - dt.timedelta(days=366), due - dt.timedelta(days=1))
    return earlier[-1] if earlier else None


# Lateness in working days; a due date on a day off is met by the next working day. One
# convention for reports and lights (supervision.rules uses the same function).
working_days_late = workdays.working_days_late


def reminder_times(
    due: dt.datetime,
    add_working_days: Callable[[dt.date, int], dt.date],
    *,
    before: int = 2,
    after: Iterable[int] = (1,),
) -> dict[str, dt.datetime]:
    """When to remind: `before` working days ahead, at the due time, and after it."""
    times = {
        "before": dt.datetime.combine(add_working_days(due.date(), -before), due.timetz()),
        "due": due,
    }
    for n in after:
        times[f"after{n}"] = dt.datetime.combine(add_working_days(due.date(), n), due.timetz())
    return times


# --- report texts -------------------------------------------------------------------------

# The stated length of each text of a report, in characters: the form shows it beside the box
# (with a live count), and the service refuses longer texts from the pages and the API alike.
TEXT_LIMITS = {"progress": 3000, "problems": 1500, "next_steps": 1500}
COMMENT_LIMIT = 1000  # a reviewer's comment


def normalise_text(text: str) -> str:
    """Line breaks as one character each: browsers count a line break as one character
    against the limit but send it as CR LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def over_limit(texts: dict[str, str | None]) -> list[tuple[str, int, int]]:
    """(field, limit, length) of every text longer than its stated limit, in field order."""
    return [
        (name, limit, len(texts[name]))
        for name, limit in TEXT_LIMITS.items()
        if texts.get(name) is not None and len(texts[name]) > limit
    ]


# --- who is told -----------------------------------------------------------------------------


def reviewers(
    lead_leader: int | None, supervisors: dict[str, list[int]], owner_paths: list[str]
) -> list[int]:
    """Whom to tell that a report waits for review (access.can_review decides who may review).

    The task's lead leader (active) reviews it. A task without one is reviewed by the
    supervisors over its plan; the nearest of them are told: those whose role sits at the plan's
    owner unit, or else at the closest unit above it that has any (`owner_paths` root first,
    `supervisors` by the path of the unit their role sits at)."""
    if lead_leader is not None:
        return [lead_leader]
    for path in reversed(owner_paths):
        if supervisors.get(path):
            return sorted(set(supervisors[path]))
    return []
