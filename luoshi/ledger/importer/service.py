"""Ledger import: read and parse a workbook, resolve its units and people, compare it with the
plan's tasks, and (on commit) write every row or none, through the audited path.

The dry run and the commit run the same code; the commit simply recomputes the plan inside
its transaction and writes it, so what was previewed is what is written unless the ledger
changed in between (and then the counts differ and the caller shows the new preview)."""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import re
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from luoshi.core import audit
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope
from luoshi.core.xlsx import WorkbookError, read_workbook
from luoshi.org import services as org_services
from luoshi.org.models import Person, Unit
from luoshi.org.services import split_name_title

from .. import rules
from ..access import can_create_plans, can_manage_plan
from ..dates import Message
from ..models import Assignment, Category, Milestone, Plan, Task, TaskStatus
from .parse import ParsedTask, RowError, parse_workbook

# --- reasons: English message templates (messages.py lists them for gettext) ---------------

NO_LEDGER_SHEET = "no sheet has a ledger header row (序号, 任务名称, 责任单位 …)"
YEAR_MISSING = "the plan's year is not in the title: give it"
SEVERAL_UNITS = "several units are named “%(name)s”: map it to one"
UNKNOWN_UNIT = "unknown unit “%(name)s”: map it to an existing unit or create it"
SEVERAL_PEOPLE = "several people are named “%(name)s”: map it to one"
UNKNOWN_PERSON = "unknown person “%(name)s”: map it to an existing person or create it"
NO_OWNER_UNIT = "no unit exists to own the plan"

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
    *WORKBOOK_TEMPLATES,
    *WORKBOOK_KINDS,
)

# The fields an import sets on a task, compared to decide new / changed / unchanged.
COMPARED = (
    "category",
    "parent",
    "no",
    "title",
    "content",
    "lead_leader",
    "owner",
    "deadline",
    "ongoing",
    "key_task",
    "target",
    "measure",
    "frequency",
    "notes",
    "source_kind",
    "source_ref",
    "source_date",
    "extra",
    "responsible_units",
    "cooperating_units",
    "milestones",
)
# Progress columns are imported as the task's state only when the workbook carries them.
PROGRESS = ("progress", "problems", "next_steps", "status")

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


@dataclass
class Outcome:
    row: int
    sheet: str
    no: str
    title: str
    outcome: str  # new | changed | unchanged | error
    changed: list[str] = field(default_factory=list)


@dataclass
class Report:
    plan: str = ""
    year: int | None = None
    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    categories: int = 0
    errors: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)
    unknown: dict = field(default_factory=lambda: {"units": [], "people": []})
    created: dict = field(default_factory=lambda: {"units": [], "people": []})
    not_in_file: list[str] = field(default_factory=list)
    committed: bool = False
    sha256: str = ""

    def summary(self) -> dict:
        """The command line's --json object (issue #2's contract)."""
        return {
            "rows": self.rows,
            "new": self.new,
            "changed": self.changed,
            "unchanged": self.unchanged,
            "categories": self.categories,
            "errors": [
                {k: e[k] for k in ("row", "column", "value", "reason")} for e in self.errors
            ],
            "created": self.created,
            "committed": self.committed,
        }

    def as_dict(self) -> dict:
        return asdict(self)


class ImportFailed(Exception):
    def __init__(self, report: Report):
        self.report = report
        super().__init__(f"{len(report.errors)} errors")


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
    """One error or warning: "reason" in English (the --json contract), "message" in the active
    language. A plain str reason has no translation and is both."""
    if isinstance(reason, Message):
        english, message = str(reason), translate_reason(reason.template, reason.params)
    else:
        english = message = reason
    return {
        "row": row,
        "column": column,
        "value": "" if value is None else str(value),
        "reason": english,
        "message": message,
        "sheet": sheet,
    }


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


class _Resolver:
    """Finds the units and people a workbook names, in two queries."""

    def __init__(self, tasks: list[ParsedTask], opts: Options):
        self.opts = opts
        self.ambiguous_units: set[str] = set()
        unit_names = {n for t in tasks for n in [*t.responsible_units, *t.cooperating_units]}
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
    }.get(getattr(parsed, "status", None) or "")


