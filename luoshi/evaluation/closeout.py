"""Plan close-out (成果巩固): every task of a plan in exactly one outcome — done on time, late,
rectified, consolidated, not done (with the reason) — and the closed-loop check's open items
that remain in the plan. The page, the export and `luoshi closeout` read this one function.

Set-based: the plan's tasks, their acceptances and their re-checks are read in three queries,
the open items in one count per kind of item."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field

import xlsxwriter
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core.xlsx import safe_cell
from luoshi.ledger.models import Plan, Task, TaskStatus
from luoshi.supervision import closed_loop

from . import access, rules
from .models import Completion, Recheck


@dataclass
class Line:
    task_id: int
    no: str
    title: str
    unit: str
    outcome: str
    reason: str = ""


@dataclass
class Closeout:
    plan: Plan
    outcomes: dict[str, int]
    open_items: int
    open_by_kind: dict[str, int]
    lines: list[Line] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "plan": self.plan.name,
            "outcomes": {k: self.outcomes.get(k, 0) for k in rules.OUTCOMES},
            "open_items": self.open_items,
        }


def outcome_labels() -> dict[str, str]:
    return {
        rules.ON_TIME: _("done on time"),
        rules.LATE: _("done late"),
        rules.RECTIFIED: _("rectified"),
        rules.CONSOLIDATED: _("consolidated"),
        rules.NOT_DONE: _("not done"),
    }


def _in_plan(qs: QuerySet, plan: Plan) -> QuerySet:
    """An open-item source's rows narrowed to the plan, by whichever path reaches it."""
    names = {f.name for f in qs.model._meta.get_fields()}
    if qs.model is Task:
        return qs.filter(plan=plan)
    if "task" in names:
        return qs.filter(task__plan=plan)
    if "tasks" in names:
        return qs.filter(tasks__plan=plan).distinct()
    if "plan" in names:
        return qs.filter(plan=plan)
    if "completion" in names:
        return qs.filter(completion__task__plan=plan)
    return qs.none()


def open_items(person, plan: Plan, now=None) -> dict[str, int]:
    now = now or timezone.now()
    out = {}
    for source in closed_loop.sources():
        n = _in_plan(source.rows(person, now), plan).count()
        if n:
            out[source.kind] = n
    return out


def closeout(person, plan: Plan, *, lines: bool = True, now=None) -> Closeout:
    tasks = list(
        access.tasks_for(person)
        .filter(plan=plan)
        .order_by("sort_key")
        .values_list("pk", "no", "title", "status", "primary_unit__name", "problems")
    )
    late: dict[int, int] = {}
    for task_id, days in (
        Completion.objects.filter(task__plan=plan, status=Completion.Status.ACCEPTED)
        .order_by("decided_at", "pk")
        .values_list("task_id", "days_late")
    ):
        late[task_id] = days or 0  # the latest acceptance wins
    checks: dict[int, list[tuple[str, bool]]] = {}
    for task_id, status, fix_status in (
        Recheck.objects.filter(task__plan=plan)
        .order_by("completion__decided_at", "round", "pk")
        .values_list("task_id", "status", "rectification__status")
    ):
        checks.setdefault(task_id, []).append((status, fix_status == TaskStatus.DONE))

    counts: Counter = Counter()
    out_lines = []
    labels = dict(TaskStatus.choices)
    for pk, no, title, status, unit, problems in tasks:
        mine = checks.get(pk, [])
        result = rules.outcome(
            done=status == TaskStatus.DONE, days_late=late.get(pk), rechecks=mine
        )
        counts[result] += 1
        if lines:
            reason = ""
            if result == rules.NOT_DONE:
                if status == TaskStatus.DONE:
                    reason = _("regressed at a re-check; the rectification is open")
                else:
                    reason = str(labels.get(status, status))
                    if problems:
                        reason += "：" + problems[:200]
            out_lines.append(Line(pk, no, title, unit or "", result, reason))
    by_kind = open_items(person, plan, now)
    return Closeout(
        plan=plan,
        outcomes={k: counts.get(k, 0) for k in rules.OUTCOMES},
        open_items=sum(by_kind.values()),
        open_by_kind=by_kind,
        lines=out_lines,
    )


def workbook(result: Closeout) -> bytes:
    """The close-out as a workbook: the outcomes, then every task with its outcome and reason."""
    labels = outcome_labels()
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_numbers": False})
    bold = wb.add_format({"bold": True})
    ws = wb.add_worksheet("成果巩固")
    ws.write(0, 0, safe_cell(result.plan.name), bold)
    row = 2
    for key, n in result.outcomes.items():
        ws.write(row, 0, labels[key])
        ws.write_number(row, 1, n)
        row += 1
    ws.write(row, 0, _("open items"))
    ws.write_number(row, 1, result.open_items)
    row += 2
    headers = [_("No."), _("Task"), _("Responsible unit"), _("Outcome"), _("Reason")]
    for col, h in enumerate(headers):
        ws.write(row, col, h, bold)
    ws.freeze_panes(row + 1, 0)
    for line in result.lines:
        row += 1
        cells = (line.no, line.title, line.unit, labels[line.outcome], line.reason)
        for col, value in enumerate(cells):
            ws.write_string(row, col, str(safe_cell(value)))
    ws.set_column(0, 0, 10)
    ws.set_column(1, 1, 48)
    ws.set_column(2, 2, 20)
    ws.set_column(3, 3, 12)
    ws.set_column(4, 4, 40)
    wb.close()
    return buf.getvalue()
