"""The home page's rules, over plain data (no Django): when a unit may be urged again, how
many working days a report has left, and the order of a reporter's to-do list."""

from __future__ import annotations

import datetime as dt

# A second 催报 for the same cycle and unit within this many hours is refused: one reminder a
# morning or an afternoon is pressing, more is noise that teaches people to ignore the inbox.
URGE_GAP_HOURS = 4


def next_urge_at(
    last: dt.datetime | None, *, gap_hours: int = URGE_GAP_HOURS
) -> dt.datetime | None:
    """The earliest moment the same cycle and unit may be urged again (None: at once)."""
    if last is None:
        return None
    return last + dt.timedelta(hours=gap_hours)


def may_urge(
    last: dt.datetime | None, now: dt.datetime, *, gap_hours: int = URGE_GAP_HOURS
) -> bool:
    """Whether a 催报 at `now` is allowed, given the last one for the same cycle and unit."""
    allowed = next_urge_at(last, gap_hours=gap_hours)
    return allowed is None or now >= allowed


def days_left(due: dt.date, today: dt.date, working_days_between) -> int:
    """Working days from today up to the due day: 0 on the day, negative once it has passed
    (the working days late). `working_days_between(start, end)` counts the working days after
    start up to and including end (the calendar's)."""
    if due >= today:
        return working_days_between(today, due)
    return -working_days_between(due, today)


# A returned report comes first: the reviewer is waiting for the fix.
PIN_FIRST = ("returned",)
