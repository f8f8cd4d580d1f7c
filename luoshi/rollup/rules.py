"""Target roll-up arithmetic, plain Python: the rate of a summed actual against its target, as
offices print it (计划完工30所、已完工23所 → 76.7%)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from luoshi.core.text import json_number

ONE_PLACE = Decimal("0.1")


@dataclass(frozen=True)
class Line:
    """One category and measure of a plan: targets and actuals summed over its tasks."""

    category_id: int | None
    category: str
    measure: str
    target: Decimal
    actual: Decimal
    tasks: int

    @property
    def rate(self) -> Decimal | None:
        return rate(self.target, self.actual)


def rate(target: Decimal | int | None, actual: Decimal | int | None) -> Decimal | None:
    """actual / target in percent, one decimal, halves rounded up (76.666… → 76.7). None when
    there is no target to measure against (none, or 0)."""
    if target is None or Decimal(target) == 0:
        return None
    pct = Decimal(actual or 0) * 100 / Decimal(target)
    return pct.quantize(ONE_PLACE, rounding=ROUND_HALF_UP)


def as_json(plan: str, lines: list[Line]) -> dict:
    """The document `luoshi rollup --json` prints and the API answers."""
    return {
        "plan": plan,
        "categories": [
            {
                "category": line.category,
                "measure": line.measure,
                "target": json_number(line.target),
                "actual": json_number(line.actual),
                "rate": json_number(line.rate),
            }
            for line in lines
        ],
    }
