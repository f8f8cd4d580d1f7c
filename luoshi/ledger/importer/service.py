"""Ledger import, the ledger's side of the one import pipeline (luoshi.core.importing): read
and parse a workbook, map its units and people, compare it with the plan's tasks, and (on
commit) write every row or none, with the audit records, in one transaction.

The preview and the commit run the same code; the commit recomputes the comparison inside its
transaction and writes it, so what was previewed is what is written unless the ledger changed
in between (and then the commit's report shows the new counts).

Below the importer: the import pages' batches (upload → preview → map names → confirm), each
step that writes a service here, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext

from luoshi.core import audit, importing, uploads
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.importing import ImportFailed
from luoshi.core.xlsx import WorkbookError
from luoshi.org import services as org_services
from luoshi.org.access import visible_units
from luoshi.org.models import Person, Unit
from luoshi.org.scope import scope_for
from luoshi.org.services import split_name_title

from .. import rules
from ..access import can_create_plans, can_manage_plan
from ..dates import Message
from ..exporter import ONGOING
from ..models import Assignment, Category, ImportBatch, Milestone, Plan, Task, TaskStatus
from ..services import TASK_FIELDS, create_plan, task_snapshot, unit_lists_of
from . import errorbook, names
from .parse import ParsedTask, RowError, parse_workbook

# --- reasons: English message templates (messages.py lists them for gettext) ---------------

NO_LEDGER_SHEET = "no sheet has a ledger header row (序号, 任务名称, 责任单位 …)"
YEAR_MISSING = "the plan's year is not in the title: give it"
SEVERAL_UNITS = "several units are named “%(name)s”: map it to one"
UNKNOWN_UNIT = "unknown unit “%(name)s”: map it to an existing unit or create it"
SEVERAL_PEOPLE = "several people are named “%(name)s”: map it to one"
UNKNOWN_PERSON = "unknown person “%(name)s”: map it to an existing person or create it"
NO_OWNER_UNIT = "no unit exists to own the plan"
COLLECTIVE_NONE = (
    "“%(name)s” stands for several units and none of them is in the tree: left out (map it, "
    "or create those units first)"
)
COLLECTIVE_ONLY = (
    "“%(name)s” stands for several units and none of them is in the tree: the task has no "
    "responsible unit (map it, or create those units first)"
)
UNKNOWN_PARENT = "the unit chosen as parent for “%(name)s” no longer exists"
# A rectification ledger's item is closed (销号) only with its evidence (DOMAIN.md: 整改台账
# 问题清单 → 整改措施 → … → 佐证材料 → 销号): where the sheet has an evidence column, a row marked
# done must fill it.
EVIDENCE_MISSING = "marked closed (销号 / 已完成) without its evidence: fill in “%(name)s”"

# luoshi.core.xlsx's WorkbookError says why in English only; its wordings, read back into
# templates so they can be translated. A wording not listed here is shown as it is.
WORKBOOK_TEMPLATES = (
    "the file is empty",
    "not an .xlsx workbook (nor .xls or .ods)",
    "not an .xlsx workbook: %(kind)s",
    "not a real workbook: a web page or XML file saved as .xls; open it in Excel and save it as "
    ".xlsx",
    "not a readable workbook: the file is damaged (%(detail)s)",
    "the workbook is password-protected: remove the password and upload it again",
    "cannot open the workbook: %(detail)s",
    "workbook too large (%(size)s MiB > %(limit)s MiB)",
    "workbook too large when unpacked (%(size)s MiB > %(limit)s MiB)",
    "workbook too large when unpacked (over %(limit)s MiB)",
    "workbook has too many parts (%(parts)s > %(limit)s): refused as unsafe",
    "sheet “%(sheet)s” is too large (%(rows)s rows × %(columns)s columns): delete stray cells far "
    "below or right of the table",
)
# What "not an .xlsx workbook: %(kind)s" says the file is instead.
WORKBOOK_KINDS = ("a Word document", "a PowerPoint file", "a zip file")

TEMPLATES: tuple[str, ...] = (
    NO_LEDGER_SHEET,
    YEAR_MISSING,
    SEVERAL_UNITS,
    UNKNOWN_UNIT,
    SEVERAL_PEOPLE,
    UNKNOWN_PERSON,
    NO_OWNER_UNIT,
    COLLECTIVE_NONE,
    COLLECTIVE_ONLY,
    UNKNOWN_PARENT,
    EVIDENCE_MISSING,
    *WORKBOOK_TEMPLATES,
    *WORKBOOK_KINDS,
)

# The task's own fields an import sets: the ledger's task fields but those set apart (category,
# parent and people, by name; units and milestones have their own tables). The start date only
# when the sheet has a start column; the progress ones (progress … status, percent, actual,
# completed_on) only when the workbook gives them.
_SET_APART = ("category", "parent", "lead_leader", "owner")
PLAIN_FIELDS = tuple(f for f in TASK_FIELDS if f not in _SET_APART)

SOURCE_KINDS = {
    "批示": "instruction",
    "领导批示": "instruction",
    "会议": "meeting",
    "会议纪要": "meeting",
    "提案": "proposal",
    "建议": "proposal",
    "议案": "proposal",
    "文件": "document",
}


@dataclass
class Options:
    plan_name: str
    year: int | None = None
    owner_unit: Unit | None = None
    create_missing: bool = False
    handoff_date: dt.date | None = None
    unit_map: dict[str, int] = field(default_factory=dict)  # name in file -> Unit id
    person_map: dict[str, int] = field(default_factory=dict)  # name in file -> Person id
    filename: str = ""  # the file's name: a .csv is read as CSV, anything else as a workbook
    # The owner unit by name when `owner_unit` is not given (the command's --owner-unit, else
    # the workbook's 填报单位 line): an existing unit, or (create_missing) one created.
    owner_name: str = ""
    # Names chosen on the mapping page to be created: unit name -> parent unit id, and people.
    create_units: dict[str, int] = field(default_factory=dict)
    create_people: list[str] = field(default_factory=list)


@dataclass
class Report(importing.Report):
    """The pipeline's report, with the plan's name, year and categories."""

    plan: str = ""
    year: int | None = None
    categories: int = 0
    not_in_file: list[str] = field(default_factory=list)  # "No. title" of tasks left as they are
    # The header of every column the importer does not map, kept as the tasks' extra fields:
    # shown by the dry run so that a misread header is seen before the commit.
    extra_columns: list[str] = field(default_factory=list)
    # Collective names (各区县交通运输局) and the units each stands for, assigned as several.
    collective: dict[str, list[str]] = field(default_factory=dict)
    # Each unit the commit creates -> the parent it goes under (a name; new ones too).
    created_under: dict[str, str] = field(default_factory=dict)
    owner_unit: str = ""  # the plan's owner unit (a name); created when owner_created
    owner_created: bool = False
    # Unknown names to map or create: their count, not errors on the page ("N 个名称待确认").
    pending: dict[str, list[str]] = field(default_factory=dict)

    # The command line's --json object (issue #2's contract).
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "rows",
        "new",
        "changed",
        "unchanged",
        "categories",
        "errors",
        "created",
        "committed",
    )

    def summary(self) -> dict:
        """The --json object: SUMMARY's keys as they always were, and "extra_columns" (the kept
        columns' headers) when the file has any."""
        out = super().summary()
        if self.extra_columns:
            out["extra_columns"] = list(self.extra_columns)
        if self.collective:
            out["collective"] = {k: list(v) for k, v in self.collective.items()}
        if self.created_under:
            out["created_under"] = dict(self.created_under)
        if self.owner_created:
            out["owner_unit"] = {"name": self.owner_unit, "created": True}
        return out


