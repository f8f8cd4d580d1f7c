"""Working days by the Chinese calendar (holidays package + admin overrides)."""

import datetime as dt

import pytest

from luoshi.core.workdays import WorkCalendar

D = dt.date
cal = WorkCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (D(2026, 1, 1), False),  # New Year's Day
        (D(2026, 1, 4), True),  # make-up Sunday
        (D(2026, 2, 14), True),  # make-up Saturday before Spring Festival
        (D(2026, 2, 16), False),  # Spring Festival holiday
        (D(2026, 2, 23), False),
        (D(2026, 2, 24), True),
        (D(2026, 2, 28), True),  # make-up Saturday after Spring Festival
        (D(2026, 9, 20), True),  # make-up Sunday before National Day
        (D(2026, 10, 1), False),
        (D(2026, 10, 7), False),
        (D(2026, 10, 10), True),  # make-up Saturday after National Day
        (D(2026, 10, 12), True),
        (D(2026, 3, 7), False),  # an ordinary Saturday
    ],
)
def test_is_working_day(day, working):
    assert cal.is_working_day(day) is working


def test_counting_across_national_day():
    # Sep 30 (Wed) -> Oct 12 (Mon): Oct 8, Oct 9, Oct 10 (make-up Sat), Oct 12.
    assert cal.working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4
    assert cal.add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert cal.add_working_days(D(2026, 10, 10), 1) == D(2026, 10, 12)


def test_overrides_win_and_unconfirmed_years_are_provisional():
    c = WorkCalendar(overrides={D(2026, 3, 9): False}, confirmed_years=[2026])
    assert not c.is_working_day(D(2026, 3, 9))
    assert not c.is_provisional(D(2026, 5, 1))
    assert WorkCalendar().is_provisional(D(2027, 5, 1))
    assert not WorkCalendar(confirmed_years=[2027]).is_provisional(D(2027, 5, 1))
