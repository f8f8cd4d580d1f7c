"""Scoped reads for the target roll-up: the tasks behind it are the ledger's, through
ledger.access, so a unit's roll-up sums only what it may read."""

from __future__ import annotations

from django.db.models import Count, DecimalField, Min, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Plan, Task, TaskStatus

from .rules import Line


def counted_tasks(person, plan: Plan) -> QuerySet[Task]:
    """The tasks a roll-up sums: with a target, not cancelled, and not a subtask of a task that
    carries a target itself (the parent's target already holds its subtasks')."""
    return (
        ledger_access.tasks_for(person)
        .filter(plan=plan, target__isnull=False)
        .exclude(status=TaskStatus.CANCELLED)
        .exclude(parent__target__isnull=False)
    )


def rollup(person, plan: Plan) -> list[Line]:
    """Per category and measure, the targets and actuals of the plan's tasks this person sees,
    summed in one query, in the ledger's order: categories as the ledger orders them (tasks
    without one last), measures within one as they first appear."""
    zero = Value(0, output_field=DecimalField(max_digits=18, decimal_places=4))
    rows = (
        counted_tasks(person, plan)
        .values("category_id", "category__name", "category__order", "measure")
        .annotate(
            target_sum=Sum("target"),
            actual_sum=Coalesce(Sum("actual"), zero),
            tasks=Count("pk"),
            first=Min("sort_key"),
        )
        .order_by()
    )
    lines = [
        Line(
            category_id=r["category_id"],
            category=r["category__name"] or "",
            measure=r["measure"] or "",
            target=r["target_sum"],
            actual=r["actual_sum"],
            tasks=r["tasks"],
        )
        for r in rows
    ]
    order = {r["category_id"]: (r["category__order"], r["category_id"] or 0) for r in rows}
    first = {(r["category_id"], r["measure"] or ""): r["first"] for r in rows}
    lines.sort(
        key=lambda line: (
            line.category_id is None,
            order[line.category_id],
            first[line.category_id, line.measure],
        )
    )
    return lines
