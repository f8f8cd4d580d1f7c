"""The cockpit's arithmetic and chart shapes, plain Python.

Completion and on time are the assessment's definitions (luoshi/assessment/rules.count_tasks):
a task is due when its deadline is on or before today and it is neither cancelled nor suspended
(an ongoing task has no deadline, so it is never due); completed when its status is done; on
time when, of the completed due tasks, it was completed with no working day late — which is the
light the supervision stage shows for it ("done" against "done_late", the same working-day rule),
so the ledger's light filter lists exactly the tasks a figure counts.

Every chart element carries the URL of the list that shows the tasks it counts: the page
navigates there on a click, and the table under each chart links the same numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from luoshi.core.text import json_number
from luoshi.rollup.rules import rate as _target_rate

RED, YELLOW, GREEN, DONE, DONE_LATE, OFF = "red", "yellow", "green", "done", "done_late", "off"
LIGHTS = (RED, YELLOW, GREEN, DONE, DONE_LATE, OFF)
# The colours offices use for the lights; the finished ones in blues, "off" in grey.
LIGHT_COLOURS = {
    RED: "#dc3545",
    YELLOW: "#ffc107",
    GREEN: "#198754",
    DONE: "#0d6efd",
    DONE_LATE: "#6f42c1",
    OFF: "#adb5bd",
}
# The three parts of the tasks due: not completed, completed on time, completed late.
OPEN, ON_TIME, LATE = "open", "on_time", "late"
PARTS = (OPEN, ON_TIME, LATE)
PART_COLOURS = {OPEN: "#dc3545", ON_TIME: "#198754", LATE: "#fd7e14"}
# Reports of a dispatch cycle: submitted by the due time, after it, or not (yet) submitted.
SUBMITTED_ON_TIME, SUBMITTED_LATE, NOT_SUBMITTED = "submitted_on_time", "submitted_late", "missing"
REPORT_PARTS = (SUBMITTED_ON_TIME, SUBMITTED_LATE, NOT_SUBMITTED)
REPORT_COLOURS = {SUBMITTED_ON_TIME: "#198754", SUBMITTED_LATE: "#fd7e14", NOT_SUBMITTED: "#dc3545"}


def rate(part: int, whole: int) -> Decimal | None:
    """part / whole in percent, one decimal, halves up (2 of 3 → 66.7); None when nothing to
    measure. The roll-up's rate: one rounding rule for every percentage the leaders read."""
    return _target_rate(whole, part)


@dataclass(frozen=True)
class Tally:
    """The tasks due in one slice (a plan, a category, a unit, or all): how many, how many
    completed, and of those how many on time and late by their light."""

    due: int = 0
    done: int = 0
    on_time: int = 0
    late: int = 0

    @property
    def open(self) -> int:
        return self.due - self.done

    @property
    def completion_rate(self) -> Decimal | None:
        return rate(self.done, self.due)

    @property
    def on_time_rate(self) -> Decimal | None:
        return rate(self.on_time, self.done)

    def part(self, name: str) -> int:
        return {OPEN: self.open, ON_TIME: self.on_time, LATE: self.late}[name]

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.due + other.due,
            self.done + other.done,
            self.on_time + other.on_time,
            self.late + other.late,
        )

    def as_json(self) -> dict:
        return {
            "due": self.due,
            "done": self.done,
            "on_time": self.on_time,
            "late": self.late,
            "open": self.open,
            "completion_rate": json_number(self.completion_rate),
            "on_time_rate": json_number(self.on_time_rate),
        }


def total(tallies: Iterable[Tally]) -> Tally:
    out = Tally()
    for t in tallies:
        out = out + t
    return out


@dataclass(frozen=True)
class Row:
    """One bar of a rate chart: its label, its tally and the ledger query (without the part's
    own filters) that lists its tasks; `query` None when no list can show exactly them."""

    key: int | str | None
    label: str
    tally: Tally
    query: dict | None


