"""Satisfaction survey results (满意度测评) imported from a workbook, as offices receive them from
the survey: one row per task, found by its No. — 序号 | 满意度 | 参评人数 (other columns are
ignored). The satisfaction is a percentage (96.5, "96.5%", or 0.965 as Excel stores a percent
cell). Each row goes onto the task's evaluation, which must exist: the survey completes an
evaluation, it does not make one.

A dry run first, then all or nothing (core.importing): every error names the row, the column,
the cell and why, and nothing is written while one remains."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from luoshi.core import audit, importing
from luoshi.core.versioning import save_versioned
from luoshi.core.xlsx import WorkbookError
from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Plan

from .models import Evaluation

HEADERS = {
    "no": ("序号", "编号", "任务编号", "no"),
    "satisfaction": ("满意度", "满意率", "测评满意度", "群众满意度", "satisfaction"),
    "respondents": ("参评人数", "测评人数", "样本量", "有效问卷", "有效样本", "respondents"),
}
HEADER_ROWS = 10


@dataclass
class Options:
    plan: Plan
    filename: str = ""


def _norm(text) -> str:
    return re.sub(r"[\s（）()%％]", "", str(text or "")).lower()


def _header(rows: list[list]) -> tuple[int, dict[str, int]] | None:
    for i, row in enumerate(rows[:HEADER_ROWS]):
        found = {}
        for col, cell in enumerate(row):
            for key, names in HEADERS.items():
                if key not in found and _norm(cell) in names:
                    found[key] = col
        if "no" in found and "satisfaction" in found:
            return i, found
    return None


def _no(value) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value or "").strip()


def _percent(value) -> Decimal:
    text = str(value).strip().replace("％", "%")
    ratio = isinstance(value, float) and 0 <= value <= 1
    d = Decimal(text.rstrip("%"))
    if ratio and not text.endswith("%"):
        d *= 100  # a percent cell: Excel keeps 96.5 % as 0.965
    if not d.is_finite() or not 0 <= d <= 100:
        raise ValueError
    return d.quantize(Decimal("0.1"))


def _err(sheet: str, row: int, column: str, value, reason: str) -> dict:
    return {"sheet": sheet, "row": row, "column": column, "value": str(value), "reason": reason}


def analyse(data: bytes, opts: Options, *, actor) -> tuple[importing.Report, dict]:
    report = importing.Report()
    try:
        sheets = importing.read_table(data, opts.filename)
    except WorkbookError as exc:
        report.errors.append(_err("", 0, "", "", str(exc)))
        return report, {}
    for sheet in sheets:
        found = _header(sheet.rows)
        if found is not None:
            break
    else:
        report.errors.append(
            _err("", 0, "", "", _("No sheet has a 序号 column and a 满意度 column."))
        )
        return report, {}
    start, cols = found
    header = sheet.rows[start]
    evaluations = {
        e.task.no: e for e in Evaluation.objects.filter(task__plan=opts.plan).select_related("task")
    }
    nos = set(opts.plan.tasks.values_list("no", flat=True))
    changes = []
    for i, row in enumerate(sheet.rows[start + 1 :], start=start + 2):

        def cell(key, row=row):
            return row[cols[key]] if key in cols and cols[key] < len(row) else ""

        def name(key):
            return str(header[cols[key]])

        no = _no(cell("no"))
        if not no and cell("satisfaction") in ("", None):
            continue
        report.rows += 1
        if no not in nos:
            report.errors.append(
                _err(sheet.name, i, name("no"), no, _("No task of this plan has this No."))
            )
            continue
        ev = evaluations.get(no)
        if ev is None:
            report.errors.append(
                _err(
                    sheet.name,
                    i,
                    name("no"),
                    no,
                    _("The task is not evaluated yet: evaluate it first."),
                )
            )
            continue
        try:
            satisfaction = _percent(cell("satisfaction"))
        except (InvalidOperation, ValueError, TypeError):
            report.errors.append(
                _err(
                    sheet.name,
                    i,
                    name("satisfaction"),
                    cell("satisfaction"),
                    _("Not a percentage from 0 to 100."),
                )
            )
            continue
        respondents = ev.respondents
        raw = cell("respondents")
        if "respondents" in cols and raw not in ("", None):
            try:
                respondents = int(Decimal(str(raw).strip()))
                if respondents < 0:
                    raise ValueError
            except (InvalidOperation, ValueError):
                report.errors.append(
                    _err(sheet.name, i, name("respondents"), raw, _("Give a whole number."))
                )
                continue
        if (ev.satisfaction, ev.respondents) == (satisfaction, respondents):
            report.unchanged += 1
        else:
            report.changed += 1
            changes.append((ev, satisfaction, respondents))
    return report, {"changes": changes}


def write(report: importing.Report, state: dict, opts: Options, *, actor) -> None:
    entries = []
    for ev, satisfaction, respondents in state["changes"]:
        before = {"satisfaction": ev.satisfaction, "respondents": ev.respondents}
        save_versioned(ev, ev.version, {"satisfaction": satisfaction, "respondents": respondents})
        entries.append(
            audit.Entry(
                "update",
                "evaluation.evaluation",
                ev.pk,
                str(ev),
                audit.diff(before, {"satisfaction": satisfaction, "respondents": respondents}),
                {"task": ev.task_id, "source": "satisfaction survey"},
            )
        )
    audit.record(actor, entries)


def import_satisfaction(
    plan: Plan, data: bytes, *, actor, filename: str = "", commit: bool = False
) -> importing.Report:
    """The dry run (commit=False), or the all-or-nothing import, by a plan manager."""
    ledger_access.require_manage_plan(actor, plan)
    return importing.execute(
        analyse, write, data, Options(plan, filename), actor=actor, commit=commit
    )
