"""Every change to plans, tasks, milestones and hand-offs goes through these functions: they
check the actor's rights, write the change, and append the audit record in one transaction.
Views, API and commands call them and never save ledger models themselves."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core import audit, bulk
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.versioning import save_versioned
from luoshi.org.models import Unit
from luoshi.org.scope import scope_for

from . import rules
from .access import can_acknowledge, can_assign_owner, require_manage_plan
from .models import (
    TASK_FIELDS,
    Assignment,
    Category,
    ExportJob,
    Milestone,
    Plan,
    ShownLight,
    Task,
    TaskStatus,
)

PLAN_FIELDS = ("name", "year", "owner_unit", "frequency", "description", "numbering")
MILESTONE_FIELDS = ("date", "name", "expected_percent", "reached_on")

logger = logging.getLogger(__name__)


def _fk(value):
    return getattr(value, "pk", value)


def snapshot(obj, fields: Sequence[str]) -> dict:
    out = {}
    for f in fields:
        out[f] = _fk(getattr(obj, f"{f}_id", None)) if _is_fk(obj, f) else getattr(obj, f)
    return out


def _is_fk(obj, name: str) -> bool:
    return hasattr(obj, f"{name}_id")


def task_snapshot(task: Task, units: dict | None = None) -> dict:
    snap = snapshot(task, TASK_FIELDS)
    if units is not None:
        snap.update(units)
    return snap


def unit_lists_of(task_ids: Iterable[int]) -> dict[int, dict]:
    """The units of each task as the database has them now: one query. Always read fresh,
    never from a caller's prefetch, which would make the "after" of a change equal its "before"
    and leave the change unrecorded."""
    out = {pk: {"responsible_units": [], "cooperating_units": []} for pk in task_ids}
    rows = (
        Assignment.objects.filter(task_id__in=list(out))
        .order_by("task_id", "role", "position")
        .values_list("task_id", "role", "unit_id")
    )
    for task_id, role, unit_id in rows:
        key = "responsible_units" if role == Assignment.Role.RESPONSIBLE else "cooperating_units"
        out[task_id][key].append(unit_id)
    return out


def unit_lists(task: Task) -> dict:
    return unit_lists_of([task.pk])[task.pk]


# --- plans ---------------------------------------------------------------------------------


@transaction.atomic
def create_plan(*, actor, name: str, year: int, owner_unit: Unit, **fields) -> Plan:
    from .access import can_create_plans

    if not can_create_plans(actor):
        raise OutOfScope(_("Only supervisors and administrators create plans."))
    plan = Plan(name=name.strip(), year=year, owner_unit=owner_unit, **fields)
    require_manage_plan(actor, plan)
    if Plan.objects.filter(name=plan.name, year=year).exists():
        raise RuleViolation(
            _("A plan named “%(name)s” already exists for %(year)s.")
            % {"name": plan.name, "year": year},
            field="name",
        )
    plan.save()
    audit.record(
        actor,
        [
            audit.Entry(
                "create",
                "ledger.plan",
                plan.pk,
                plan.name,
                audit.diff({}, snapshot(plan, PLAN_FIELDS)),
            )
        ],
    )
    return plan


@transaction.atomic
def update_plan(plan: Plan, *, actor, version: int, **fields) -> Plan:
    require_manage_plan(actor, plan)
    before = snapshot(plan, PLAN_FIELDS)
    save_versioned(plan, version, fields)
    changes = audit.diff(before, snapshot(plan, PLAN_FIELDS))
    if changes:
        audit.record(actor, [audit.Entry("update", "ledger.plan", plan.pk, plan.name, changes)])
    return plan


@transaction.atomic
def deploy_plan(plan: Plan, *, actor) -> int:
    """Hand every task of the plan to its responsible units (交办). Returns how many new
    hand-offs were made; deploying again hands off only what is new since."""
    require_manage_plan(actor, plan)
    now = timezone.now()
    pending = Assignment.objects.filter(
        task__plan=plan, role=Assignment.Role.RESPONSIBLE, ack=Assignment.Ack.NOT_HANDED
    )
    n = pending.update(ack=Assignment.Ack.PENDING, handed_off_at=now)
    fields = {"status": Plan.Status.DEPLOYED, "deployed_at": plan.deployed_at or now}
    Plan.objects.filter(pk=plan.pk).update(**fields)
    for k, v in fields.items():
        setattr(plan, k, v)
    audit.record(
        actor,
        [audit.Entry("deploy", "ledger.plan", plan.pk, plan.name, {"handed_off": [0, n]})],
        at=now,
    )
    return n


# --- tasks ---------------------------------------------------------------------------------


def _validate_task(plan: Plan, data: dict, *, task: Task | None = None) -> None:
    if not (data.get("title") or "").strip():
        raise RuleViolation(_("The task needs a title."), field="title")
    if not (data.get("no") or "").strip():
        raise RuleViolation(_("The task needs a No."), field="no")
    if data.get("ongoing") and data.get("deadline"):
        raise RuleViolation(
            _("An ongoing task has no deadline: clear one of the two."), field="deadline"
        )
    start, deadline = data.get("start_date"), data.get("deadline")
    if start and deadline and deadline < start:
        raise RuleViolation(_("The deadline is before the start."), field="deadline")
    pct = data.get("percent")
    if pct is not None and not 0 <= pct <= 100:
        # xgettext:no-python-format
        raise RuleViolation(_("% complete must be between 0 and 100."), field="percent")
    parent = data.get("parent")
    if parent is not None:
        if parent.plan_id != plan.pk:
            raise RuleViolation(_("The parent task belongs to another plan."), field="parent")
        node = parent
        while node is not None:
            if task is not None and node.pk == task.pk:
                raise RuleViolation(_("A task cannot be its own ancestor."), field="parent")
            node = node.parent
    category = data.get("category")
    if category is not None and category.plan_id != plan.pk:
        raise RuleViolation(_("The category belongs to another plan."), field="category")
    if data.get("status") == TaskStatus.DONE and not data.get("completed_on"):
        data["completed_on"] = timezone.localdate()


def _place(plan: Plan, data: dict) -> dict:
    category = data.get("category")
    parent = data.get("parent")
    no = str(data["no"]).strip()
    return {
        "no": no,
        "key": rules.task_key(plan.numbering, category.name if category else None, no),
        "sort_key": rules.sort_key(category.order if category else 0, no),
        "depth": (parent.depth + 1) if parent else 0,
    }


def _set_units(
    task: Task,
    responsible: Sequence[Unit] | None,
    cooperating: Sequence[Unit] | None,
    *,
    handed: bool,
) -> None:
    if responsible is not None:
        keep = {u.pk for u in responsible}
        task.assignments.filter(role=Assignment.Role.RESPONSIBLE).exclude(unit_id__in=keep).delete()
        existing = {a.unit_id: a for a in task.assignments.filter(role=Assignment.Role.RESPONSIBLE)}
        now = timezone.now()
        for i, unit in enumerate(responsible):
            a = existing.get(unit.pk)
            if a is None:
                Assignment.objects.create(
                    task=task,
                    unit=unit,
                    role=Assignment.Role.RESPONSIBLE,
                    position=i,
                    ack=Assignment.Ack.PENDING if handed else Assignment.Ack.NOT_HANDED,
                    handed_off_at=now if handed else None,
                )
            elif a.position != i:
                Assignment.objects.filter(pk=a.pk).update(position=i)
        Task.objects.filter(pk=task.pk).update(primary_unit=responsible[0] if responsible else None)
        task.primary_unit = responsible[0] if responsible else None
    if cooperating is not None:
        task.assignments.filter(role=Assignment.Role.COOPERATING).delete()
        Assignment.objects.bulk_create(
            Assignment(task=task, unit=u, role=Assignment.Role.COOPERATING, position=i)
            for i, u in enumerate(cooperating)
        )


@transaction.atomic
def create_task(
    plan: Plan,
    *,
    actor,
    responsible_units: Sequence[Unit] = (),
    cooperating_units: Sequence[Unit] = (),
    **data,
) -> Task:
    require_manage_plan(actor, plan)
    if not responsible_units:
        raise RuleViolation(
            _("The task needs at least one responsible unit."), field="responsible_units"
        )
    if not data.get("no"):
        siblings = Task.objects.filter(plan=plan)
        if plan.numbering == Plan.Numbering.PER_SECTION:
            siblings = siblings.filter(category=data.get("category"))
        parent = data.get("parent")
        data["no"] = rules.next_no(
            list(siblings.values_list("no", flat=True)), parent.no if parent else None
        )
    _validate_task(plan, data)
    placed = _place(plan, data)
    if Task.objects.filter(plan=plan, key=placed["key"]).exists():
        raise RuleViolation(
            _("No. %(no)s is already used in this plan.") % {"no": data["no"]}, field="no"
        )
    fields = {k: v for k, v in data.items() if k in TASK_FIELDS and k not in placed}
    task = Task(plan=plan, **fields, **placed)
    task.save()
    _set_units(
        task,
        list(responsible_units),
        list(cooperating_units),
        handed=plan.status == Plan.Status.DEPLOYED,
    )
    audit.record(
        actor,
        [
            audit.Entry(
                "create",
                "ledger.task",
                task.pk,
                str(task),
                audit.diff({}, task_snapshot(task, unit_lists(task))),
            )
        ],
    )
    return task


@transaction.atomic
def update_task(
    task: Task,
    *,
    actor,
    version: int,
    responsible_units: Sequence[Unit] | None = None,
    cooperating_units: Sequence[Unit] | None = None,
    **data,
) -> Task:
    if set(data) - {"owner"} or responsible_units is not None or cooperating_units is not None:
        require_manage_plan(actor, task.plan)
    elif not can_assign_owner(actor, task):
        raise OutOfScope(_("You may not assign an owner to this task."))
    if responsible_units is not None and not responsible_units:
        raise RuleViolation(
            _("The task needs at least one responsible unit."), field="responsible_units"
        )
    before = task_snapshot(task, unit_lists(task))
    merged = {**snapshot_objects(task), **data}
    _validate_task(task.plan, merged, task=task)
    if merged.get("completed_on") != task.completed_on:
        data["completed_on"] = merged["completed_on"]
    if _deadline_wording_outdated(task, merged, data):
        # The wording as written ("6月底前") described the old date: one deadline shows.
        data["deadline_text"] = ""
    if {"no", "category", "parent"} & set(data):
        placed = _place(task.plan, merged)
        if (
            placed["key"] != task.key
            and Task.objects.filter(plan=task.plan, key=placed["key"]).exclude(pk=task.pk).exists()
        ):
            raise RuleViolation(
                _("No. %(no)s is already used in this plan.") % {"no": merged["no"]}, field="no"
            )
        data.update(placed)
    save_versioned(task, version, data)
    _set_units(
        task, responsible_units, cooperating_units, handed=task.plan.status == Plan.Status.DEPLOYED
    )
    changes = audit.diff(before, task_snapshot(task, unit_lists(task)))
    if changes:
        audit.record(actor, [audit.Entry("update", "ledger.task", task.pk, str(task), changes)])
    return task


def _deadline_wording_outdated(task: Task, merged: dict, data: dict) -> bool:
    """A change of the deadline (or of ongoing) leaves the kept wording behind when the wording
    no longer reads as the new deadline; a caller that sets the wording itself is obeyed."""
    if "deadline_text" in data or not task.deadline_text:
        return False
    if (merged.get("deadline"), bool(merged.get("ongoing"))) == (task.deadline, task.ongoing):
        return False
    return not rules.deadline_text_describes(
        task.deadline_text, merged.get("deadline"), bool(merged.get("ongoing")), year=task.plan.year
    )


def snapshot_objects(task: Task) -> dict:
    """Current field values with related objects (not ids), for validation."""
    return {f: getattr(task, f) for f in TASK_FIELDS}


@transaction.atomic
def delete_task(task: Task, *, actor, version: int) -> None:
    require_manage_plan(actor, task.plan)
    current = Task.objects.filter(pk=task.pk).values_list("version", flat=True).first()
    if current is None or int(version) != current:
        raise StaleVersion(str(task), int(version), current)
    ids = _descendant_ids(task)
    doomed = list(Task.objects.filter(pk__in=ids))
    units = unit_lists_of(ids)
    entries = [
        audit.Entry(
            "delete", "ledger.task", t.pk, str(t), audit.diff(task_snapshot(t, units[t.pk]), {})
        )
        for t in doomed
    ]
    Task.objects.filter(pk__in=ids).delete()
    audit.record(actor, entries)


def _descendant_ids(task: Task) -> list[int]:
    ids, frontier = [task.pk], [task.pk]
    while frontier:
        frontier = list(Task.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        ids += frontier
    return ids


# --- milestones ----------------------------------------------------------------------------


def _check_milestone(data: dict) -> None:
    if not data.get("date"):
        raise RuleViolation(_("A milestone needs a date."), field="date")
    pct = data.get("expected_percent")
    if pct is not None and not 0 <= pct <= 100:
        raise RuleViolation(_("Expected % must be between 0 and 100."), field="expected_percent")


@transaction.atomic
def create_milestone(task: Task, *, actor, **data) -> Milestone:
    require_manage_plan(actor, task.plan)
    _check_milestone(data)
    m = Milestone.objects.create(task=task, **data)
    audit.record(
        actor,
        [
            audit.Entry(
                "create",
                "ledger.milestone",
                m.pk,
                f"{task.no} {m}",
                audit.diff({}, snapshot(m, MILESTONE_FIELDS)),
                {"task": task.pk},
            )
        ],
    )
    return m


@transaction.atomic
def update_milestone(m: Milestone, *, actor, version: int, **data) -> Milestone:
    require_manage_plan(actor, m.task.plan)
    _check_milestone({**snapshot(m, MILESTONE_FIELDS), **data})
    before = snapshot(m, MILESTONE_FIELDS)
    save_versioned(m, version, data)
    changes = audit.diff(before, snapshot(m, MILESTONE_FIELDS))
    if changes:
        audit.record(
            actor,
            [audit.Entry("update", "ledger.milestone", m.pk, str(m), changes, {"task": m.task_id})],
        )
    return m


@transaction.atomic
def delete_milestone(m: Milestone, *, actor, version: int) -> None:
    require_manage_plan(actor, m.task.plan)
    # Conditional delete: a milestone changed since it was read is not removed unseen.
    if not Milestone.objects.filter(pk=m.pk, version=int(version)).exists():
        current = Milestone.objects.filter(pk=m.pk).values_list("version", flat=True).first()
        raise StaleVersion(str(m), int(version), current)
    audit.record(
        actor,
        [
            audit.Entry(
                "delete",
                "ledger.milestone",
                m.pk,
                str(m),
                audit.diff(snapshot(m, MILESTONE_FIELDS), {}),
                {"task": m.task_id},
            )
        ],
    )
    Milestone.objects.filter(pk=m.pk).delete()


# --- hand-off (交办 → 签收) -----------------------------------------------------------------


def _ack_entry(a: Assignment, action: str, changes: dict) -> audit.Entry:
    return audit.Entry(
        action, "ledger.task", a.task_id, str(a.task), {"unit": [None, a.unit_id], **changes}
    )


@transaction.atomic
def acknowledge(assignments: Iterable[Assignment], *, actor) -> int:
    """签收: the responsible unit confirms it has received the task."""
    assignments = list(assignments)
    for a in assignments:
        if not can_acknowledge(actor, a):
            raise OutOfScope(_("You may not acknowledge tasks for %(unit)s.") % {"unit": a.unit})
        if a.ack not in (Assignment.Ack.PENDING, Assignment.Ack.REASSIGN):
            raise RuleViolation(
                _("Task %(task)s is not awaiting acknowledgement by %(unit)s.")
                % {"task": a.task, "unit": a.unit}
            )
    now = timezone.now()
    Assignment.objects.filter(pk__in=[a.pk for a in assignments]).update(
        ack=Assignment.Ack.ACKNOWLEDGED, acked_at=now, acked_by=actor, reason=""
    )
    audit.record(
        actor,
        [_ack_entry(a, "acknowledge", {"ack": [a.ack, "acknowledged"]}) for a in assignments],
        at=now,
    )
    return len(assignments)


@transaction.atomic
def request_reassignment(assignment: Assignment, reason: str, *, actor) -> None:
    """The unit asks, with reasons, for the task to go to someone else."""
    if not can_acknowledge(actor, assignment):
        raise OutOfScope(_("You may not answer for %(unit)s.") % {"unit": assignment.unit})
    if not (reason or "").strip():
        raise RuleViolation(_("Give the reason for asking to reassign."), field="reason")
    if assignment.ack != Assignment.Ack.PENDING:
        raise RuleViolation(_("Only a task awaiting acknowledgement can be sent back."))
    Assignment.objects.filter(pk=assignment.pk).update(
        ack=Assignment.Ack.REASSIGN, reason=reason.strip(), acked_by=actor
    )
    audit.record(
        actor,
        [
            _ack_entry(
                assignment,
                "reassign_request",
                {"ack": [assignment.ack, "reassign"], "reason": [None, reason.strip()]},
            )
        ],
    )


@transaction.atomic
def reassign(assignment: Assignment, new_unit: Unit, *, actor) -> Assignment:
    """The deployer answers a reassignment request by handing the task to another unit."""
    task = Task.objects.select_related("plan", "plan__owner_unit").get(pk=assignment.task_id)
    require_manage_plan(actor, task.plan)
    units = [
        a.unit
        for a in task.assignments.filter(role=Assignment.Role.RESPONSIBLE).select_related("unit")
    ]
    units = [new_unit if u.pk == assignment.unit_id else u for u in units]
    update_task(
        task, actor=actor, version=task.version, responsible_units=list(dict.fromkeys(units))
    )
    return task.assignments.get(unit=new_unit, role=Assignment.Role.RESPONSIBLE)


def unacknowledged(plan_qs, calendar, today: dt.date | None = None) -> list[dict]:
    """Who has not acknowledged, and for how many working days (the deployer's view)."""
    today = today or timezone.localdate()
    rows = (
        Assignment.objects.filter(
            task__plan__in=plan_qs, ack__in=[Assignment.Ack.PENDING, Assignment.Ack.REASSIGN]
        )
        .select_related("task", "unit")
        .order_by("handed_off_at", "task__sort_key")[:1000]
    )
    out = []
    for a in rows:
        handed = timezone.localtime(a.handed_off_at).date() if a.handed_off_at else today
        out.append({"assignment": a, "working_days": calendar.working_days_between(handed, today)})
    return out


def next_category_order(plan: Plan) -> int:
    return (Category.objects.filter(plan=plan).aggregate(m=Max("order"))["m"] or 0) + 1


# --- categories ----------------------------------------------------------------------------

CATEGORY_FIELDS = ("name", "order")


def _check_category_name(plan: Plan, name: str, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise RuleViolation(_("The category needs a name."), field="name")
    if Category.objects.filter(plan=plan, name=name).exclude(pk=exclude).exists():
        raise RuleViolation(
            _("This plan already has a category named “%(name)s”.") % {"name": name}, field="name"
        )
    return name


@transaction.atomic
def create_category(plan: Plan, *, actor, name: str, order: int | None = None) -> Category:
    require_manage_plan(actor, plan)
    name = _check_category_name(plan, name)
    category = Category.objects.create(
        plan=plan, name=name, order=next_category_order(plan) if order is None else order
    )
    audit.record(
        actor,
        [
            audit.Entry(
                "create",
                "ledger.category",
                category.pk,
                category.name,
                audit.diff({}, snapshot(category, CATEGORY_FIELDS)),
                {"plan": plan.pk},
            )
        ],
    )
    return category


@transaction.atomic
def update_category(category: Category, *, actor, version: int, **fields) -> Category:
    """Rename or reorder a category. A category never moves to another plan (its tasks would
    be left in a plan they do not belong to). Its tasks' identity keys (numbering per section)
    and sort keys follow the new name and order, in one set-based pass."""
    plan = Plan.objects.select_related("owner_unit").get(pk=category.plan_id)
    require_manage_plan(actor, plan)
    unknown = set(fields) - set(CATEGORY_FIELDS)
    if unknown:
        raise RuleViolation(_("A category's plan cannot be changed."), field=sorted(unknown)[0])
    if "name" in fields:
        fields["name"] = _check_category_name(plan, fields["name"], exclude=category.pk)
    before = snapshot(category, CATEGORY_FIELDS)
    save_versioned(category, version, fields)
    changes = audit.diff(before, snapshot(category, CATEGORY_FIELDS))
    if not changes:
        return category
    tasks = list(Task.objects.filter(category=category).only("pk", "no", "key", "sort_key"))
    for t in tasks:
        t.key = rules.task_key(plan.numbering, category.name, t.no)
        t.sort_key = rules.sort_key(category.order, t.no)
    Task.objects.bulk_update(tasks, ["key", "sort_key"], batch_size=1000)
    audit.record(
        actor,
        [
            audit.Entry(
                "update", "ledger.category", category.pk, category.name, changes, {"plan": plan.pk}
            )
        ],
    )
    return category


# --- progress from later stages ----------------------------------------------------------

PROGRESS_FIELDS = (
    "percent",
    "actual",
    "progress",
    "problems",
    "next_steps",
    "last_update",
    "status",
)


@transaction.atomic
def record_progress(
    task: Task,
    *,
    actor,
    at,
    percent=None,
    actual=None,
    progress="",
    problems="",
    next_steps="",
    milestones_reached=None,
    source="",
) -> Task:
    """Show an accepted progress report on the ledger: the denormalised columns the ledger
    lists, sorts and exports. Later stages (dispatch) call this; the ledger imports none of
    them."""
    before = snapshot(task, PROGRESS_FIELDS)
    fields = {
        "progress": progress,
        "problems": problems,
        "next_steps": next_steps,
        "last_update": at,
    }
    if percent is not None:
        fields["percent"] = percent
        if task.status == TaskStatus.NOT_STARTED and percent > 0:
            fields["status"] = TaskStatus.IN_PROGRESS
    if actual is not None:
        fields["actual"] = actual
    Task.objects.filter(pk=task.pk).update(**fields, version=F("version") + 1)
    for k, v in fields.items():
        setattr(task, k, v)
    task.version += 1
    entries = []
    changes = audit.diff(before, snapshot(task, PROGRESS_FIELDS))
    if changes:
        entries.append(
            audit.Entry("progress", "ledger.task", task.pk, str(task), changes, {"source": source})
        )
    for mid, day in (milestones_reached or {}).items():
        updated = Milestone.objects.filter(pk=mid, task=task, reached_on__isnull=True).update(
            reached_on=day, version=F("version") + 1
        )
        if updated:
            entries.append(
                audit.Entry(
                    "update",
                    "ledger.milestone",
                    mid,
                    f"{task.no}",
                    {"reached_on": [None, day]},
                    {"task": task.pk},
                )
            )
    audit.record(actor, entries, at=at)
    return task


COMPLETION_FIELDS = ("status", "completed_on", "percent", "actual")


def complete_task(
    task: Task, *, actor, completed_on: dt.date, actual=None, context: dict | None = None
) -> Task:
    """Mark a task done as a later stage accepted it (evaluation's 验收): the status, the date,
    100 % and the accepted actual value. The caller has checked who may accept; `context`
    names the acceptance in the audit record (`{"completion": id}`), so that the task's
    history shows which acceptance closed it. The ledger imports no later stage."""
    before = snapshot(task, COMPLETION_FIELDS)
    fields = {"status": TaskStatus.DONE, "completed_on": completed_on, "percent": 100}
    if actual is not None:
        fields["actual"] = actual
    Task.objects.filter(pk=task.pk).update(**fields, version=F("version") + 1)
    for k, v in fields.items():
        setattr(task, k, v)
    task.version += 1
    changes = audit.diff(before, snapshot(task, COMPLETION_FIELDS))
    audit.record(
        actor, [audit.Entry("complete", "ledger.task", task.pk, str(task), changes, context or {})]
    )
    return task


def record_lights(rows: Iterable[tuple[int, str, str]], *, actor) -> int:
    """Show the lights a later stage (supervision) computed on the ledger: `rows` are
    (task_id, light, reasons_text), each stored in the task's ShownLight row (made the first
    time). Lights are computed state, so the task's version stays and no audit record is
    written per task (the caller records one for its run). Administrators, supervisors and the
    system actor only. Returns the number of tasks written."""
    scope = scope_for(actor)
    if not (scope.is_admin or scope.supervise):
        raise OutOfScope(_("Only supervisors and administrators record lights."))
    # Plain rows (core.bulk): a city's daily pass writes every changed task's light.
    return bulk.upsert_rows(ShownLight, ("task_id", "light", "reasons"), rows)


@transaction.atomic
def extend_deadline(task: Task, deadline: dt.date, *, actor, reason: str, source: str = "") -> Task:
    """Move a task's deadline for a decided extension (申请延期, decided in a later stage, which
    calls this; the ledger imports none of it). The task's history records the deadline's old
    and new dates and the reason, so both dates stay visible. Allowed for the task's lead
    leader, whoever manages the plan, and supervisors over one of the task's units.

    The write is compare-and-set on the version read here, fresh: an edit committed since then
    makes it fail with StaleVersion (nothing is overwritten unseen), and the caller's whole
    transaction rolls back. `source` ("extension:12") names what the change came from."""
    from .access import _any_prefix, can_manage_plan

    fresh = Task.objects.select_related("plan", "plan__owner_unit").get(pk=task.pk)
    scope = scope_for(actor)
    allowed = (
        (fresh.lead_leader_id is not None and fresh.lead_leader_id == getattr(actor, "pk", None))
        or can_manage_plan(actor, fresh.plan)
        or (
            bool(scope.supervise)
            and Assignment.objects.filter(task=fresh)
            .filter(_any_prefix("unit__path", scope.supervise))
            .exists()
        )
    )
    if not allowed:
        raise OutOfScope(_("Only the lead leader or a supervisor moves this task's deadline."))
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(_("Give the reason for moving the deadline."), field="reason")
    if deadline is None:
        raise RuleViolation(_("Give the new deadline."), field="deadline")
    if fresh.ongoing:
        raise RuleViolation(
            _("An ongoing task has no deadline: clear one of the two."), field="deadline"
        )
    if fresh.start_date and deadline < fresh.start_date:
        raise RuleViolation(_("The deadline is before the start."), field="deadline")
    fields = {"deadline": deadline}
    # The wording as imported ("6月底前") described the old date; kept, it would contradict the
    # new one on the task page and in the export.
    if fresh.deadline_text:
        fields["deadline_text"] = ""
    before = {k: getattr(fresh, k) for k in fields}
    save_versioned(fresh, fresh.version, fields)
    changes = audit.diff(before, fields)
    if changes:
        context = {"reason": reason, **({"source": source} if source else {})}
        audit.record(
            actor, [audit.Entry("update", "ledger.task", fresh.pk, str(fresh), changes, context)]
        )
    for name, value in fields.items():
        setattr(task, name, value)
    task.version = fresh.version
    return task


# --- exports too large to answer at once (issue #11) ----------------------------------------

# The worker's job body, by the dotted path django-q2 calls.
EXPORT_JOB = "luoshi.ledger.services.run_export_job"


def export_path(job: ExportJob) -> Path:
    """Where a job's workbook is kept: beside the uploads, outside the web root, served only
    by the requester's download view."""
    root = Path(settings.MEDIA_ROOT) / "exports"
    root.mkdir(parents=True, exist_ok=True)
    return root / f"ledger-export-{job.pk}.xlsx"


@transaction.atomic
def request_export(*, actor, plan: Plan | None = None) -> ExportJob:
    """Queue an export of what `actor` reads (one plan, or every plan in scope) for the worker.
    A second request while the same export is still queued or running returns that one, so a
    double click makes one job. The plans are fixed now; the job reads the tasks through the
    requester's scope when it runs."""
    from .access import plans_for, tasks_for
    from .exporter import count_rows

    pending = ExportJob.objects.filter(
        requester=actor,
        plan=plan,
        status__in=(ExportJob.Status.QUEUED, ExportJob.Status.RUNNING),
    ).first()
    if pending is not None:
        return pending
    plans = plans_for(actor)
    if plan is not None:
        plans = plans.filter(pk=plan.pk)
    job = ExportJob.objects.create(
        requester=actor,
        plan=plan,
        plan_ids=list(plans.values_list("pk", flat=True)),
        rows_total=count_rows(plans, tasks_for(actor)),
    )
    audit.record(
        actor,
        [
            audit.Entry(
                "export_request",
                "ledger.exportjob",
                job.pk,
                plan.name if plan else _("every plan"),
                {"rows_total": [None, job.rows_total]},
                {"plan": plan.pk if plan else None},
            )
        ],
    )
    transaction.on_commit(lambda: _queue_export(job.pk), robust=True)
    return job


def _queue_export(job_id: int) -> None:
    from django_q.tasks import async_task

    async_task(EXPORT_JOB, job_id, task_name=f"luoshi.export.{job_id}")


def run_export_job(job_id: int) -> str:
    """The worker's job: write the workbook to the job's file, counting rows as it goes.
    At-least-once safe: a finished job is left alone, a job run again after a crash starts
    its file afresh (written aside and moved into place, so a half file is never served)."""
    from luoshi.core.actors import system_actor

    from .access import plans_for, tasks_for
    from .exporter import write_workbook

    job = ExportJob.objects.select_related("requester").filter(pk=job_id).first()
    if job is None or job.status == ExportJob.Status.DONE:
        return "nothing to do"
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, rows_done=0, error=""
    )
    target = export_path(job)
    partial = target.with_suffix(".part")
    # Narrowed to what the requester still reads: a plan taken away since the request is not
    # exported to them.
    plans = plans_for(job.requester).filter(pk__in=job.plan_ids)

    def progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job.pk).update(rows_done=rows)

    try:
        with partial.open("wb") as fh:
            rows = write_workbook(plans, tasks_for(job.requester), fh, progress=progress)
        partial.replace(target)
    except Exception as exc:  # noqa: BLE001 - the requester sees that it failed, not a spinner
        logger.exception("ledger export %s failed", job.pk)
        partial.unlink(missing_ok=True)
        _finish_export(
            job, actor=system_actor(), status=ExportJob.Status.FAILED, error=repr(exc)[:2000]
        )
        return "failed"
    _finish_export(
        job, actor=system_actor(), status=ExportJob.Status.DONE, rows=rows, stored_as=target.name
    )
    return f"{rows} rows"