def translate_reason(template: str, params: dict | None = None) -> str:
    """A reason in the active language: the template through gettext, filled with its
    parameters (those that are Messages, such as a milestone's own reason, translated too).
    Falls back to English when a translation does not fit its parameters."""
    if not template:
        return ""
    params = params or {}
    translated = {
        k: translate_reason(v.template, v.params) if isinstance(v, Message) else v
        for k, v in params.items()
    }
    try:
        return gettext(template) % translated
    except (KeyError, ValueError, TypeError):
        return template % params


def _err(row: int, column: str, value, reason: str | Message, sheet: str = "") -> dict:
    """One error or warning (the pipeline's shape): "reason" in English (the --json contract),
    "message" in the active language. A plain str reason has no translation and is both."""
    message = None
    if isinstance(reason, Message):
        reason, message = str(reason), translate_reason(reason.template, reason.params)
    return importing.problem(row, column, value, reason, message=message, sheet=sheet)


def _row_err(e: RowError, sheet: str) -> dict:
    reason = Message(e.template, e.params) if e.template else e.reason
    return _err(e.row, e.column, e.value, reason, e.sheet or sheet)


def _workbook_pattern(template: str) -> re.Pattern[str]:
    pattern = re.sub(r"%\\\((\w+)\\\)s", r"(?P<\1>.+)", re.escape(template))
    return re.compile(pattern, re.S)


_WORKBOOK_PATTERNS = [(_workbook_pattern(t), t) for t in WORKBOOK_TEMPLATES]


def workbook_reason(text: str) -> Message | str:
    """A WorkbookError's text as a Message, or the text itself when its wording is not known."""
    for pattern, template in _WORKBOOK_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            params: dict[str, object] = m.groupdict()
            if params.get("kind") in WORKBOOK_KINDS:
                params["kind"] = Message(params["kind"])
            return Message(template, params)
    return text


# --- resolution ---------------------------------------------------------------------------


def unit_rows(queryset=None) -> list[names.UnitRow]:
    """Units as the pure name rules see them: one query."""
    qs = Unit.objects.all() if queryset is None else queryset
    return [
        names.UnitRow(i, n, sn or "", k, p, pk or "")
        for i, n, sn, k, p, pk in qs.order_by("path").values_list(
            "id", "name", "short_name", "kind", "path", "parent__kind"
        )
    ]


class _Resolver:
    """Finds the units and people a workbook names, in two queries (a third, the tree, when
    the workbook uses collective names such as 各区县交通运输局)."""

    def __init__(self, tasks: list[ParsedTask], opts: Options, owner_path: str = ""):
        self.opts = opts
        self.ambiguous_units: set[str] = set()
        unit_names = {n for t in tasks for n in [*t.responsible_units, *t.cooperating_units]}
        # Collective names stand for several units, never for one unit of that name.
        self.collective: dict[str, list[names.UnitRow]] = {}
        specs = {
            n: spec
            for n in unit_names
            if n not in opts.unit_map and (spec := names.collective(n)) is not None
        }
        if specs:
            tree = unit_rows()
            for n, spec in specs.items():
                self.collective[n] = names.members_of(spec, tree, owner_path)
            unit_names -= set(specs)
        self.units: dict[str, Unit | None] = {}
        mapped = {u.pk: u for u in Unit.objects.filter(pk__in=opts.unit_map.values())}
        by_name: dict[str, list[Unit]] = defaultdict(list)
        for u in Unit.objects.filter(Q(name__in=unit_names) | Q(short_name__in=unit_names)):
            by_name[u.name].append(u)
            if u.short_name:
                by_name[u.short_name].append(u)
        for name in unit_names:
            if name in opts.unit_map and opts.unit_map[name] in mapped:
                self.units[name] = mapped[opts.unit_map[name]]
            else:
                found = by_name.get(name, [])
                exact = [u for u in found if u.name == name] or found
                self.units[name] = exact[0] if len(exact) == 1 else None
                if len(exact) > 1:
                    self.ambiguous_units.add(name)
        person_names = {t.lead_leader.name for t in tasks if t.lead_leader} | {
            split_name_title(t.owner)[0] for t in tasks if t.owner
        }
        self.people_by_name: dict[str, list[Person]] = defaultdict(list)
        for p in Person.objects.filter(full_name__in=person_names).select_related("unit"):
            self.people_by_name[p.full_name].append(p)
        mapped_people = {p.pk: p for p in Person.objects.filter(pk__in=opts.person_map.values())}
        self.person_override = {
            n: mapped_people[i] for n, i in opts.person_map.items() if i in mapped_people
        }

    def unit(self, name: str) -> Unit | None:
        return self.units.get(name)

    def person(self, name: str, near: Unit | None) -> tuple[Person | None, bool]:
        """(person, ambiguous). With namesakes, prefer the one in or under `near`."""
        if name in self.person_override:
            return self.person_override[name], False
        found = self.people_by_name.get(name, [])
        if len(found) <= 1:
            return (found[0] if found else None), False
        if near is not None:
            close = [p for p in found if p.unit and p.unit.path.startswith(near.path)]
            if len(close) == 1:
                return close[0], False
        return None, True


