"""Assessment (考核) arithmetic, plain Python: what counts for each indicator, its value, its
points under a weight, bonus and penalty items, the score and the ranking.

DOMAIN.md's default scheme (weights sum to 100): completion rate of tasks due 40, on-time rate
20, report timeliness 15, problems resolved within their SLA 10, quality of the reports as the
reviewers judged them 15; plus bonus and penalty items. A score is exactly the sum of its
breakdown's points: each indicator's points are rounded to two decimals first, then summed.

An indicator with nothing to count for a unit (no task due yet, no report due in the period)
is not applicable: it gives its full weight, and says so (`value` None), since the unit failed
nothing it could be measured on.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from luoshi.core.text import json_number

CENT = Decimal("0.01")
HUNDRED = Decimal(100)

COMPLETION = "completion"
ON_TIME = "on_time"
REPORTING = "reporting"
PROBLEMS = "problems"
QUALITY = "quality"
INDICATORS = (COMPLETION, ON_TIME, REPORTING, PROBLEMS, QUALITY)
NAMES = {
    COMPLETION: "任务完成率",
    ON_TIME: "按时完成率",
    REPORTING: "报送及时率",
    PROBLEMS: "问题按期解决率",
    QUALITY: "报送质量",
}
DEFAULT_WEIGHTS = {
    COMPLETION: Decimal(40),
    ON_TIME: Decimal(20),
    REPORTING: Decimal(15),
    PROBLEMS: Decimal(10),
    QUALITY: Decimal(15),
}
LATE_ORDER = "late_order"
DEFAULT_LATE_ORDER_PENALTY = Decimal(1)

DONE = "done"
NOT_COUNTED = frozenset({"cancelled", "suspended"})
_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


class BadPeriod(ValueError):
    pass


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """'2026-06' → (1 June, 30 June)."""
    m = _PERIOD.match(period or "")
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1900:
        raise BadPeriod(f"A period is a month written YYYY-MM, not {period!r}.")
    year, month = int(m.group(1)), int(m.group(2))
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def previous_period(period: str) -> str:
    start, _ = period_bounds(period)
    before = start - dt.timedelta(days=1)
    return f"{before.year:04d}-{before.month:02d}"


def weights_error(weights: dict[str, Decimal]) -> str | None:
    """Why these weights cannot be a scheme, or None: every indicator 0–100, summing to 100."""
    for code in INDICATORS:
        w = weights.get(code)
        if w is None or w < 0 or w > HUNDRED:
            return f"{NAMES[code]}: a weight from 0 to 100"
    total = sum(Decimal(weights[c]) for c in INDICATORS)
    if total != HUNDRED:
        return f"the weights add up to {total.normalize():f}, not 100"
    return None


# --- counting ------------------------------------------------------------------------------


@dataclass
class Tally:
    """What one indicator counts for one unit: the items (task ids) that met it and those that
    did not. The value is met / counted in percent."""

    met: list[int] = field(default_factory=list)
    missed: list[int] = field(default_factory=list)

    @property
    def counted(self) -> int:
        return len(self.met) + len(self.missed)

    def add(self, task_id: int, ok: bool) -> None:
        (self.met if ok else self.missed).append(task_id)

    @property
    def value(self) -> Decimal | None:
        if not self.counted:
            return None
        return (Decimal(len(self.met)) * HUNDRED / self.counted).quantize(CENT, ROUND_HALF_UP)


def count_tasks(
    rows: Iterable[tuple[int, int, dt.date | None, bool, str, dt.date | None]],
    as_of: dt.date,
    days_late: Callable[[dt.date, dt.date], int],
) -> tuple[dict[int, Tally], dict[int, Tally]]:
    """Completion and on-time tallies per unit from (unit_id, task_id, deadline, ongoing,
    status, completed_on) of the tasks the units are responsible for.

    Due: a deadline on or before `as_of`, not ongoing, not cancelled or suspended. Completed:
    status done, completed by `as_of` (a done task without a date counts as completed). On
    time: of the completed due tasks, those completed with no working day late (a deadline
    on a day off is met on the next working day)."""
    completion: dict[int, Tally] = {}
    on_time: dict[int, Tally] = {}
    for unit_id, task_id, deadline, ongoing, status, completed_on in rows:
        if deadline is None or ongoing or status in NOT_COUNTED or deadline > as_of:
            continue
        done = status == DONE and (completed_on is None or completed_on <= as_of)
        completion.setdefault(unit_id, Tally()).add(task_id, done)
        if done:
            late = completed_on is not None and days_late(deadline, completed_on) > 0
            on_time.setdefault(unit_id, Tally()).add(task_id, not late)
    return completion, on_time


def count_reports(
    rows: Iterable[tuple[int, int, dt.datetime, dt.datetime | None]],
) -> dict[int, Tally]:
    """Report timeliness per unit from (unit_id, task_id, due_at, submitted_at) of the report
    slots due in the period (up to now): submitted by the due time, or not."""
    out: dict[int, Tally] = {}
    for unit_id, task_id, due_at, submitted_at in rows:
        out.setdefault(unit_id, Tally()).add(
            task_id, submitted_at is not None and submitted_at <= due_at
        )
    return out


def count_problems(
    rows: Iterable[tuple[int, int, str, int, int, dt.date | None, dt.date | None]],
    start: dt.date,
    as_of: dt.date,
) -> dict[int, Tally]:
    """Problems resolved within their SLA per unit from (unit_id, task_id, status, level,
    raised_level, closed_on, sla_due_on) of the problems raised by `as_of`.

    Counted: closed in the period, or still open with its answer due by `as_of`. Met: closed
    in the period at the level it was raised at (a problem climbs only past its SLA)."""
    out: dict[int, Tally] = {}
    for unit_id, task_id, status, level, raised_level, closed_on, sla_due_on in rows:
        closed = status != "open" and closed_on is not None and closed_on <= as_of
        if closed and closed_on >= start:
            out.setdefault(unit_id, Tally()).add(task_id, level == raised_level)
        elif not closed and sla_due_on is not None and sla_due_on <= as_of:
            out.setdefault(unit_id, Tally()).add(task_id, False)
    return out


def count_quality(rows: Iterable[tuple[int, int, bool]]) -> dict[int, Tally]:
    """Report quality per unit from (unit_id, task_id, returned) of the reports accepted in
    the period: accepted without being sent back, or not."""
    out: dict[int, Tally] = {}
    for unit_id, task_id, returned in rows:
        out.setdefault(unit_id, Tally()).add(task_id, not returned)
    return out


# --- scoring -------------------------------------------------------------------------------


def points(value: Decimal | None, weight: Decimal) -> Decimal:
    """An indicator's points: its value (a percentage) of its weight; full weight when not
    applicable."""
    if value is None:
        return Decimal(weight).quantize(CENT)
    return (Decimal(value) * Decimal(weight) / HUNDRED).quantize(CENT, ROUND_HALF_UP)


@dataclass(frozen=True)
class Item:
    """One line of a score's breakdown: an indicator, or a bonus / penalty item (weight 0)."""

    code: str
    indicator: str
    weight: Decimal
    value: Decimal | None
    points: Decimal
    met: tuple[int, ...] = ()
    missed: tuple[int, ...] = ()

    def as_json(self, with_tasks: bool = False) -> dict:
        out = {
            "code": self.code,
            "indicator": self.indicator,
            "weight": json_number(self.weight),
            "value": json_number(self.value),
            "points": json_number(self.points),
        }
        if with_tasks:
            out["met"] = list(self.met)
            out["missed"] = list(self.missed)
        return out