@transaction.atomic
def _finish_export(
    job: ExportJob, *, actor, status: str, rows: int = 0, stored_as: str = "", error: str = ""
) -> None:
    fields = {
        "status": status,
        "rows_done": rows,
        "stored_as": stored_as,
        "error": error,
        "finished_at": timezone.now(),
    }
    ExportJob.objects.filter(pk=job.pk).update(**fields)
    for name, value in fields.items():
        setattr(job, name, value)
    changes = {"status": [ExportJob.Status.RUNNING, status], "rows_done": [0, rows]}
    if error:
        changes["error"] = ["", error]
    audit.record(
        actor,
        [audit.Entry("export", "ledger.exportjob", job.pk, str(job), changes)],
        at=job.finished_at,
    )


# Days a prepared export is kept for its requester to download; afterwards they ask again.
EXPORT_KEEP_DAYS = 7


@transaction.atomic
def purge_exports(*, actor, now=None) -> int:
    """Remove the exports finished more than EXPORT_KEEP_DAYS ago (rows and files), so that
    prepared workbooks do not pile up beside the uploads. One audit record per run lists them."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=EXPORT_KEEP_DAYS)
    old = list(
        ExportJob.objects.filter(finished_at__lt=cutoff).values_list("pk", "stored_as", "status")
    )
    if not old:
        return 0
    ExportJob.objects.filter(pk__in=[pk for pk, _s, _st in old]).delete()
    audit.record(
        actor,
        [
            audit.Entry(
                "export_purge",
                "ledger.exportjob",
                "old",
                _("%(n)s prepared exports") % {"n": len(old)},
                {"removed": [None, [pk for pk, _s, _st in old]]},
            )
        ],
    )
    root = Path(settings.MEDIA_ROOT) / "exports"
    files = [root / stored for _pk, stored, _st in old if stored]

    def unlink() -> None:
        for f in files:
            f.unlink(missing_ok=True)

    # The files go only once the rows are gone for good.
    transaction.on_commit(unlink, robust=True)
    return len(old)
