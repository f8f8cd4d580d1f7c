import datetime as dt

import pytest

from luoshi.core.workdays import WorkCalendar
from luoshi.dispatch import rules

D = dt.date
cal = WorkCalendar()


@pytest.mark.parametrize(
    ("spec", "start", "end", "expected"),
    [
        (
            rules.ScheduleSpec("weekly", weekday=4),
            D(2026, 3, 1),
            D(2026, 3, 20),
            [D(2026, 3, 6), D(2026, 3, 13), D(2026, 3, 20)],
        ),
        (
            rules.ScheduleSpec("monthly", day=25),
            D(2026, 1, 1),
            D(2026, 3, 31),
            [D(2026, 1, 25), D(2026, 2, 25), D(2026, 3, 25)],
        ),
        (
            rules.ScheduleSpec("monthly", day=31),
            D(2026, 2, 1),
            D(2026, 4, 30),
            [D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30)],
        ),
        (
            rules.ScheduleSpec("quarterly", day=20),
            D(2026, 1, 1),
            D(2026, 12, 31),
            [D(2026, 3, 20), D(2026, 6, 20), D(2026, 9, 20), D(2026, 12, 20)],
        ),
        (
            rules.ScheduleSpec("dates", dates=(D(2026, 5, 1), D(2026, 1, 1), D(2027, 1, 1))),
            D(2026, 1, 1),
            D(2026, 12, 31),
            [D(2026, 1, 1), D(2026, 5, 1)],
        ),
    ],
)
def test_due_dates(spec, start, end, expected):
    assert rules.due_dates(spec, start, end) == expected


def test_previous_due():
    spec = rules.ScheduleSpec("monthly", day=25)
    assert rules.previous_due(spec, D(2026, 3, 25)) == D(2026, 2, 25)
    assert (
        rules.previous_due(rules.ScheduleSpec("dates", dates=(D(2026, 5, 1),)), D(2026, 5, 1))
        is None
    )


def test_lateness_counts_working_days_over_national_day():
    # Due Wednesday 30 Sep; submitted Monday 12 Oct: Oct 8, 9, 10 (make-up Saturday), 12.
    assert rules.working_days_late(D(2026, 9, 30), D(2026, 10, 12), cal.working_days_between) == 4
    assert rules.working_days_late(D(2026, 9, 30), D(2026, 9, 30), cal.working_days_between) == 0


def test_reminder_times_skip_holidays():
    due = dt.datetime(2026, 10, 9, 17, 0)
    times = rules.reminder_times(due, cal.add_working_days)
    # Two working days before Friday 9 Oct: Thu 8 Oct, then back over the holiday to Wed 30 Sep.
    assert times["before"] == dt.datetime(2026, 9, 30, 17, 0)
    assert times["after1"] == dt.datetime(2026, 10, 10, 17, 0)  # the make-up Saturday