def analyse(data: bytes, opts: Options, actor=None) -> tuple[Report, dict]:
    """Parse and compare. Returns the report and the working state the commit needs."""
    report = Report(plan=opts.plan_name, sha256=hashlib.sha256(data).hexdigest())
    try:
        sheets = read_workbook(data)
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

    plan = (
        Plan.objects.filter(name=opts.plan_name, year=year).select_related("owner_unit").first()
        if year
        else None
    )
    if actor is not None:
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

    resolver = _Resolver([r.parsed for r in rows], opts)
    owner_unit = (plan.owner_unit if plan else None) or opts.owner_unit
    missing_units: dict[str, None] = {}
    missing_people: dict[str, None] = {}
    error_rows: set[tuple[str, int]] = {(e["sheet"], e["row"]) for e in report.errors}
    for r in rows:
        t = r.parsed
        unit_ids = {}
        for col, names in (
            ("responsible_units", t.responsible_units),
            ("cooperating_units", t.cooperating_units),
        ):
            ids = []
            for name in names:
                unit = resolver.unit(name)
                if name in resolver.ambiguous_units:
                    report.errors.append(
                        _err(
                            t.row,
                            _column(parsed, t.sheet, col),
                            name,
                            Message(SEVERAL_UNITS, {"name": name}),
                            t.sheet,
                        )
                    )
                    error_rows.add((t.sheet, t.row))
                elif unit is None:
                    missing_units[name] = None
                    if not opts.create_missing:
                        report.errors.append(
                            _err(
                                t.row,
                                _column(parsed, t.sheet, col),
                                name,
                                Message(UNKNOWN_UNIT, {"name": name}),
                                t.sheet,
                            )
                        )
                        error_rows.add((t.sheet, t.row))
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
                report.errors.append(
                    _err(
                        t.row,
                        _column(parsed, t.sheet, col),
                        name,
                        Message(SEVERAL_PEOPLE, {"name": name}),
                        t.sheet,
                    )
                )
                error_rows.add((t.sheet, t.row))
            elif person is None:
                missing_people[name] = None
                if not opts.create_missing:
                    report.errors.append(
                        _err(
                            t.row,
                            _column(parsed, t.sheet, col),
                            name,
                            Message(UNKNOWN_PERSON, {"name": name}),
                            t.sheet,
                        )
                    )
                    error_rows.add((t.sheet, t.row))
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
            "deadline_text": t.deadline_text[:100],
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
        progress = {
            "progress": t.progress,
            "problems": t.problems,
            "next_steps": t.next_steps,
            "status": _status(t),
        }
        r.values.update({k: v for k, v in progress.items() if v})
        if (t.sheet, t.row) in error_rows:
            r.outcome = "error"
    report.unknown = {"units": list(missing_units), "people": list(missing_people)}
    if opts.create_missing:
        report.created = {"units": list(missing_units), "people": list(missing_people)}

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
        report.outcomes.append(
            asdict(
                Outcome(
                    r.parsed.row, r.parsed.sheet, r.parsed.no, r.parsed.title, r.outcome, r.changed
                )
            )
        )
    report.new = sum(r.outcome == "new" for r in rows)
    report.changed = sum(r.outcome == "changed" for r in rows)
    report.unchanged = sum(r.outcome == "unchanged" for r in rows)
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
    }
    return report, state


def _pct(value) -> int | None:
    if value is None:
        return None
    return max(0, min(100, round(float(value))))


def _numbering(parsed) -> str:
    modes = {p.numbering for p in parsed if p.tasks}
    return "per_section" if "per_section" in modes else "through"


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
        "id",
        "key",
        "category__name",
        "parent__key",
        "no",
        "title",
        "content",
        "lead_leader_id",
        "owner_id",
        "deadline",
        "ongoing",
        "deadline_text",
        "key_task",
        "target",
        "measure",
        "frequency",
        "notes",
        "source_kind",
        "source_ref",
        "source_date",
        "extra",
        "progress",
        "problems",
        "next_steps",
        "status",
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
            "category": cur["category__name"],
            "parent": cur["parent__key"],
            "no": cur["no"],
            "title": cur["title"],
            "content": cur["content"],
            "lead_leader": cur["lead_leader_id"],
            "owner": cur["owner_id"],
            "deadline": cur["deadline"],
            "ongoing": cur["ongoing"],
            "deadline_text": cur["deadline_text"],
            "key_task": cur["key_task"],
            "target": cur["target"],
            "measure": cur["measure"],
            "frequency": cur["frequency"],
            "notes": cur["notes"],
            "source_kind": cur["source_kind"],
            "source_ref": cur["source_ref"],
            "source_date": cur["source_date"],
            "extra": cur["extra"],
            "responsible_units": units[cur["id"]]["responsible"],
            "cooperating_units": units[cur["id"]]["cooperating"],
            "milestones": milestones[cur["id"]],
            "progress": cur["progress"],
            "problems": cur["problems"],
            "next_steps": cur["next_steps"],
            "status": cur["status"],
        }
        changed = []
        for name, want in r.values.items():
            if name == "deadline_text":  # how the date was written; the date itself is compared
                continue
            have = current.get(name)
            same = _decimal_eq(have, want) if name == "target" else have == want
            if not same:
                changed.append(name)
        if r.outcome != "error":
            r.outcome = "changed" if changed else "unchanged"
        r.changed = changed


