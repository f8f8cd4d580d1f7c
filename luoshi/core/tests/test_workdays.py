"""Working days by the Chinese calendar (holidays package + admin overrides)."""

import datetime as dt
from functools import lru_cache

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from luoshi.core.arrangement import parse_notice
from luoshi.core.tests.test_calendar_notice import NOTICE_2026, NOTICE_2027
from luoshi.core.workdays import PACKAGE_OFFICIAL_THROUGH, WorkCalendar

D = dt.date
cal = WorkCalendar()


def from_notice(*texts):
    overrides, notes, years = {}, {}, []
    for text in texts:
        arr = parse_notice(text)
        for day, (working, note) in arr.dates().items():
            overrides[day], notes[day] = working, note
        years.append(arr.year)
    return WorkCalendar(overrides=overrides, confirmed_years=years, notes=notes)


# The same 2026 answers from the package alone and from the loaded notice alone.
CALENDARS = {"package": cal, "notice": from_notice(NOTICE_2026)}


@pytest.fixture(params=sorted(CALENDARS))
def cal2026(request):
    return CALENDARS[request.param]


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
def test_is_working_day(cal2026, day, working):
    assert cal2026.is_working_day(day) is working


def test_counting_across_spring_festival(cal2026):
    # Feb 13 (Fri) -> Feb 24 (Tue): Feb 14 (make-up Sat), then nothing until Feb 24.
    assert cal2026.working_days_between(D(2026, 2, 13), D(2026, 2, 24)) == 2
    # Feb 24 -> Mar 2: Feb 25, 26, 27, 28 (make-up Sat), Mar 2 (Mar 1 is a Sunday).
    assert cal2026.working_days_between(D(2026, 2, 24), D(2026, 3, 2)) == 5
    assert cal2026.add_working_days(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert cal2026.add_working_days(D(2026, 2, 13), 2) == D(2026, 2, 24)
    assert cal2026.add_working_days(D(2026, 2, 24), -1) == D(2026, 2, 14)
    assert cal2026.add_working_days(D(2026, 2, 24), -2) == D(2026, 2, 13)
    assert cal2026.add_working_days(D(2026, 2, 27), 1) == D(2026, 2, 28)
    assert cal2026.add_working_days(D(2026, 2, 28), 1) == D(2026, 3, 2)
    # Ten working days from the last day before the break: Feb 14, 24-28, Mar 2-5.
    assert cal2026.add_working_days(D(2026, 2, 13), 10) == D(2026, 3, 5)


def test_counting_across_national_day(cal2026):
    # Sep 30 (Wed) -> Oct 12 (Mon): Oct 8, Oct 9, Oct 10 (make-up Sat), Oct 12.
    assert cal2026.working_days_between(D(2026, 9, 30), D(2026, 10, 12)) == 4
    assert cal2026.add_working_days(D(2026, 9, 30), 3) == D(2026, 10, 10)
    assert cal2026.add_working_days(D(2026, 10, 10), 1) == D(2026, 10, 12)
    # Sep 18 (Fri) -> Sep 21 (Mon): Sep 20 is a make-up Sunday.
    assert cal2026.working_days_between(D(2026, 9, 18), D(2026, 9, 21)) == 2
    assert cal2026.add_working_days(D(2026, 9, 18), 1) == D(2026, 9, 20)
    # Sep 24 (Thu) -> Oct 8 (Thu): Sep 28, 29, 30, Oct 8 — Mid-Autumn and National Day.
    assert cal2026.working_days_between(D(2026, 9, 24), D(2026, 10, 8)) == 4
    assert cal2026.add_working_days(D(2026, 10, 8), -4) == D(2026, 9, 24)


def test_counting_across_years_and_edge_cases():
    assert cal.working_days_between(D(2026, 3, 2), D(2026, 3, 2)) == 0
    assert cal.working_days_between(D(2026, 3, 3), D(2026, 3, 2)) == 0
    assert cal.add_working_days(D(2026, 3, 7), 0) == D(2026, 3, 7)
    # Dec 31 2026 (Thu) -> Jan 4 2027 (Mon): 2027-01-01 is New Year's Day.
    assert cal.working_days_between(D(2026, 12, 31), D(2027, 1, 4)) == 1
    assert cal.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)
    assert cal.add_working_days(D(2027, 1, 4), -1) == D(2026, 12, 31)
    # Over several years.
    total = sum(cal.is_working_day(D(2025, 1, 1) + dt.timedelta(days=i)) for i in range(1, 1461))
    assert cal.working_days_between(D(2025, 1, 1), D(2028, 12, 31)) == total
    last = D(2028, 12, 31)
    while not cal.is_working_day(last):
        last -= dt.timedelta(days=1)
    assert cal.add_working_days(D(2025, 1, 1), total) == last
    # Back again: 1 January 2025 is a holiday, so counting back lands on the working day before.
    assert not cal.is_working_day(D(2025, 1, 1))
    assert cal.add_working_days(last, -total) == D(2024, 12, 31)
    assert cal.working_days_between(D(2024, 12, 31), last) == total


def test_overrides_win_and_unconfirmed_years_are_provisional():
    c = WorkCalendar(overrides={D(2026, 3, 9): False}, confirmed_years=[2026])
    assert not c.is_working_day(D(2026, 3, 9))
    assert not c.is_provisional(D(2026, 5, 1))
    assert WorkCalendar().is_provisional(D(2027, 5, 1))
    assert not WorkCalendar(confirmed_years=[2027]).is_provisional(D(2027, 5, 1))
    assert PACKAGE_OFFICIAL_THROUGH >= 2026
    assert not cal.is_provisional(D(2026, 12, 31)) and not cal.is_provisional(D(2020, 1, 1))
    # An override wins in an unconfirmed year too (e.g. a local day off before the notice).
    assert not WorkCalendar(overrides={D(2027, 3, 1): False}).is_working_day(D(2027, 3, 1))


