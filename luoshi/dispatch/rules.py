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
