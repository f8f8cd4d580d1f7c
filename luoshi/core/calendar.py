"""The working calendar as configured: the package's arrangement plus the admin's overrides,
and loading each year's State Council notice into those overrides."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q

from luoshi.core import audit
from luoshi.core.arrangement import Arrangement, parse_notice
from luoshi.core.models import AuditHead, AuditRecord, CalendarDay, CalendarYear
from luoshi.core.workdays import WorkCalendar

OBJECT_TYPE = "core.calendar"


def current_calendar() -> WorkCalendar:
    rows = list(CalendarDay.objects.values_list("date", "is_working_day", "note"))
    return WorkCalendar(
        overrides={d: working for d, working, _ in rows},
        confirmed_years=CalendarYear.objects.values_list("year", flat=True),
        notes={d: note for d, _, note in rows if note},
    )


Row = tuple[bool, str]  # (is_working_day, note)


def _label(row: Row | None) -> str | None:
    if row is None:
        return None
    working, note = row
    return f"{'workday' if working else 'holiday'} {note}".strip()


@dataclass
class LoadPlan:
    """What loading a notice does (or did) to the override table."""

    arrangement: Arrangement
    source: str
    source_before: str | None  # None: the year was not confirmed
    create: dict[dt.date, Row] = field(default_factory=dict)
    update: dict[dt.date, tuple[Row, Row]] = field(default_factory=dict)
    delete: dict[dt.date, Row] = field(default_factory=dict)
    unchanged: int = 0

    @property
    def year(self) -> int:
        return self.arrangement.year

    @property
    def confirms(self) -> bool:
        return self.source_before is None

    @property
    def changed(self) -> bool:
        return bool(self.create or self.update or self.delete or self.source_before != self.source)

    def changes(self) -> dict[str, list]:
        """For the audit trail: {"2027-02-05": [before, after], "confirmed": …, "source": …}."""
        out: dict[str, list] = {}
        for day, row in self.create.items():
            out[day.isoformat()] = [None, _label(row)]
        for day, (old, new) in self.update.items():
            out[day.isoformat()] = [_label(old), _label(new)]
        for day, row in self.delete.items():
            out[day.isoformat()] = [_label(row), None]
        out = dict(sorted(out.items()))
        if self.confirms:
            out["confirmed"] = [False, True]
        if self.source_before != self.source:
            out["source"] = [self.source_before or "", self.source]
        return out

    def lines(self) -> list[str]:
        """Human-readable, one change a line, for the command and the admin preview."""
        out = []
        if self.confirms:
            out.append(f"confirm {self.year}: {self.source}")
        elif self.source_before != self.source:
            out.append(f"source of {self.year}: {self.source_before!r} -> {self.source!r}")
        for day, row in sorted(self.create.items()):
            out.append(f"+ {day.isoformat()} {_label(row)}")
        for day, (old, new) in sorted(self.update.items()):
            out.append(f"~ {day.isoformat()} {_label(old)} -> {_label(new)}")
        for day, row in sorted(self.delete.items()):
            out.append(f"- {day.isoformat()} {_label(row)}")
        return out


def _last_loaded(year: int) -> set[dt.date]:
    """The dates the latest loaded notice for `year` listed, from the audit trail."""
    contexts = (
        AuditRecord.objects.filter(object_type=OBJECT_TYPE, object_id=str(year))
        .order_by("-id")
        .values_list("context", flat=True)
    )
    for context in contexts.iterator(chunk_size=50):
        notice = (context or {}).get("notice")
        if notice is not None:
            return {
                dt.date.fromisoformat(d)
                for d, _ in [*notice.get("holidays", []), *notice.get("workdays", [])]
            }
    return set()


def plan_arrangement(arr: Arrangement, *, source: str = "") -> LoadPlan:
    """Compare the notice with the table. The notice owns every date of its year, plus the
    dates outside it that it lists (元旦 may start in December) or that its previous load
    listed; dates that the neighbouring years' loaded notices list are left to them. Owned rows
    the notice does not list are deleted — including hand-made overrides in that year."""
    listed = {d: (w, note[:100]) for d, (w, note) in arr.dates().items()}
    neighbours = (_last_loaded(arr.year - 1) | _last_loaded(arr.year + 1)) - set(listed)
    previous = _last_loaded(arr.year)
    existing = {
        r.date: (r.is_working_day, r.note)
        for r in CalendarDay.objects.filter(
            Q(date__year=arr.year) | Q(date__in=sorted(previous | set(listed)))
        )
    }
    confirmed = CalendarYear.objects.filter(year=arr.year).first()
    plan = LoadPlan(
        arrangement=arr,
        source=(source or arr.source)[:200],
        source_before=confirmed.source if confirmed else None,
    )
    for day, row in listed.items():
        old = existing.get(day)
        if old is None:
            plan.create[day] = row
        elif old != row:
            plan.update[day] = (old, row)
        else:
            plan.unchanged += 1
    for day, row in existing.items():
        if day not in listed and day not in neighbours:
            plan.delete[day] = row
    return plan


def load_arrangement(
    text_or_parsed: str | Arrangement,
    *,
    source: str = "",
    actor,
    year: int | None = None,
    dry_run: bool = False,
) -> LoadPlan:
    """Load a State Council notice (its text, or `arrangement.parse_notice`'s result) into the
    override table and mark its year confirmed, in one transaction, with one audit record
    (object_type "core.calendar", object_id the year). Loading the same notice again changes
    nothing and records nothing; loading a corrected one replaces the year's rows.

    Raises ValueError (arrangement.NoticeError) for a notice it cannot read."""
    if isinstance(text_or_parsed, Arrangement):
        arr = text_or_parsed
        if year is not None and year != arr.year:
            raise ValueError(f"the notice is for {arr.year}, but year {year} was given")
    else:
        arr = parse_notice(text_or_parsed, year)
    if dry_run:
        return plan_arrangement(arr, source=source)
    with transaction.atomic():
        # Serialise loads: the audit head is the one row every audited writer locks.
        AuditHead.objects.select_for_update().get_or_create(pk=1)
        plan = plan_arrangement(arr, source=source)
        if not plan.changed:
            return plan
        if plan.delete:
            CalendarDay.objects.filter(date__in=list(plan.delete)).delete()
        for day, (_, (working, note)) in plan.update.items():
            CalendarDay.objects.filter(date=day).update(is_working_day=working, note=note)
        CalendarDay.objects.bulk_create(
            CalendarDay(date=day, is_working_day=working, note=note)
            for day, (working, note) in plan.create.items()
        )
        CalendarYear.objects.update_or_create(year=arr.year, defaults={"source": plan.source})
        audit.record(
            actor,
            [
                audit.Entry(
                    "create" if plan.confirms else "update",
                    OBJECT_TYPE,
                    arr.year,
                    f"{arr.year}年部分节假日安排",
                    plan.changes(),
                    {
                        "notice": {
                            "source": plan.source,
                            "holidays": [[d, note] for d, note in arr.holidays],
                            "workdays": [[d, note] for d, note in arr.workdays],
                        }
                    },
                )
            ],
        )
    return plan
