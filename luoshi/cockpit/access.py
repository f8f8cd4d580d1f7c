"""The cockpit's figures for one viewer: a few GROUP BY queries over the tasks the ledger lets
them read (ledger.access.tasks_for), optionally narrowed to a plan and to a unit's subtree the
way the ledger's `?unit=` filter narrows (any assignment in the subtree), so that every figure
is the count of the ledger list it links to."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db.models import Count, F, Max, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.assessment import access as assessment_access
from luoshi.assessment.models import Assessment
from luoshi.core.concurrent import read_at_once
from luoshi.core.errors import OutOfScope
from luoshi.core.models import AuditRecord
from luoshi.core.pagination import in_order
from luoshi.dispatch.access import OPEN_SLOT
from luoshi.dispatch.models import Cycle, Slot
from luoshi.ledger import access as ledger_access
from luoshi.ledger.filters import overdue_q
from luoshi.ledger.models import Assignment, Category, Plan, Task, TaskStatus
from luoshi.org.access import subtree_units, visible_units
from luoshi.org.models import Unit
from luoshi.org.scope import scope_for
from luoshi.rollup import access as rollup_access
from luoshi.rollup.rules import Line

from . import rules

DUE_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS, TaskStatus.DONE)
OPEN_STATUSES = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)
OVERDUE_TOP = 10
TREND_CYCLES = 8
RANKING_TOP = 20
CACHE_SECONDS = 300


# --- who sees what ----------------------------------------------------------------------------


def sees_cockpit(person) -> bool:
    """The whole cockpit is the leaders' and supervisors' (and administrators'): a scope of
    subtrees to steer. Unit admins and reporters get their own unit's dashboard."""
    scope = scope_for(person)
    return scope.is_admin or bool(scope.supervise or scope.lead)


def home_unit(person) -> Unit | None:
    """The unit whose dashboard a unit admin or reporter is sent to: the one they manage, else
    the one they report for (their grant's unit, not the unit they sit in)."""
    scope = scope_for(person)
    if scope.manage:
        return Unit.objects.filter(path=scope.manage[0]).first()
    if scope.report:
        return Unit.objects.filter(pk=scope.report[0]).first()
    return None


def may_open(person) -> bool:
    """Whether /cockpit/ shows this person anything (the navigation link's condition)."""
    scope = scope_for(person)
    return sees_cockpit(person) or bool(scope.manage or scope.report)


def get_unit(person, pk) -> Unit:
    """A unit whose dashboard the person may open: one in their scope, else 403."""
    unit = visible_units(person).filter(pk=pk).first()
    if unit is None:
        raise OutOfScope(_("This unit is outside your scope."))
    return unit


def plans(person) -> list[Plan]:
    return list(ledger_access.plans_for(person).order_by("-year", "name"))


def focus_plan(
    plan_list: list[Plan], chosen: Plan | None, done: dict[int, int] | None = None
) -> Plan | None:
    """The plan of the plan-specific sections (categories, cycles, ranking, roll-ups): the
    chosen one, else the deployed plan being worked on — the most tasks completed in view —
    the newest first on a tie, else the newest plan."""
    if chosen is not None:
        return chosen
    done = done or {}
    deployed = [p for p in plan_list if p.status == Plan.Status.DEPLOYED]
    if deployed:
        # plan_list is newest first and max() keeps the first of equals.
        return max(deployed, key=lambda p: done.get(p.pk, 0))
    return (plan_list or [None])[0]


# --- the figures ------------------------------------------------------------------------------


@dataclass
class Figures:
    today: dt.date
    plan: Plan | None  # the filter (None: every plan in view)
    unit: Unit | None  # the unit dashboard's unit
    focus: Plan | None  # the plan of the plan-specific sections
    total: rules.Tally
    by_plan: list[rules.Row]
    by_category: list[rules.Row]
    by_unit: list[rules.Row]
    lights: dict[str | None, int]
    overdue: int
    overdue_top: list[Task]
    cycles: list[rules.CycleReports]
    assessment: Assessment | None
    ranking: list = field(default_factory=list)
    rollup: list[Line] = field(default_factory=list)

    @property
    def unlit(self) -> int:
        return self.lights.get(None, 0)


def unit_q(unit: Unit) -> Q:
    """The ledger's `?unit=`: any assignment in the unit's subtree (ledger/filters.py)."""
    return Q(pk__in=Assignment.objects.filter(unit__in=subtree_units(unit.path)).values("task_id"))


def scoped_tasks(person, plan: Plan | None = None, unit: Unit | None = None) -> QuerySet[Task]:
    qs = ledger_access.tasks_for(person)
    if plan is not None:
        qs = qs.filter(plan=plan)
    if unit is not None:
        qs = qs.filter(unit_q(unit))
    return qs


def due_q(today: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}deadline__lte": today, f"{prefix}status__in": DUE_STATUSES})


def _slices(tasks: QuerySet[Task], today: dt.date) -> list[dict]:
    """One pass over the tasks in view, grouped by plan, category and light: each group's
    count, due, completed (of the due) and overdue. By plan, by category and the light
    distribution are sums of these rows (at most plans × categories × lights of them), so the
    table is read once, not once per chart: at 100,000 tasks, three scans were 460 ms of the
    page's 1,000 on SQLite."""
    due = due_q(today)
    return list(
        tasks.values("plan_id", "category_id", "shown_light__light")
        .annotate(
            n=Count("pk"),
            due=Count("pk", filter=due),
            done=Count("pk", filter=due & Q(status=TaskStatus.DONE)),
            overdue=Count("pk", filter=overdue_q(today)),
        )
        .order_by()
    )


def _done_by_plan(tasks: QuerySet[Task], today: dt.date, chosen: Plan | None, plan_list) -> dict:
    """What focus_plan weighs the deployed plans by (each plan's due tasks completed, as by
    plan counts them), counted apart so that the plan-specific passes can start with the
    others. Only needed to choose among several deployed plans."""
    deployed = [p.pk for p in plan_list if p.status == Plan.Status.DEPLOYED]
    if chosen is not None or len(deployed) < 2:
        return {}
    return dict(
        tasks.filter(due_q(today), status=TaskStatus.DONE, plan__in=deployed)
        .values_list("plan_id")
        .annotate(n=Count("pk"))
        .order_by()
    )


def _slice_tally(r: dict) -> rules.Tally:
    # The light is a group key: a group's completed tasks are all on time, or all late, or
    # neither (a light not recomputed since completion), as the ledger's ?light= lists them.
    light = r["shown_light__light"]
    return rules.Tally(
        due=r["due"],
        done=r["done"],
        on_time=r["done"] if light == rules.DONE else 0,
        late=r["done"] if light == rules.DONE_LATE else 0,
    )


def _sum_by(slices: list[dict], key: str) -> dict:
    out: dict = {}
    for r in slices:
        if r["due"]:
            out[r[key]] = out.get(r[key], rules.Tally()) + _slice_tally(r)
    return out


def figures(person, plan: Plan | None = None, unit: Unit | None = None, *, plan_list=()) -> Figures:
    today = timezone.localdate()
    tasks = scoped_tasks(person, plan, unit)
    focus = focus_plan(list(plan_list), plan, _done_by_plan(tasks, today, plan, plan_list))
    # The heavy passes are independent of each other: at 100,000 tasks on SQLite, by plan,
    # category and light 145 ms; by unit, the overdue list and the cycles another 150. One
    # after the other they were most of the page; side by side the page waits for the longer.
    slices, (by_unit, overdue_top, cycles) = read_at_once(
        lambda: _slices(tasks, today),
        lambda: (
            _by_unit(person, tasks, unit, today),
            _overdue_top(tasks, today),
            _cycles(
                tasks,
                focus,
                every_task=unit is None and ledger_access.task_scope_q(person) is None,
            )
            if focus is not None
            else [],
        ),
    )

    plan_tallies = _sum_by(slices, "plan_id")
    known = {p.pk: p for p in plan_list}
    missing = [pk for pk in plan_tallies if pk not in known]
    known.update(Plan.objects.in_bulk(missing) if missing else {})
    by_plan = [
        rules.Row(pk, known[pk].name, tally, {"plan": pk})
        for pk, tally in sorted(
            plan_tallies.items(), key=lambda kv: (-known[kv[0]].year, known[kv[0]].name)
        )
    ]

    by_category: list[rules.Row] = []
    if focus is not None:
        cat_tallies = _sum_by([r for r in slices if r["plan_id"] == focus.pk], "category_id")
        cats = {
            c["pk"]: c
            for c in Category.objects.filter(pk__in=[k for k in cat_tallies if k]).values(
                "pk", "name", "order"
            )
        }

        def cat_order(pk):
            order = cats[pk]["order"] if pk in cats else None
            return (order is None, order or 0, pk is None, pk or 0)

        by_category = [
            rules.Row(
                pk,
                cats[pk]["name"] if pk in cats else "",
                cat_tallies[pk],
                # No ledger filter lists the tasks without a category: that bar has no link.
                {"plan": focus.pk, "category": pk} if pk else None,
            )
            for pk in sorted(cat_tallies, key=cat_order)
        ]

    lights: dict[str | None, int] = {}
    overdue = 0
    for r in slices:
        light = r["shown_light__light"]
        lights[light] = lights.get(light, 0) + r["n"]
        overdue += r["overdue"]

    return Figures(
        today=today,
        plan=plan,
        unit=unit,
        focus=focus,
        total=rules.total(r.tally for r in by_plan),
        by_plan=by_plan,
        by_category=by_category,
        by_unit=by_unit,
        lights=lights,
        overdue=overdue,
        overdue_top=overdue_top,
        cycles=cycles,
        assessment=None,
    )


def _overdue_top(tasks: QuerySet[Task], today: dt.date) -> list[Task]:
    """The longest overdue, ids first from the (status, deadline, …) index, then their rows:
    asking for the rows at once sorted all 58,000 overdue tasks' full rows (100 ms, SQLite)."""
    ids = list(
        tasks.filter(overdue_q(today))
        .order_by("deadline", "plan_id", "sort_key")
        .values_list("pk", flat=True)[:OVERDUE_TOP]
    )
    return in_order(Task.objects.select_related("plan", "primary_unit", "shown_light"), ids)


def _breakdown_units(person, unit: Unit | None) -> list[Unit]:
    """The units a by-unit chart compares, only ones the viewer may filter the ledger by: a
    dashboard's unit's children; on the cockpit, the children of the viewer's one subtree (the
    roots' children for an administrator), or their subtrees' tops when they hold several."""
    visible = visible_units(person)
    if unit is not None:
        return list(visible.filter(parent=unit).order_by("path"))
    scope = scope_for(person)
    if scope.is_admin:
        roots = list(Unit.objects.filter(parent=None).order_by("path"))
        tops = roots if len(roots) != 1 else None
        parent = roots[0] if len(roots) == 1 else None
    else:
        paths = scope.subtree_paths
        tops = None if len(paths) == 1 else list(visible.filter(path__in=paths).order_by("path"))
        parent = Unit.objects.filter(path=paths[0]).first() if len(paths) == 1 else None
    if tops is not None:
        return tops
    return list(visible.filter(parent=parent).order_by("path")) if parent else []


def _by_unit(person, tasks: QuerySet[Task], unit: Unit | None, today) -> list[rules.Row]:
    """Two GROUP BYs per depth of the compared units (one depth in every real tree): each
    assignment of a due task is credited to the compared unit above it (the prefix of its
    path), and the tasks are counted distinct — "any assignment in the subtree", as the
    ledger's `?unit=` lists them. The due tasks are counted from the indexes alone; only the
    completed ones are joined to their light (a task has one light, so the distinct counts
    per light add up): at 100,000 tasks on SQLite, 208 ms as one query, about 110 as two."""
    units = _breakdown_units(person, unit)
    by_path = {u.path: u for u in units}
    tallies: dict[str, rules.Tally] = {}
    due_tasks = tasks.filter(due_q(today))
    for length in sorted({len(u.path) for u in units}):
        paths = [p for p in by_path if len(p) == length]
        # One prefix for all the compared units of this depth (their common one), not one
        # LIKE each: a group whose prefix is no compared unit is dropped below. Twenty LIKEs
        # per assignment were a third of this query's time.
        within = Q(unit__path__startswith=os.path.commonprefix(paths))

        for r in _tops(within, length, due_tasks):
            tallies[r["top"]] = rules.Tally(due=r["n"])
        done = due_tasks.filter(status=TaskStatus.DONE)
        for r in _tops(within, length, done, "task__shown_light__light"):
            light, n = r["task__shown_light__light"], r["n"]
            tallies[r["top"]] = tallies.get(r["top"], rules.Tally()) + rules.Tally(
                done=n,
                on_time=n if light == rules.DONE else 0,
                late=n if light == rules.DONE_LATE else 0,
            )
    return [
        rules.Row(u.pk, u.name, tallies[u.path], {"unit": u.pk}) for u in units if u.path in tallies
    ]


def _tops(within: Q, length: int, tasks: QuerySet[Task], *by: str) -> QuerySet:
    """The tasks with an assignment in `within`, counted distinct by the first `length`
    characters of the assignment's unit path (and `by`). `task IN (tasks)`, not the
    condition on the joined task: SQLite builds the set once from a covering index."""
    return (
        Assignment.objects.filter(within, task__in=tasks.values("pk"))
        .annotate(top=Substr("unit__path", 1, length))
        .values("top", *by)
        .annotate(n=Count("task_id", distinct=True))
        .order_by()
    )


def _cycles(
    tasks: QuerySet[Task], plan: Plan, *, every_task: bool = False
) -> list[rules.CycleReports]:
    """The plan's last cycles due by now: each one's report slots of the tasks in view,
    submitted by the due time, after it, or not submitted (the cycle page's missing list).
    `every_task`: the viewer sees all of the plan's tasks, so the slots need no task filter
    (at 100,000 tasks the `task IN (…)` was most of this query's 270 ms on SQLite)."""
    due = dict(
        Cycle.objects.filter(plan=plan, due_at__lte=timezone.now())
        .order_by("-due_at")
        .values_list("pk", "due_at")[:TREND_CYCLES]
    )
    if not due:
        return []
    missing = {*OPEN_SLOT, Slot.Status.MISSED}
    slots = Slot.objects.filter(cycle_id__in=list(due))
    if not every_task:
        slots = slots.filter(task__in=tasks.values("pk"))
    # Grouped by cycle and status in the order of slot_cycle_idx, the status sorted out
    # here: 21 ms against 60 with the status conditions in the query (SQLite, 130,000 slots).
    rows: dict[int, dict[str, int]] = {}
    for r in (
        slots.values("cycle_id", "status")
        .annotate(
            n=Count("pk"),
            on_time=Count("pk", filter=Q(submitted_at__lte=F("due_at"))),
            late=Count("pk", filter=Q(submitted_at__gt=F("due_at"))),
        )
        .order_by()
    ):
        row = rows.setdefault(r["cycle_id"], {"missing": 0, "on_time": 0, "late": 0})
        if r["status"] in missing:
            row["missing"] += r["n"]
        else:
            row["on_time"] += r["on_time"]
            row["late"] += r["late"]
    return [
        rules.CycleReports(
            cycle_id=pk,
            label=timezone.localtime(due[pk]).strftime("%m-%d"),
            on_time=rows[pk]["on_time"],
            late=rows[pk]["late"],
            missing=rows[pk]["missing"],
        )
        for pk in sorted(due, key=due.get)
        if pk in rows
    ]


def ranking(person, plan: Plan | None, unit: Unit | None = None) -> tuple[Assessment | None, list]:
    """The plan's latest assessment the person sees and its scores in their scope (and in the
    dashboard unit's subtree), by rank."""
    if plan is None:
        return None, []
    latest = assessment_access.assessments_for(person).filter(plan=plan).order_by("-period").first()
    if latest is None:
        return None, []
    scores = assessment_access.scores_for(person, latest)
    if unit is not None:
        scores = scores.filter(unit__path__startswith=unit.path)
    return latest, list(scores.order_by("rank")[:RANKING_TOP])


def rollup(person, plan: Plan | None) -> list[Line]:
    return rollup_access.rollup(person, plan) if plan is not None else []


def data_version() -> int:
    """The newest audit record's id. Every write goes through a service that records one in
    the same transaction (the lights pass included, when it changes a light), so while this
    number stands, nothing the cockpit counts has changed."""
    return AuditRecord.objects.aggregate(newest=Max("pk"))["newest"] or 0


def cockpit(person, plan: Plan | None = None, unit: Unit | None = None, plan_list=None):
    """Everything the page and the API show. The roll-up has no unit filter of its own, so a
    unit's dashboard leaves it out rather than show the viewer's whole scope's sums.

    Leaders open the cockpit far more often than the ledger changes, and at 100,000 tasks its
    figures take a few hundred milliseconds to count. So they are kept per viewer, plan, unit
    and day under the data version: the first view after any write counts afresh, every other
    view reads them back. The time limit covers what moves without a write (a cycle passing
    its due time)."""
    if unit is None and not sees_cockpit(person):
        raise OutOfScope(_("The cockpit is for leaders and supervisors."))
    plan_list = plans(person) if plan_list is None else plan_list
    key = ":".join(
        str(part)
        for part in (
            "cockpit",
            person.pk,
            plan.pk if plan else "-",
            unit.pk if unit else "-",
            timezone.localdate().isoformat(),
            data_version(),
        )
    )
    f = cache.get(key)
    if f is None:
        f = figures(person, plan, unit, plan_list=plan_list)
        f.assessment, f.ranking = ranking(person, f.focus, unit)
        if unit is None:
            f.rollup = rollup(person, f.focus)
        cache.set(key, f, CACHE_SECONDS)
    return f