# --- commit --------------------------------------------------------------------------------


def run(data: bytes, opts: Options, *, actor=None, commit: bool = False) -> Report:
    """Dry run (commit=False) or all-or-nothing import."""
    if not commit:
        report, _ = analyse(data, opts, actor)
        return report
    # A commit allocates millions of short-lived containers and creates no garbage cycles
    # that must be collected mid-way; the collector's repeated full passes cost ~30% of a
    # 10,000-row commit (docs/benchmarks.md).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _commit(data, opts, actor)
    finally:
        if gc_was_enabled:
            gc.enable()


def _commit(data: bytes, opts: Options, actor) -> Report:
    with transaction.atomic():
        report, state = analyse(data, opts, actor)
        if report.errors:
            raise ImportFailed(report)
        _write(report, state, opts, actor)
        report.committed = True
    return report


def _write(report: Report, state: dict, opts: Options, actor) -> None:
    rows: list[_Row] = state["rows"]
    now = timezone.now()
    plan: Plan | None = state["plan"]
    owner_unit = state["owner_unit"]
    entries: list[audit.Entry] = []
    if plan is None:
        if owner_unit is None:
            owner_unit = Unit.objects.filter(parent=None).order_by("path").first()
            if owner_unit is None:
                report.errors.append(_err(0, "", "", Message(NO_OWNER_UNIT)))
                raise ImportFailed(report)
        from ..services import create_plan

        plan = create_plan(
            actor,
            name=opts.plan_name,
            year=state["year"],
            owner_unit=owner_unit,
            numbering=state["numbering"],
        )

    # Units and people the workbook names and the database lacks (only with create_missing).
    new_units = {}
    if report.created["units"]:
        for u in org_services.create_units(
            actor, [{"name": n, "parent": owner_unit} for n in report.created["units"]]
        ):
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
        for p in org_services.create_people(actor, specs):
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
    plain_fields = (
        "no",
        "title",
        "content",
        "deadline",
        "ongoing",
        "deadline_text",
        "key_task",
        "target",
        "measure",
        "frequency",
        "notes",
        "source_kind",
        "source_ref",
        "source_date",
        "extra",
        "progress",
        "problems",
        "next_steps",
        "status",
    )
    before = _before_snapshots([r.task_id for r in todo if r.task_id])
    for level in sorted({depth(r.key) for r in todo}):
        level_rows = [r for r in todo if depth(r.key) == level]
        creates, updates = [], []
        for r in level_rows:
            v = r.values
            cat = cats.get(v["category"]) if v["category"] else None
            fields = {k: v[k] for k in plain_fields if k in v}
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
    from django.db.models import F

    names = sorted({k for _, f in updates for k in f})
    objs = [t for t, _ in updates]
    Task.objects.bulk_update(objs, names, batch_size=500)
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
    """Task snapshots for the audit record, in three queries for the whole batch."""
    if not ids:
        return {}
    out = {}
    fields = (
        "id",
        "category_id",
        "parent_id",
        "no",
        "title",
        "content",
        "lead_leader_id",
        "owner_id",
        "deadline",
        "ongoing",
        "deadline_text",
        "key_task",
        "target",
        "measure",
        "frequency",
        "notes",
        "source_kind",
        "source_ref",
        "source_date",
        "extra",
        "progress",
        "problems",
        "next_steps",
        "status",
    )
    for chunk_start in range(0, len(ids), 5000):
        chunk = ids[chunk_start : chunk_start + 5000]
        for row in Task.objects.filter(pk__in=chunk).values(*fields):
            tid = row.pop("id")
            out[tid] = {k.removesuffix("_id"): v for k, v in row.items()}
        units = defaultdict(lambda: {"responsible_units": [], "cooperating_units": []})
        for tid, uid, role in (
            Assignment.objects.filter(task_id__in=chunk)
            .order_by("task_id", "role", "position")
            .values_list("task_id", "unit_id", "role")
        ):
            units[tid][f"{role}_units"].append(uid)
        ms = defaultdict(list)
        for tid, d, n in (
            Milestone.objects.filter(task_id__in=chunk)
            .order_by("task_id", "date")
            .values_list("task_id", "date", "name")
        ):
            ms[tid].append(f"{d} {n}")
        for tid in chunk:
            if tid in out:
                out[tid].update(units[tid])
                out[tid]["milestones"] = ms[tid]
    return out
