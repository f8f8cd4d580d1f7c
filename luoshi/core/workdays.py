"""The working-day calendar: Chinese public holidays and make-up workdays (调休).

Plain functions over plain data: a WorkCalendar is built from the `holidays` package plus admin
overrides and knows which years carry a confirmed official arrangement.

Where a year's days come from:

* a confirmed year (its State Council notice is loaded, see core.calendar.load_arrangement):
  the overrides and weekends only. The package is not consulted, so its estimate cannot add a
  day the notice does not list.
* a year the package knows officially (it ships the State Council arrangements up to
  `PACKAGE_OFFICIAL_THROUGH`, 2026 in holidays 0.109): the package's holidays and make-up
  workdays, with any overrides winning.
* a later year: provisional. Weekends and the package's statutory holidays (including the
  补假 weekdays the package moves a weekend holiday to, as the 放假办法 requires); no make-up
  workdays, since nobody knows them yet. Overrides still win.

Everything is precomputed per year on first use (a day-kind table and a running count of
working days), so `working_days_between` and `add_working_days` cost a few lookups whatever
the span, and `is_working_day` one."""

from __future__ import annotations

import calendar
import datetime as dt
import importlib
import re
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from itertools import accumulate
from types import MappingProxyType

import holidays

# Day kinds; odd = a working day.
WEEKEND, WORKING, HOLIDAY, MAKEUP = 0, 1, 2, 3

_SUBSTITUTED = re.compile(r"由\s*(\d{4}-\d{2}-\d{2})\s*调休")
_BRACKETED = re.compile(r"（[^（）]*）")  # "（补假）", "（推定）"
_FESTIVAL_ALIASES = {"农历除夕": "春节", "春节延长假期": "春节"}


def _official_through() -> int:
    """The last year whose State Council arrangement the installed package encodes."""
    try:
        china = importlib.import_module("holidays.countries.china")
    except ImportError:
        china = None
    static = getattr(china, "ChinaStaticHolidays", None)
    years = getattr(static, "special_public_holidays", None)
    if years:
        return max(years)
    # Fallback: the last year with make-up workdays.
    cn = holidays.China(years=dt.date.today().year)
    return max((d.year for d in getattr(cn, "weekend_workdays", ())), default=2026)


PACKAGE_OFFICIAL_THROUGH = _official_through()


def _festival(name: str) -> str:
    parts = []
    for part in name.split(";"):
        part = _BRACKETED.sub("", part).strip()
        part = _FESTIVAL_ALIASES.get(part, part)
        if part and part not in parts:
            parts.append(part)
    return "、".join(parts)


@lru_cache(maxsize=64)
def _package_year(year: int) -> tuple[Mapping[dt.date, str], Mapping[dt.date, str]]:
    """The package's ({day off: festival}, {make-up workday: "春节调休"}) for `year`.

    The package names a swapped day off "休息日（由 2026-02-14 调休）"; both it and the make-up
    day it names are credited to the nearest festival. Neighbouring years are read too, because
    a January swap can name a December make-up day."""
    cn = holidays.China(years=range(year - 1, year + 2), language="zh_CN")
    named = dict(cn.items())
    plain = sorted((d, _festival(n)) for d, n in named.items() if not _SUBSTITUTED.search(n))

    def nearest(day: dt.date) -> str:
        if not plain:
            return ""
        return min(plain, key=lambda item: abs((item[0] - day).days))[1]

    off: dict[dt.date, str] = {}
    extra: dict[dt.date, str] = {}
    for day, name in named.items():
        m = _SUBSTITUTED.search(name)
        festival = nearest(day) if m else _festival(name)
        if day.year == year:
            off[day] = festival
        if m:
            src = dt.date.fromisoformat(m.group(1))
            if src.year == year:
                extra[src] = f"{festival}调休" if festival else "调休"
    for day in getattr(cn, "weekend_workdays", ()):
        if day.year == year and day not in extra:
            extra[day] = "调休"
    return MappingProxyType(off), MappingProxyType(extra)


class _Year:
    """One year, precomputed: kinds[i] is the kind of the i-th day (Jan 1 = 0); cum[i] the
    number of working days among the first i days, so cum[i + 1] - cum[j + 1] counts the
    working days after day j up to day i."""

    __slots__ = ("start", "kinds", "cum", "total", "labels", "provisional")

    def __init__(self, start: int, kinds: bytes, labels: dict, provisional: bool):
        self.start = start
        self.kinds = kinds
        self.cum = array("H", accumulate((k & 1 for k in kinds), initial=0))
        self.total = self.cum[-1]
        self.labels = labels
        self.provisional = provisional