# --- the plan: what the file means against the database ------------------------------------


@dataclass
class _Row:
    parsed: ParsedTask
    key: str
    parent_key: str | None
    category: str | None
    values: dict  # desired field values (ids for relations)
    task_id: int | None = None
    outcome: str = "new"
    changed: list[str] = field(default_factory=list)


def _decimal_eq(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return Decimal(a) == Decimal(b)


def _status(parsed: ParsedTask) -> str | None:
    return {
        "done": TaskStatus.DONE,
        "in_progress": TaskStatus.IN_PROGRESS,
        "not_started": TaskStatus.NOT_STARTED,
        "suspended": TaskStatus.SUSPENDED,
        "cancelled": TaskStatus.CANCELLED,
    }.get(getattr(parsed, "status", None) or "")


def analyse(data: bytes, opts: Options, *, actor) -> tuple[Report, dict]:
    """Parse and compare. Returns the report and the working state the commit needs."""
    report = Report(plan=opts.plan_name, sha256=hashlib.sha256(data).hexdigest())
    try:
        sheets = importing.read_table(data, opts.filename)
    except WorkbookError as exc:
        report.errors.append(_err(0, "", "", workbook_reason(str(exc))))
        return report, {}
    cal = current_calendar()
    handoff = opts.handoff_date or timezone.localdate()
    parsed = parse_workbook(
        sheets, year=opts.year, handoff_date=handoff, add_working_days=cal.add_working_days
    )
    if not parsed:
        report.errors.append(_err(0, "", "", Message(NO_LEDGER_SHEET)))
        return report, {}
    year = opts.year or next((p.year for p in parsed if p.year), None)
    report.year = year
    if year is None:
        report.errors.append(_err(0, "", "", Message(YEAR_MISSING)))
    multi = len([p for p in parsed if p.tasks]) > 1
    for p in parsed:
        report.errors += [_row_err(e, p.sheet) for e in p.errors]
        report.warnings += [_row_err(e, p.sheet) for e in p.warnings]
    report.extra_columns = list(dict.fromkeys(c for p in parsed for c in p.extra_columns))
    start_columns = {p.sheet for p in parsed if "start_date" in p.columns}
    evidence_columns = {
        p.sheet: c
        for p in parsed
        if _rectification_sheet(p)
        for c in reversed(p.extra_columns)
        if rules.is_evidence_column(c)
    }

    plan = (
        Plan.objects.filter(name=opts.plan_name, year=year).select_related("owner_unit").first()
        if year
        else None
    )
    if plan is not None and not can_manage_plan(actor, plan):
        raise OutOfScope("You may not import into this plan.")
    if plan is None and not can_create_plans(actor):
        raise OutOfScope("Only supervisors and administrators create plans.")

    rows: list[_Row] = []
    categories: list[str] = []
    for p in parsed:
        for name in p.categories:
            if name not in categories:
                categories.append(name)
        for t in p.tasks:
            prefix = f"{p.sheet}|" if multi else ""
            category = t.category or (p.sheet if multi else None)
            if category and category not in categories:
                categories.append(category)
            rows.append(
                _Row(
                    parsed=t,
                    key=prefix + t.key,
                    parent_key=(prefix + t.parent_key) if t.parent_key else None,
                    category=category,
                    values={},
                )
            )
    report.rows = len(rows)
    report.categories = len(categories)

    owner_unit = (plan.owner_unit if plan else None) or opts.owner_unit
    owner_new = ""  # the owner unit's name when the commit creates it
    if owner_unit is None:
        owner_name = opts.owner_name or next((p.filed_by for p in parsed if p.filed_by), "")
        if owner_name:
            owner_unit = (
                Unit.objects.filter(Q(name=owner_name) | Q(short_name=owner_name))
                .order_by("depth", "path")
                .first()
            )
            if owner_unit is None and opts.create_missing:
                owner_new = owner_name
        if owner_unit is None and not owner_new:
            owner_unit = Unit.objects.filter(parent=None).order_by("path").first()
    root = Unit.objects.filter(parent=None).order_by("path").first() if owner_new else None
    report.owner_unit = owner_new or (owner_unit.name if owner_unit else "")
    report.owner_created = bool(owner_new)
    if owner_new and root is not None:
        report.created_under[owner_new] = root.name
    resolver = _Resolver(
        [r.parsed for r in rows],
        opts,
        owner_unit.path if owner_unit else (root.path if root else ""),
    )
    report.collective = {
        n: [u.name for u in members] for n, members in sorted(resolver.collective.items())
    }
    to_create = set(opts.create_units)
    missing_units: dict[str, None] = {}
    missing_people: dict[str, None] = {}
    error_rows: set[tuple[str, int]] = {(e["sheet"], e["row"]) for e in report.errors}

    def refuse(t: ParsedTask, col: str, name: str, template: str, pending=False) -> None:
        """A name the row cannot use as it stands: ambiguous, or unknown (unless created).
        An unknown name is `pending`: to map or create, counted apart on the page."""
        message = Message(template, {"name": name})
        problem = _err(t.row, _column(parsed, t.sheet, col), name, message, t.sheet)
        if pending:
            problem["pending"] = True
        report.errors.append(problem)
        error_rows.add((t.sheet, t.row))

    for r in rows:
        t = r.parsed
        unit_ids = {}
        for col, unit_names in (
            ("responsible_units", t.responsible_units),
            ("cooperating_units", t.cooperating_units),
        ):
            ids = []
            for name in unit_names:
                if name in resolver.collective:
                    members = resolver.collective[name]
                    ids += [u.id for u in members if u.id not in ids]
                    if not members and col == "responsible_units" and len(unit_names) == 1:
                        refuse(t, col, name, COLLECTIVE_ONLY)
                    elif not members:
                        report.warnings.append(
                            _err(
                                t.row,
                                _column(parsed, t.sheet, col),
                                name,
                                Message(COLLECTIVE_NONE, {"name": name}),
                                t.sheet,
                            )
                        )
                    continue
                unit = resolver.unit(name)
                if name in resolver.ambiguous_units:
                    refuse(t, col, name, SEVERAL_UNITS)
                elif unit is None:
                    missing_units[name] = None
                    if not (opts.create_missing or name in to_create):
                        refuse(t, col, name, UNKNOWN_UNIT, pending=True)
                ids.append(unit.pk if unit else f"new:{name}")
            unit_ids[col] = ids
        first_unit = resolver.unit(t.responsible_units[0]) if t.responsible_units else None
        people = {}
        for col, name in (
            ("lead_leader", t.lead_leader.name if t.lead_leader else ""),
            ("owner", split_name_title(t.owner)[0] if t.owner else ""),
        ):
            if not name:
                people[col] = None
                continue
            person, ambiguous = resolver.person(name, first_unit if col == "owner" else owner_unit)
            if ambiguous:
                refuse(t, col, name, SEVERAL_PEOPLE)
            elif person is None:
                missing_people[name] = None
                if not (opts.create_missing or name in opts.create_people):
                    refuse(t, col, name, UNKNOWN_PERSON, pending=True)
            people[col] = person.pk if person else f"new:{name}"
        r.values = {
            "category": r.category,
            "parent": r.parent_key,
            "no": t.no,
            "title": t.title,
            "content": t.content,
            "lead_leader": people["lead_leader"],
            "owner": people["owner"],
            "deadline": t.deadline,
            "ongoing": t.ongoing,
            "deadline_text": _deadline_text(t),
            "key_task": t.key_task,
            "target": t.target,
            "measure": t.measure[:20],
            "frequency": t.frequency or "",
            "notes": t.notes,
            "source_kind": SOURCE_KINDS.get(t.source_kind, "other" if t.source_kind else ""),
            "source_ref": t.source_ref[:200],
            "source_date": t.source_date,
            "extra": t.extra,
            "responsible_units": unit_ids["responsible_units"],
            "cooperating_units": unit_ids["cooperating_units"],
            "milestones": [(m.date, m.name[:300], _pct(m.expected_pct)) for m in t.milestones],
        }
        if t.sheet in start_columns:
            r.values["start_date"] = t.start_date
        progress = {
            "progress": t.progress,
            "problems": t.problems,
            "next_steps": t.next_steps,
            "status": _status(t),
        }
        evidence = evidence_columns.get(t.sheet)
        if (
            evidence
            and progress["status"] == TaskStatus.DONE
            and not str(t.extra.get(evidence) or "").strip()
        ):
            report.errors.append(
                _err(t.row, evidence, "", Message(EVIDENCE_MISSING, {"name": evidence}), t.sheet)
            )
            error_rows.add((t.sheet, t.row))
        r.values.update({k: v for k, v in progress.items() if v})
        numbers = {"percent": t.percent, "actual": t.actual, "completed_on": t.completed_on}
        r.values.update({k: v for k, v in numbers.items() if v is not None})
        if (t.sheet, t.row) in error_rows:
            r.outcome = "error"
    report.unknown = {"units": list(missing_units), "people": list(missing_people)}
    if opts.create_missing:
        report.created = {"units": list(missing_units), "people": list(missing_people)}
    else:
        report.created = {
            "units": [n for n in missing_units if n in to_create],
            "people": [n for n in missing_people if n in opts.create_people],
        }
    report.pending = {
        "units": [n for n in missing_units if n not in report.created["units"]],
        "people": [n for n in missing_people if n not in report.created["people"]],
    }
    parents = _placements(report, opts, owner_unit, owner_new, root)

    _compare(plan, rows)
    for r in rows:
        if r.outcome == "error":
            continue
        if any(
            e
            for e in report.errors
            if e["row"] == r.parsed.row and e["sheet"] in ("", r.parsed.sheet)
        ):
            r.outcome = "error"
    for r in rows:
        p = r.parsed
        report.outcome(p.row, r.outcome, title=p.title, no=p.no, sheet=p.sheet, changed=r.changed)
        report.outcomes[-1]["read"] = _reading(p, resolver, report, opts)
    # A row held back only by names to confirm reads "to confirm" on the page, not "error".
    by_row: dict[tuple[str, int], list[bool]] = defaultdict(list)
    for e in report.errors:
        by_row[(e["sheet"], e["row"])].append(bool(e.get("pending")))
    for o in report.outcomes:
        flags = by_row.get((o["sheet"], o["row"])) or by_row.get(("", o["row"]))
        o["pending"] = o["outcome"] == "error" and bool(flags) and all(flags)
    if plan is not None:
        keys = {r.key for r in rows}
        report.not_in_file = [
            f"{no} {title}"
            for key, no, title in Task.objects.filter(plan=plan).values_list("key", "no", "title")
            if key not in keys
        ][:200]
    state = {
        "rows": rows,
        "categories": categories,
        "plan": plan,
        "year": year,
        "numbering": _numbering(parsed),
        "owner_unit": owner_unit,
        "owner_new": owner_new,
        "root": root,
        "parents": parents,
    }
    return report, state


def _placements(report: Report, opts: Options, owner_unit, owner_new: str, root) -> dict:
    """Where each unit the commit creates goes: the parent chosen on the mapping page, else a
    unit of the tree the name starts with (章丘区交通运输局 under 章丘区), else the owner unit.
    Returns name -> parent (a Unit id, or "new:<name>" for the owner unit the commit creates);
    report.created_under states each parent by name."""
    if not report.created["units"]:
        return {}
    chosen = {
        u.pk: u
        for u in Unit.objects.filter(
            pk__in=[opts.create_units[n] for n in report.created["units"] if n in opts.create_units]
        )
    }
    tree = unit_rows()
    default = None
    if owner_unit is not None:
        default = names.UnitRow(
            owner_unit.pk, owner_unit.name, kind=owner_unit.kind, path=owner_unit.path
        )
    elif owner_new:
        default = names.UnitRow(0, owner_new, path="new.")
        tree.append(default)
    out: dict[str, object] = {}
    for name in report.created["units"]:
        parent_id = opts.create_units.get(name)
        if parent_id is not None:
            parent = chosen.get(parent_id)
            if parent is None:
                report.errors.append(_err(0, "", name, Message(UNKNOWN_PARENT, {"name": name})))
                continue
            out[name], report.created_under[name] = parent.pk, parent.name
            continue
        parent_row = names.placement(name, tree, default)
        if parent_row is None:
            out[name] = None
            report.created_under[name] = ""
        elif parent_row.id == 0:
            out[name], report.created_under[name] = f"new:{owner_new}", owner_new
        else:
            out[name], report.created_under[name] = parent_row.id, parent_row.name
    return out


def _reading(t: ParsedTask, resolver: _Resolver, report: Report, opts: Options) -> dict:
    """How the row's deadline and units were read, for the preview: the cell's text and what
    it became. Unit "how": matched (by name or short name), mapped (on the mapping page),
    collective (stands for several), new (created under `parent`) or pending (to confirm)."""
    units = []
    for role, unit_names in (
        ("responsible", t.responsible_units),
        ("cooperating", t.cooperating_units),
    ):
        for name in unit_names:
            entry = {"name": name, "role": role, "as": [], "how": "pending", "parent": ""}
            if name in resolver.collective:
                entry["how"] = "collective"
                entry["as"] = [u.name for u in resolver.collective[name]]
            elif (unit := resolver.unit(name)) is not None:
                entry["how"] = "mapped" if name in opts.unit_map else "matched"
                entry["as"] = [unit.name]
            elif name in report.created["units"]:
                entry["how"] = "new"
                entry["parent"] = report.created_under.get(name, "")
            units.append(entry)
    value = t.deadline.isoformat() if t.deadline else ("ongoing" if t.ongoing else "")
    return {
        "deadline": {"text": t.deadline_text, "value": value},
        "units": units,
    }


def _deadline_text(t: ParsedTask) -> str:
    """How the deadline was written, when that says more than the deadline itself: a date cell
    or "2026-06-30" does not, nor 长期坚持 (the word the export writes for an ongoing task)."""
    text = t.deadline_text[:100]
    if (t.deadline and text == t.deadline.isoformat()) or (t.ongoing and text == ONGOING):
        return ""
    return text


def _pct(value) -> int | None:
    if value is None:
        return None
    return max(0, min(100, round(float(value))))


def _numbering(parsed) -> str:
    modes = {p.numbering for p in parsed if p.tasks}
    return "per_section" if "per_section" in modes else "through"


def _rectification_sheet(p) -> bool:
    """A rectification ledger's sheet (问题清单 / 整改台账): its tasks are problems (the title
    column is 问题…), or its columns speak of 整改 or 销号."""
    headers = [str(h) for h in p.columns.values()] + list(p.extra_columns)
    return "问题" in str(p.columns.get("title", "")) or any(
        "整改" in h or "销号" in h for h in headers
    )


def _column(parsed, sheet: str, fieldname: str) -> str:
    for p in parsed:
        if p.sheet == sheet:
            return p.columns.get(fieldname, fieldname)
    return fieldname


def _compare(plan: Plan | None, rows: list[_Row]) -> None:
    """Mark each row new / changed / unchanged against the plan's tasks: three queries."""
    if plan is None:
        return
    existing = {}
    for t in Task.objects.filter(plan=plan).values(
        "id", "key", "category__name", "parent__key", "lead_leader_id", "owner_id", *PLAIN_FIELDS
    ):
        existing[t["key"]] = t
    units: dict[int, dict[str, list]] = defaultdict(lambda: {"responsible": [], "cooperating": []})
    for task_id, unit_id, role in (
        Assignment.objects.filter(task__plan=plan)
        .order_by("task_id", "role", "position")
        .values_list("task_id", "unit_id", "role")
    ):
        units[task_id][role].append(unit_id)
    milestones: dict[int, list] = defaultdict(list)
    for task_id, date, name, pct in (
        Milestone.objects.filter(task__plan=plan)
        .order_by("task_id", "date", "id")
        .values_list("task_id", "date", "name", "expected_percent")
    ):
        milestones[task_id].append((date, name, pct))
    for r in rows:
        cur = existing.get(r.key)
        if cur is None:
            continue
        r.task_id = cur["id"]
        current = {
            **{name: cur[name] for name in PLAIN_FIELDS},
            "category": cur["category__name"],
            "parent": cur["parent__key"],
            "lead_leader": cur["lead_leader_id"],
            "owner": cur["owner_id"],
            "responsible_units": units[cur["id"]]["responsible"],
            "cooperating_units": units[cur["id"]]["cooperating"],
            "milestones": milestones[cur["id"]],
        }
        changed = []
        for name, want in r.values.items():
            if name == "deadline_text":  # how the date was written; the date itself is compared
                continue
            have = current.get(name)
            same = _decimal_eq(have, want) if name in ("target", "actual") else have == want
            if not same:
                changed.append(name)
        if r.outcome != "error":
            r.outcome = "changed" if changed else "unchanged"
        r.changed = changed


# --- commit --------------------------------------------------------------------------------


def run(data: bytes, opts: Options, *, actor, commit: bool = False) -> Report:
    """The preview (commit=False) or the all-or-nothing import (luoshi.core.importing)."""
    return importing.execute(analyse, _write, data, opts, actor=actor, commit=commit)


def _write(report: Report, state: dict, opts: Options, *, actor) -> None:
    rows: list[_Row] = state["rows"]
    now = timezone.now()
    plan: Plan | None = state["plan"]
    owner_unit = state["owner_unit"]
    entries: list[audit.Entry] = []
    if plan is None and owner_unit is None and state.get("owner_new"):
        owner_unit = org_services.create_unit(state["owner_new"], state["root"], actor=actor)
    if plan is None:
        if owner_unit is None:
            report.errors.append(_err(0, "", "", Message(NO_OWNER_UNIT)))
            raise ImportFailed(report)
        plan = create_plan(
            actor=actor,
            name=opts.plan_name,
            year=state["year"],
            owner_unit=owner_unit,
            numbering=state["numbering"],
        )

    # Units and people the workbook names and the database lacks (only with create_missing).
    new_units = {}
    if report.created["units"]:
        parents = state["parents"]
        by_id = Unit.objects.in_bulk([p for p in parents.values() if isinstance(p, int)])
        specs = []
        for n in report.created["units"]:
            parent = parents.get(n)
            parent = owner_unit if isinstance(parent, str) or parent is None else by_id[parent]
            specs.append({"name": n, "parent": parent, "kind": names.guess_kind(n)})
        for u in org_services.create_units(specs, actor=actor):
            new_units[f"new:{u.name}"] = u.pk
    new_people = {}
    if report.created["people"]:
        first_unit = {}
        for r in rows:
            for col in ("lead_leader", "owner"):
                ref = r.values[col]
                if isinstance(ref, str) and ref not in first_unit:
                    units = r.values["responsible_units"]
                    unit_ref = units[0] if units and col == "owner" else owner_unit.pk
                    first_unit[ref] = new_units.get(unit_ref, unit_ref)
        titles = {
            f"new:{r.parsed.lead_leader.name}": r.parsed.lead_leader.title
            for r in rows
            if r.parsed.lead_leader
        }
        specs = []
        for name in report.created["people"]:
            ref = f"new:{name}"
            unit_id = first_unit.get(ref, owner_unit.pk)
            specs.append(
                {
                    "full_name": name,
                    "unit": Unit.objects.get(pk=unit_id),
                    "title": titles.get(ref, ""),
                }
            )
        for p in org_services.create_people(specs, actor=actor):
            new_people[f"new:{p.full_name}"] = p.pk

    def ref(value, table):
        return table.get(value, value) if isinstance(value, str) else value

    # Categories.
    cats = {c.name: c for c in Category.objects.filter(plan=plan)}
    order = max([c.order for c in cats.values()], default=0)
    new_cats = []
    for name in state["categories"]:
        if name not in cats:
            order += 1
            cats[name] = Category(plan=plan, name=name[:200], order=order)
            new_cats.append(cats[name])
    Category.objects.bulk_create(new_cats)

    # Tasks: parents before children, one bulk statement per depth level.
    by_key = {r.key: r for r in rows}
    existing_ids = dict(Task.objects.filter(plan=plan).values_list("key", "id"))
    depth_of: dict[str, int] = {}

    def depth(key: str) -> int:
        if key not in depth_of:
            parent = by_key[key].parent_key if key in by_key else None
            depth_of[key] = 0 if parent is None or parent not in by_key else depth(parent) + 1
        return depth_of[key]

    todo = [r for r in rows if r.outcome in ("new", "changed")]
    before = _before_snapshots([r.task_id for r in todo if r.task_id])
    for level in sorted({depth(r.key) for r in todo}):
        level_rows = [r for r in todo if depth(r.key) == level]
        creates, updates = [], []
        for r in level_rows:
            v = r.values
            cat = cats.get(v["category"]) if v["category"] else None
            fields = {k: v[k] for k in PLAIN_FIELDS if k in v}
            fields.update(
                category=cat,
                parent_id=existing_ids.get(v["parent"]) if v["parent"] else None,
                lead_leader_id=ref(v["lead_leader"], new_people),
                owner_id=ref(v["owner"], new_people),
                key=r.key,
                sort_key=rules.sort_key(cat.order if cat else 0, v["no"]),
                depth=level,
                primary_unit_id=ref(v["responsible_units"][0], new_units)
                if v["responsible_units"]
                else None,
            )
            if fields.get("status") == TaskStatus.DONE:
                fields.setdefault("completed_on", timezone.localdate())
            if any(k in v for k in ("progress", "problems", "next_steps")):
                fields["last_update"] = now
            if r.task_id is None:
                creates.append(Task(plan=plan, **fields))
            else:
                t = Task(pk=r.task_id, plan=plan, **fields)
                updates.append((t, fields))
        Task.objects.bulk_create(creates, batch_size=1000)
        for t in creates:
            existing_ids[t.key] = t.pk
        for r, t in zip([r for r in level_rows if r.task_id is None], creates, strict=True):
            r.task_id = t.pk
        if updates:
            _bulk_update(updates)

    _write_assignments(plan, todo, new_units, ref, now)
    _write_milestones(todo)
    after = _before_snapshots([r.task_id for r in todo])
    for r in todo:
        action = "import_create" if r.outcome == "new" else "import_update"
        entries.append(
            audit.Entry(
                action,
                "ledger.task",
                r.task_id,
                f"{r.values['no']} {r.values['title']}",
                audit.diff(before.get(r.task_id, {}), after[r.task_id]),
                {"file": report.sha256, "row": r.parsed.row},
            )
        )
    entries.append(
        audit.Entry(
            "import",
            "ledger.plan",
            plan.pk,
            plan.name,
            {"new": [0, report.new], "changed": [0, report.changed]},
            {"file": report.sha256, "rows": report.rows},
        )
    )
    audit.record(actor, entries, at=now)
    report.plan = plan.name


def _bulk_update(updates: list[tuple[Task, dict]]) -> None:
    # One statement per set of fields: a row that does not give a field (an empty progress or
    # % cell) leaves it as it is rather than writing the model's default over it.
    by_names: dict[tuple[str, ...], list[Task]] = defaultdict(list)
    for t, f in updates:
        by_names[tuple(sorted(f))].append(t)
    for fields, objs in by_names.items():
        Task.objects.bulk_update(objs, fields, batch_size=500)
    objs = [t for t, _ in updates]
    # Re-import bumps versions so that an edit form opened before the import is refused.
    Task.objects.filter(pk__in=[t.pk for t in objs]).update(version=F("version") + 1)


def _write_assignments(plan: Plan, todo: list[_Row], new_units: dict, ref, now) -> None:
    """Replace the units of changed tasks, keeping each kept unit's hand-off state."""
    ids = [r.task_id for r in todo]
    current = {
        (a.task_id, a.unit_id, a.role): a for a in Assignment.objects.filter(task_id__in=ids)
    }
    handed = plan.status == Plan.Status.DEPLOYED
    wanted = set()
    creates = []
    for r in todo:
        for role, col in (
            (Assignment.Role.RESPONSIBLE, "responsible_units"),
            (Assignment.Role.COOPERATING, "cooperating_units"),
        ):
            for pos, unit_ref in enumerate(dict.fromkeys(r.values[col])):
                unit_id = ref(unit_ref, new_units)
                k = (r.task_id, unit_id, role)
                wanted.add(k)
                if k in current:
                    if current[k].position != pos:
                        current[k].position = pos
                else:
                    is_resp = role == Assignment.Role.RESPONSIBLE
                    creates.append(
                        Assignment(
                            task_id=r.task_id,
                            unit_id=unit_id,
                            role=role,
                            position=pos,
                            ack=Assignment.Ack.PENDING if handed and is_resp else "",
                            handed_off_at=now if handed and is_resp else None,
                        )
                    )
    stale = [a.pk for k, a in current.items() if k not in wanted]
    Assignment.objects.filter(pk__in=stale).delete()
    Assignment.objects.bulk_update(
        [a for k, a in current.items() if k in wanted], ["position"], batch_size=1000
    )
    Assignment.objects.bulk_create(creates, batch_size=1000)


def _write_milestones(todo: list[_Row]) -> None:
    """Keep milestones the file still lists (with their reached dates), add new, drop gone."""
    ids = [r.task_id for r in todo]
    current = defaultdict(dict)
    for m in Milestone.objects.filter(task_id__in=ids):
        current[m.task_id][(m.date, m.name)] = m
    creates, stale, updates = [], [], []
    for r in todo:
        have = current.get(r.task_id, {})
        want = {(d, n): pct for d, n, pct in r.values["milestones"]}
        for k, m in have.items():
            if k not in want:
                stale.append(m.pk)
            elif m.expected_percent != want[k]:
                m.expected_percent = want[k]
                updates.append(m)
        for (d, n), pct in want.items():
            if (d, n) not in have:
                creates.append(Milestone(task_id=r.task_id, date=d, name=n, expected_percent=pct))
    Milestone.objects.filter(pk__in=stale).delete()
    Milestone.objects.bulk_update(updates, ["expected_percent"], batch_size=1000)
    Milestone.objects.bulk_create(creates, batch_size=1000)


def _before_snapshots(ids: list[int]) -> dict[int, dict]:
    """Task snapshots for the audit records, before the write and after it: the ledger
    services' own snapshot (task_snapshot with unit_lists_of), plus the task's milestones.
    Three queries per 5,000 tasks."""
    out: dict[int, dict] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        units = unit_lists_of(chunk)
        for task in Task.objects.filter(pk__in=chunk).only("id", *TASK_FIELDS):
            out[task.pk] = task_snapshot(task, units[task.pk]) | {"milestones": []}
        for tid, d, n in (
            Milestone.objects.filter(task_id__in=chunk)
            .order_by("task_id", "date")
            .values_list("task_id", "date", "name")
        ):
            out[tid]["milestones"].append(f"{d} {n}")
    return out


# --- the import pages: upload → preview (map names) → confirm -------------------------------
# An ImportBatch is one uploaded workbook between preview and commit, private to the person who
# uploaded it (and administrators). Its file is kept in the one upload store (core.uploads).
# Each step that writes is a service here, with its audit record; the preview writes nothing.

BATCH_FIELDS = ("plan_name", "year", "owner_unit", "filename", "sha256", "status", "mapping")


def _batch_snapshot(batch: ImportBatch) -> dict:
    return {
        name: getattr(batch, f"{name}_id") if name == "owner_unit" else getattr(batch, name)
        for name in BATCH_FIELDS
    }


def _batch_entry(batch: ImportBatch, action: str, changes: dict, **context) -> audit.Entry:
    return audit.Entry(action, "ledger.importbatch", batch.pk, str(batch), changes, context)


def can_use_batch(actor, batch: ImportBatch) -> bool:
    """The batch's pages are for the person who uploaded it, and administrators."""
    return batch.uploaded_by_id == actor.pk or scope_for(actor).is_admin


def _require_open(actor, batch: ImportBatch) -> None:
    if not can_use_batch(actor, batch):
        raise OutOfScope(gettext("You may not use this import."))
    if batch.status != ImportBatch.Status.PREVIEW:
        raise RuleViolation(gettext("This import was already committed."))


@transaction.atomic
def start_import(
    *,
    actor,
    filename: str,
    data: bytes,
    plan_name: str,
    year: int | None = None,
    owner_unit: Unit | None = None,
) -> ImportBatch:
    """Keep an uploaded workbook (core.uploads: the one store and size limit) for its preview.
    Only those who may create plans import through the pages."""
    if not can_create_plans(actor):
        raise OutOfScope(gettext("Only supervisors and administrators create plans."))
    batch = ImportBatch(
        plan_name=plan_name.strip(),
        year=year,
        owner_unit=owner_unit,
        filename=filename[:255],
        stored_as=uploads.store(filename, data),
        sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by=actor,
    )
    batch.save()
    audit.record(actor, [_batch_entry(batch, "upload", audit.diff({}, _batch_snapshot(batch)))])
    return batch


def batch_options(batch: ImportBatch, *, create_missing: bool = False) -> Options:
    mapping = batch.mapping or {}
    return Options(
        plan_name=batch.plan_name,
        year=batch.year,
        owner_unit=batch.owner_unit,
        create_missing=create_missing,
        unit_map={k: int(v) for k, v in mapping.get("units", {}).items()},
        person_map={k: int(v) for k, v in mapping.get("people", {}).items()},
        filename=batch.filename,
        create_units={k: int(v) for k, v in mapping.get("create_units", {}).items()},
        create_people=list(mapping.get("create_people", [])),
    )


def preview_import(batch: ImportBatch, *, actor, create_missing: bool = False) -> Report:
    """The batch's preview: reads the stored file, writes nothing (safe on a GET).
    FileNotFoundError when the stored file is gone."""
    if not can_use_batch(actor, batch):
        raise OutOfScope(gettext("You may not use this import."))
    data = uploads.read(batch.stored_as)
    return run(data, batch_options(batch, create_missing=create_missing), actor=actor)


@transaction.atomic
def map_import_names(batch: ImportBatch, mapping: dict, *, actor) -> ImportBatch:
    """Map more of the file's unknown names to existing units and people, keeping the names
    mapped before: {"units": {name in file: unit id}, "people": {name in file: person id}}.
    Names may instead be marked to be created by the commit: {"create_units": {name: parent
    unit id}, "create_people": [names]} (the bulk "create all under …" of the mapping page);
    a name mapped is no longer to be created, and the other way round. The caller has found
    the ids within the actor's scope and checked that it manages the parents. Nothing is
    created here: the commit creates the units and people, all or nothing."""
    _require_open(actor, batch)
    before = batch.mapping or {}
    after = {
        kind: {
            **before.get(kind, {}),
            **{str(k): int(v) for k, v in (mapping.get(kind) or {}).items()},
        }
        for kind in ("units", "people")
    }
    creating = {
        **before.get("create_units", {}),
        **{str(k): int(v) for k, v in (mapping.get("create_units") or {}).items()},
    }
    for name in mapping.get("units") or {}:
        creating.pop(str(name), None)
    for name in creating:
        after["units"].pop(name, None)
    people = list(
        dict.fromkeys([*before.get("create_people", []), *(mapping.get("create_people") or [])])
    )
    people = [n for n in people if n not in (mapping.get("people") or {})]
    for name in people:
        after["people"].pop(name, None)
    if creating:
        after["create_units"] = creating
    if people:
        after["create_people"] = people
    changes = audit.diff(before, after)
    if changes:
        ImportBatch.objects.filter(pk=batch.pk).update(mapping=after)
        batch.mapping = after
        audit.record(actor, [_batch_entry(batch, "map", changes)])
    return batch


@transaction.atomic
def confirm_import(batch: ImportBatch, *, actor, create_missing: bool = False) -> Report:
    """Commit the batch: every row or none (ImportFailed with the report when errors remain;
    RuleViolation when it was committed already, e.g. by a second click)."""
    # of=("self",): owner_unit is a nullable join, which PostgreSQL will not lock.
    locked = (
        ImportBatch.objects.select_for_update(of=("self",))
        .select_related("owner_unit")
        .get(pk=batch.pk)
    )
    _require_open(actor, locked)
    data = uploads.read(locked.stored_as)
    report = run(
        data, batch_options(locked, create_missing=create_missing), actor=actor, commit=True
    )
    plan = Plan.objects.get(name=report.plan, year=report.year)
    summary = report.summary()
    ImportBatch.objects.filter(pk=locked.pk).update(
        status=ImportBatch.Status.COMMITTED, plan=plan, report=summary
    )
    audit.record(
        actor,
        [
            _batch_entry(
                locked,
                "commit",
                {"status": [locked.status, ImportBatch.Status.COMMITTED], "plan": [None, plan.pk]},
                file=report.sha256,
            )
        ],
    )
    batch.status, batch.plan, batch.report = ImportBatch.Status.COMMITTED, plan, summary
    return report


def error_workbook(batch: ImportBatch, *, actor, create_missing: bool = False) -> bytes:
    """The batch's workbook with the preview's faulty cells marked and commented (unknown names
    too, in another colour): to hand back to the unit that sent it. Writes nothing."""
    report = preview_import(batch, actor=actor, create_missing=create_missing)
    data = uploads.read(batch.stored_as)
    marked, _count = errorbook.mark(data, batch.filename, report.errors + report.warnings)
    return marked


def manageable_plans(actor):
    """The plans an import may go into: those the actor manages (supervisors over the owner
    unit, administrators), newest first."""
    scope = scope_for(actor)
    plans = Plan.objects.select_related("owner_unit").order_by("-year", "name")
    if scope.is_admin:
        return plans
    q = Q(pk__in=[])
    for path in scope.supervise:
        q |= Q(owner_unit__path__startswith=path)
    return plans.filter(q)


def suggestions(actor, pending_units: list[str], *, limit: int = 3) -> dict[str, list]:
    """Near matches among the units the actor sees, for each unknown unit name: name ->
    [(unit id, unit name, score)]. Two queries whatever the number of names."""
    if not pending_units:
        return {}
    finder = names.Suggester(unit_rows(visible_units(actor)))
    return {
        n: [(u.id, u.name, s) for u, s in finder.suggest(n, limit=limit)] for n in pending_units
    }