def stacked(
    rows: list[Row],
    part_names: Mapping[str, str],
    url: Callable[[dict, str], str],
) -> dict:
    """A stacked bar chart of the due tasks' three parts per row. `url(query, part)` gives the
    list of a part's tasks; a segment without a list has no link."""
    return {
        "kind": "bar",
        "categories": [r.label for r in rows],
        "rates": [json_number(r.tally.completion_rate) for r in rows],
        "series": [
            {
                "name": part_names[p],
                "color": PART_COLOURS[p],
                "data": [
                    {
                        "value": r.tally.part(p),
                        "url": url(r.query, p) if r.query is not None else None,
                    }
                    for r in rows
                ],
            }
            for p in PARTS
        ],
    }


def light_slices(
    counts: Mapping[str | None, int],
    names: Mapping[str, str],
    url: Callable[[str], str],
) -> dict:
    """The pie of lights, in the lights' order, empty ones left out (a zero slice cannot be
    clicked). Tasks the lights pass has not reached yet (light None) have no slice: no list
    filters on "no light"; the page says how many there are."""
    return {
        "kind": "pie",
        "data": [
            {
                "key": light,
                "name": names[light],
                "value": counts[light],
                "color": LIGHT_COLOURS[light],
                "url": url(light),
            }
            for light in LIGHTS
            if counts.get(light)
        ],
    }


@dataclass(frozen=True)
class CycleReports:
    """The reports of one dispatch cycle that are due by now, in the viewer's slice."""

    cycle_id: int
    label: str
    on_time: int
    late: int
    missing: int

    @property
    def due(self) -> int:
        return self.on_time + self.late + self.missing

    @property
    def timely_rate(self) -> Decimal | None:
        return rate(self.on_time, self.due)

    def part(self, name: str) -> int:
        return {
            SUBMITTED_ON_TIME: self.on_time,
            SUBMITTED_LATE: self.late,
            NOT_SUBMITTED: self.missing,
        }[name]


def trend(
    cycles: list[CycleReports],
    part_names: Mapping[str, str],
    url: Callable[[CycleReports], str],
) -> dict:
    """Stacked bars per cycle, oldest first, plus the line of the on-time share."""
    return {
        "kind": "bar",
        "categories": [c.label for c in cycles],
        "rates": [json_number(c.timely_rate) for c in cycles],
        "series": [
            {
                "name": part_names[p],
                "color": REPORT_COLOURS[p],
                "data": [{"value": c.part(p), "url": url(c)} for c in cycles],
            }
            for p in REPORT_PARTS
        ],
    }


def ranking(rows: list[tuple[str, Decimal, str]]) -> dict:
    """Horizontal bars of (unit, score, breakdown URL), best first at the top."""
    ordered = list(reversed(rows))  # ECharts draws a category axis bottom-up
    return {
        "kind": "hbar",
        "categories": [name for name, _, _ in ordered],
        "series": [
            {
                "name": "",
                "color": "#0d6efd",
                "data": [{"value": json_number(score), "url": u} for _, score, u in ordered],
            }
        ],
    }


def rollup_bars(rows: list[tuple[str, Decimal | None, str]]) -> dict:
    """Bars of each roll-up line's rate (of its target), linking on as the roll-up page does."""
    return {
        "kind": "hbar",
        "percent": True,
        "categories": [label for label, _, _ in reversed(rows)],
        "series": [
            {
                "name": "",
                "color": "#20c997",
                "data": [
                    {"value": json_number(r) if r is not None else 0, "url": u}
                    for _, r, u in reversed(rows)
                ],
            }
        ],
    }


def days_overdue(today: dt.date, deadline: dt.date) -> int:
    """Calendar days past the deadline: the most overdue task is the one with the oldest
    deadline, so the top list is an ORDER BY deadline."""
    return max(0, (today - deadline).days)