def breakdown(
    weights: dict[str, Decimal],
    tallies: dict[str, Tally | None],
    adjustments: Iterable[tuple[str, str, Decimal]] = (),
) -> list[Item]:
    """The indicators (in scheme order, weight 0 left out) then the bonus and penalty items
    (code, label, points)."""
    items = []
    for code in INDICATORS:
        weight = Decimal(weights[code])
        if weight == 0:
            continue
        tally = tallies.get(code)
        value = tally.value if tally is not None else None
        items.append(
            Item(
                code,
                NAMES[code],
                weight,
                value,
                points(value, weight),
                tuple(tally.met) if tally else (),
                tuple(tally.missed) if tally else (),
            )
        )
    for code, label, pts in adjustments:
        items.append(Item(code, label, Decimal(0), None, Decimal(pts).quantize(CENT)))
    return items


def score(items: Iterable[Item]) -> Decimal:
    return sum((i.points for i in items), Decimal(0)).quantize(CENT)


def ranks(scores: dict[int, Decimal], names: dict[int, str]) -> list[tuple[int, int]]:
    """(unit_id, rank), best first: equal scores share a rank and the next rank skips
    (1, 1, 3), ties listed by name."""
    order = sorted(scores, key=lambda u: (-scores[u], names.get(u, ""), u))
    out, rank, last = [], 0, None
    for i, unit_id in enumerate(order, start=1):
        if scores[unit_id] != last:
            rank, last = i, scores[unit_id]
        out.append((unit_id, rank))
    return out
