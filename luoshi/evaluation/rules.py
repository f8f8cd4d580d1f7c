"""Evaluation arithmetic, plain Python: target attainment, which tasks must be evaluated, the
dates of re-checks and post-evaluations, and what a quality rating counts for in assessment."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from decimal import ROUND_HALF_UP, Decimal

TENTH = Decimal("0.1")
HUNDRED = Decimal(100)

# The quality ratings, best first; excellent and good count as met in the assessment's
# quality indicator, fair and poor as missed.
QUALITIES = ("excellent", "good", "fair", "poor")
QUALITY_MET = frozenset({"excellent", "good"})

# The sources whose issuer is owed an answer (回音): a leader's instruction, a meeting, a
# proposal or motion. A document or "other" source names no one to answer.
ANSWERED_SOURCES = frozenset({"instruction", "meeting", "proposal"})

MAX_RECHECK_MONTHS = 60


def attainment(target: Decimal | None, actual: Decimal | None) -> Decimal | None:
    """actual / target in percent with one decimal (计划完工30所、已完工23所 → 76.7); None when
    there is no target to attain (none, or zero)."""
    if target is None or Decimal(target) == 0:
        return None
    got = Decimal(actual) if actual is not None else Decimal(0)
    return (got * HUNDRED / Decimal(target)).quantize(TENTH, ROUND_HALF_UP)


def must_evaluate(key_task: bool, evaluate_all: bool) -> bool:
    """Key tasks are always evaluated; the others when the plan says so."""
    return key_task or evaluate_all


def needs_answer(source_kind: str) -> bool:
    return source_kind in ANSWERED_SOURCES


def parse_months(text: str) -> tuple[int, ...]:
    """ "3,6" (or "3，6", "3 6", "3、6") → (3, 6): the months after acceptance of each re-check,
    ascending, without repeats. Raises ValueError naming the bad part."""
    parts = [p for p in re.split(r"[,，、\s]+", (text or "").strip()) if p]
    months = set()
    for p in parts:
        if not p.isdigit() or not 1 <= int(p) <= MAX_RECHECK_MONTHS:
            raise ValueError(p)
        months.add(int(p))
    return tuple(sorted(months))


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or the month's last day when it has no such day
    (31 Aug + 6 months → 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def recheck_dates(accepted_on: dt.date, months: tuple[int, ...]) -> list[dt.date]:
    return [add_months(accepted_on, m) for m in months]


# --- close-out -------------------------------------------------------------------------------

ON_TIME, LATE, RECTIFIED, CONSOLIDATED, NOT_DONE = (
    "on_time",
    "late",
    "rectified",
    "consolidated",
    "not_done",
)
OUTCOMES = (ON_TIME, LATE, RECTIFIED, CONSOLIDATED, NOT_DONE)


def outcome(*, done: bool, days_late: int | None, rechecks: list[tuple[str, bool]]) -> str:
    """A task's one outcome at close-out (成果巩固), from its status, its acceptance's working
    days late and its re-checks in round order, each (status, rectification done):

    * not_done: not done, or a regression whose rectification is still open;
    * consolidated: done, every re-check scheduled is recorded and the last one held (after a
      regression, the rectified result held at the next re-check);
    * rectified: a regression found and its rectification done, the result not yet re-checked;
    * on_time / late: done, by its acceptance, with re-checks still to come (or none).
    """
    regressed = [fixed for status, fixed in rechecks if status == "regressed"]
    if any(not fixed for fixed in regressed) or not done:
        return NOT_DONE
    if rechecks and all(s != "due" for s, _ in rechecks) and rechecks[-1][0] == "held":
        return CONSOLIDATED
    if regressed:
        return RECTIFIED
    return LATE if (days_late or 0) > 0 else ON_TIME
