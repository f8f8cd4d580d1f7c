"""The working-day calendar: Chinese public holidays and make-up workdays (调休).

Plain functions over plain data: a WorkCalendar is built from the `holidays` package plus admin
overrides and knows which years carry a confirmed official arrangement."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _package_year(year: int) -> tuple[frozenset[dt.date], frozenset[dt.date]]:
    cn = holidays.China(years=year)
    off = frozenset(d for d in cn if d.year == year)
    extra = frozenset(d for d in getattr(cn, "weekend_workdays", ()) if d.year == year)
    return off, extra


class WorkCalendar:
    """Working days by the Chinese calendar.

    overrides: {date: is_working_day} from the admin table (they win over the package);
    confirmed_years: years whose State Council arrangement is loaded — other years are counted
    by weekends and statutory holidays only and reported as provisional."""

    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        confirmed_years: Iterable[int] = (),
    ):
        self.overrides = dict(overrides or {})
        self.confirmed_years = set(confirmed_years)

    def is_provisional(self, day: dt.date) -> bool:
        if day.year in self.confirmed_years:
            return False
        # The package ships the official arrangement for years it knows (2026 and earlier as of
        # 0.108); it signals that by listing make-up workdays.
        return not _package_year(day.year)[1] and day.year >= 2027

    def is_working_day(self, day: dt.date) -> bool:
        if day in self.overrides:
            return self.overrides[day]
        off, extra = _package_year(day.year)
        if day in extra:
            return True
        if day in off:
            return False
        return day.weekday() < 5

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        if end <= start:
            return 0
        count = 0
        day = start + dt.timedelta(days=1)
        while day <= end:
            count += self.is_working_day(day)
            day += dt.timedelta(days=1)
        return count

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        day = start
        step = 1 if n >= 0 else -1
        remaining = abs(n)
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day
