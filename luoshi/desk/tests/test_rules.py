"""The home's rules, without the database."""

import datetime as dt

from luoshi.desk import rules

T = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


def test_the_first_urge_is_allowed_at_once():
    assert rules.next_urge_at(None) is None
    assert rules.may_urge(None, T)


def test_a_second_urge_waits_for_the_gap():
    assert rules.URGE_GAP_HOURS == 4
    assert rules.next_urge_at(T) == T + dt.timedelta(hours=4)
    assert not rules.may_urge(T, T)
    assert not rules.may_urge(T, T + dt.timedelta(hours=3, minutes=59))
    assert rules.may_urge(T, T + dt.timedelta(hours=4))
    assert rules.may_urge(T, T + dt.timedelta(hours=1), gap_hours=1)


def _weekdays_between(start: dt.date, end: dt.date) -> int:
    """Working days after start up to and including end, weekends off (the calendar's rule)."""
    days = (end - start).days
    return sum(1 for i in range(1, days + 1) if (start + dt.timedelta(days=i)).weekday() < 5)


def test_days_left_counts_working_days_and_goes_negative_when_late():
    monday = dt.date(2026, 6, 1)
    friday = dt.date(2026, 6, 5)
    next_monday = dt.date(2026, 6, 8)
    assert rules.days_left(monday, monday, _weekdays_between) == 0
    assert rules.days_left(friday, monday, _weekdays_between) == 4
    assert rules.days_left(next_monday, friday, _weekdays_between) == 1  # over the weekend
    assert rules.days_left(friday, next_monday, _weekdays_between) == -1
    assert rules.days_left(monday, next_monday, _weekdays_between) == -5


def test_returned_reports_are_pinned():
    assert rules.PIN_FIRST == ("returned",)