def test_a_confirmed_year_takes_only_the_notice_and_weekends():
    # 2027 unconfirmed: the package's estimate, no make-up days, provisional.
    assert not cal.is_working_day(D(2027, 5, 4))  # the package's 补假 guess for 劳动节
    assert not cal.is_working_day(D(2027, 1, 31))  # a Sunday
    assert cal.is_provisional(D(2027, 5, 4))
    # With the (invented) 2027 notice loaded, only its days count.
    c = from_notice(NOTICE_2027)
    assert not c.is_provisional(D(2027, 5, 4))
    assert c.is_working_day(D(2027, 5, 4))  # the notice gives May 1-3 only
    assert c.is_working_day(D(2027, 1, 31)) and c.is_working_day(D(2027, 2, 20))
    assert not c.is_working_day(D(2027, 2, 12))  # a Friday in its 春节 break
    # Feb 4 (Thu) -> Feb 15 (Mon): the notice's break runs to Feb 13, so only Feb 15; the
    # package's estimate would have worked Feb 11 and 12.
    assert c.working_days_between(D(2027, 2, 4), D(2027, 2, 15)) == 1
    assert cal.working_days_between(D(2027, 2, 4), D(2027, 2, 15)) == 3
    assert c.add_working_days(D(2027, 2, 4), 1) == D(2027, 2, 15)
    # Feb 13 -> Feb 22: Feb 15-19, Feb 20 (make-up Sat), Feb 22.
    assert c.working_days_between(D(2027, 2, 13), D(2027, 2, 22)) == 7
    assert c.add_working_days(D(2027, 2, 19), 1) == D(2027, 2, 20)
    # Days off a confirmed year's notice does not list are working days, whatever the package
    # says: no package holiday of 2027 outside the notice survives.
    notice_off = {d for d, (w, _) in parse_notice(NOTICE_2027).dates().items() if not w}
    for day in holidays.China(years=2027):
        if day.weekday() < 5:
            assert c.is_working_day(day) is (day not in notice_off)


def test_describe():
    c = from_notice(NOTICE_2026, NOTICE_2027)
    assert c.describe(D(2026, 3, 9)) == "working day"
    assert c.describe(D(2026, 3, 7)) == "weekend"
    assert c.describe(D(2026, 2, 17)) == "holiday: 春节"
    assert c.describe(D(2026, 2, 21)) == "holiday: 春节"  # a Saturday inside the break
    assert c.describe(D(2026, 2, 14)) == "make-up workday: 春节调休"
    assert c.describe(D(2026, 9, 20)) == "make-up workday: 国庆节调休"
    assert c.describe(D(2027, 5, 4)) == "working day"
    # From the package alone, with the package's festival names.
    assert cal.describe(D(2026, 2, 16)) == "holiday: 春节"  # 农历除夕
    assert cal.describe(D(2026, 2, 20)) == "holiday: 春节"  # a swapped day off
    assert cal.describe(D(2026, 2, 28)) == "make-up workday: 春节调休"
    assert cal.describe(D(2026, 10, 10)) == "make-up workday: 国庆节调休"
    assert cal.describe(D(2026, 4, 6)) == "holiday: 清明节"  # 补假
    # A year without an official arrangement says so.
    assert cal.describe(D(2027, 5, 4)) == "holiday: 劳动节 (provisional)"
    assert cal.describe(D(2027, 3, 1)) == "working day (provisional)"
    assert cal.describe(D(2027, 3, 6)) == "weekend (provisional)"
    # Overrides without a note.
    bare = WorkCalendar(overrides={D(2026, 3, 7): True, D(2026, 3, 9): False})
    assert bare.describe(D(2026, 3, 7)) == "make-up workday"
    assert bare.describe(D(2026, 3, 9)) == "holiday"


@lru_cache
def _package(year):
    cn = holidays.China(years=year)
    return frozenset(cn), frozenset(cn.weekend_workdays)


def _reference_working(day, overrides, confirmed):
    """The rules, day by day, straight from the package."""
    if day in overrides:
        return overrides[day]
    if day.year in confirmed:
        return day.weekday() < 5
    off, extra = _package(day.year)
    if day in extra:
        return True
    if day in off:
        return False
    return day.weekday() < 5


days = st.dates(D(2024, 6, 1), D(2028, 6, 30))


@settings(max_examples=150, deadline=None)
@given(
    start=days,
    span=st.integers(-400, 800),
    n=st.integers(-300, 300),
    overrides=st.dictionaries(days, st.booleans(), max_size=20),
    confirmed=st.sets(st.sampled_from([2025, 2026, 2027, 2028])),
)
def test_fast_paths_match_counting_day_by_day(start, span, n, overrides, confirmed):
    c = WorkCalendar(overrides=overrides, confirmed_years=confirmed)
    end = start + dt.timedelta(days=span)
    expected = sum(
        _reference_working(start + dt.timedelta(days=i), overrides, confirmed)
        for i in range(1, span + 1)
    )
    assert c.working_days_between(start, end) == expected
    day, step, left = start, (1 if n > 0 else -1), abs(n)
    while left:
        day += dt.timedelta(days=step)
        left -= _reference_working(day, overrides, confirmed)
    assert c.add_working_days(start, n) == day