class WorkCalendar:
    """Working days by the Chinese calendar.

    overrides: {date: is_working_day} from the admin table (they win over the package);
    confirmed_years: years whose State Council arrangement is loaded — their days come from the
    overrides and weekends only; other years the package does not know officially are counted
    by weekends and statutory holidays and reported as provisional.
    notes: {date: note} for the overrides ("春节", "春节调休"), used by `describe`.

    A calendar is immutable once built (it caches per year); build a new one to see changes."""

    def __init__(
        self,
        overrides: Mapping[dt.date, bool] | None = None,
        confirmed_years: Iterable[int] = (),
        notes: Mapping[dt.date, str] | None = None,
    ):
        self.overrides = MappingProxyType(dict(overrides or {}))
        self.notes = MappingProxyType(dict(notes or {}))
        self.confirmed_years = frozenset(confirmed_years)
        self._overrides_by_year: dict[int, list[tuple[dt.date, bool]]] = {}
        for day, working in self.overrides.items():
            self._overrides_by_year.setdefault(day.year, []).append((day, bool(working)))
        self._years: dict[int, _Year] = {}

    # --- per-year tables ---------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        y = self._years.get(year)
        if y is None:
            y = self._years[year] = self._build(year)
        return y

    def _build(self, year: int) -> _Year:
        jan1 = dt.date(year, 1, 1)
        start = jan1.toordinal()
        ndays = 366 if calendar.isleap(year) else 365
        wd0 = jan1.weekday()
        kinds = bytearray(WORKING if (wd0 + i) % 7 < 5 else WEEKEND for i in range(ndays))
        labels: dict[dt.date, str] = {}
        if year not in self.confirmed_years:
            off, extra = _package_year(year)
            for day, label in off.items():
                kinds[day.toordinal() - start] = HOLIDAY
                labels[day] = label
            for day, label in extra.items():
                kinds[day.toordinal() - start] = MAKEUP
                labels[day] = label
        for day, working in self._overrides_by_year.get(year, ()):
            i = day.toordinal() - start
            if working:
                kinds[i] = MAKEUP if (wd0 + i) % 7 >= 5 else WORKING
            else:
                kinds[i] = HOLIDAY
            note = self.notes.get(day)
            if note:
                labels[day] = note
        return _Year(start, bytes(kinds), labels, self._provisional_year(year))

    def _provisional_year(self, year: int) -> bool:
        return year not in self.confirmed_years and year > PACKAGE_OFFICIAL_THROUGH

    # --- queries ------------------------------------------------------------------------------

    def is_provisional(self, day: dt.date) -> bool:
        """True when `day`'s year has no official arrangement (neither a loaded notice nor the
        package's): its holidays are an estimate and its make-up workdays unknown."""
        return self._provisional_year(day.year)

    def is_working_day(self, day: dt.date) -> bool:
        y = self._year(day.year)
        return bool(y.kinds[day.toordinal() - y.start] & 1)

    def kind(self, day: dt.date) -> int:
        """WEEKEND, WORKING, HOLIDAY or MAKEUP."""
        y = self._year(day.year)
        return y.kinds[day.toordinal() - y.start]

    def describe(self, day: dt.date) -> str:
        """ "working day", "weekend", "holiday: 春节", "make-up workday: 春节调休"; with
        " (provisional)" appended in a year without an official arrangement."""
        y = self._year(day.year)
        kind = y.kinds[day.toordinal() - y.start]
        if kind == HOLIDAY:
            label = y.labels.get(day)
            text = f"holiday: {label}" if label else "holiday"
        elif kind == MAKEUP:
            label = y.labels.get(day)
            text = f"make-up workday: {label}" if label else "make-up workday"
        else:
            text = "working day" if kind == WORKING else "weekend"
        return f"{text} (provisional)" if y.provisional else text

    def _upto(self, day: dt.date) -> tuple[_Year, int]:
        """(the year, working days from Jan 1 up to and including `day`)."""
        y = self._year(day.year)
        return y, y.cum[day.toordinal() - y.start + 1]

    def working_days_between(self, start: dt.date, end: dt.date) -> int:
        """Working days after `start` up to and including `end` (0 when end <= start)."""
        if end <= start:
            return 0
        ys, a = self._upto(start)
        ye, b = self._upto(end)
        if ys is ye:
            return b - a
        middle = sum(self._year(year).total for year in range(start.year + 1, end.year))
        return ys.total - a + middle + b

    def add_working_days(self, start: dt.date, n: int) -> dt.date:
        """The n-th working day after `start` (before it when n < 0); `start` itself when n == 0."""
        if n == 0:
            return start
        year = start.year
        y = self._year(year)
        i = start.toordinal() - y.start
        # rank = the 1-based position of the target among its year's working days
        if n > 0:
            rank = y.cum[i + 1] + n
            while rank > y.total:
                rank -= y.total
                year += 1
                y = self._year(year)
        else:
            rank = y.cum[i] + n + 1
            while rank < 1:
                year -= 1
                y = self._year(year)
                rank += y.total
        # the first day whose running count reaches `rank`
        return dt.date.fromordinal(y.start + bisect_left(y.cum, rank) - 1)


def working_days_late(
    due: dt.date, day: dt.date, working_days_between: Callable[[dt.date, dt.date], int]
) -> int:
    """Working days `day` is past `due`; 0 when on time. The one convention for lateness, used
    by report slots and lights alike: a due date on a non-working day moves to the next working
    day, so finishing on that day is on time (as periods do in law, 民法典第二百零三条)."""
    if day <= due:
        return 0
    n = working_days_between(due, day)
    if n and not working_days_between(due - dt.timedelta(days=1), due):
        n -= 1  # `due` is a day off: the first working day after it is still on time
    return n
