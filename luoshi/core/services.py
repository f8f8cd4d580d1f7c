"""Hand edits of the working calendar (a single day's override, a year's confirmation), as the
admin site makes them: each checks the actor's permission, writes, and appends the audit record
in one transaction. Loading a whole State Council notice is `calendar.load_arrangement`."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from . import audit
from .calendar import OBJECT_TYPE
from .errors import OutOfScope
from .models import CalendarDay, CalendarYear

DAY_TYPE = "core.calendarday"
DAY_FIELDS = ("date", "is_working_day", "note")


def _require(actor, *perms: str) -> None:
    # core sits below org (no role scopes here): the calendar is guarded by the admin
    # permissions the administrator grants.
    if not actor.has_perms([f"core.{p}" for p in perms]):
        raise OutOfScope(_("You may not change the working calendar."))


def day_snapshot(day: CalendarDay) -> dict:
    return {f: getattr(day, f) for f in DAY_FIELDS}


def _year_label(year: int) -> str:
    return f"{year}年部分节假日安排"


@transaction.atomic
def save_calendar_day(day: CalendarDay, *, actor, **fields) -> CalendarDay:
    """Create (an unsaved `day`) or change one override."""
    creating = day.pk is None
    _require(actor, "add_calendarday" if creating else "change_calendarday")
    before = {} if creating else day_snapshot(CalendarDay.objects.get(pk=day.pk))
    for name, value in fields.items():
        setattr(day, name, value)
    day.full_clean()
    day.save()
    changes = audit.diff(before, day_snapshot(day))
    if changes:
        action = "create" if creating else "update"
        audit.record(actor, [audit.Entry(action, DAY_TYPE, day.pk, str(day), changes)])
    return day


@transaction.atomic
def delete_calendar_days(days: Iterable[CalendarDay], *, actor) -> int:
    _require(actor, "delete_calendarday")
    rows = list(CalendarDay.objects.filter(pk__in=[d.pk for d in days]))
    entries = [
        audit.Entry("delete", DAY_TYPE, r.pk, str(r), audit.diff(day_snapshot(r), {})) for r in rows
    ]
    CalendarDay.objects.filter(pk__in=[r.pk for r in rows]).delete()
    audit.record(actor, entries)
    return len(rows)


@transaction.atomic
def confirm_calendar_year(year: CalendarYear, *, actor, **fields) -> CalendarYear:
    """Confirm a year by hand (an unsaved `year`) or change its recorded source."""
    creating = year.pk is None
    _require(actor, "add_calendaryear" if creating else "change_calendaryear")
    before = {}
    if not creating:
        old = CalendarYear.objects.get(pk=year.pk)
        before = {"confirmed": True, "source": old.source}
    for name, value in fields.items():
        setattr(year, name, value)
    year.full_clean()
    year.save()
    changes = audit.diff(before, {"confirmed": True, "source": year.source})
    if changes:
        action = "create" if creating else "update"
        entry = audit.Entry(action, OBJECT_TYPE, year.year, _year_label(year.year), changes)
        audit.record(actor, [entry])
    return year


@transaction.atomic
def unconfirm_calendar_years(years: Iterable[CalendarYear], *, actor) -> int:
    """Un-confirming a year leaves its overrides; its dates become provisional again."""
    _require(actor, "delete_calendaryear")
    rows = list(CalendarYear.objects.filter(pk__in=[y.pk for y in years]))
    entries = [
        audit.Entry(
            "update", OBJECT_TYPE, r.year, _year_label(r.year), {"confirmed": [True, False]}
        )
        for r in rows
    ]
    CalendarYear.objects.filter(pk__in=[r.pk for r in rows]).delete()
    audit.record(actor, entries)
    return len(rows)


def take_next_number(counter, **key) -> int:
    """The next number of a gapless series (supervision orders by year, bulletins by prefix and
    year), inside the caller's transaction, which records the audit of what the number is for.
    `counter` is a model with the `key` fields unique together and a `last` count. One UPDATE
    increments it: on PostgreSQL its row lock holds concurrent takers until this transaction
    ends, on SQLite the write lock does; a rolled-back caller rolls its number back (no gaps)."""
    for _attempt in range(3):
        try:
            with transaction.atomic():  # a savepoint: a lost insert race leaves ours usable
                counter.objects.get_or_create(**key)
        except IntegrityError:
            pass  # another taker created the series' row a moment ago
        if counter.objects.filter(**key).update(last=F("last") + 1):
            return counter.objects.filter(**key).values_list("last", flat=True).get()
        # The row's creator rolled back between our insert attempt and the update: try again.
    raise RuntimeError(f"could not take the next number of {counter.__name__} {key}")
