"""The cockpit's figures for one viewer: a few GROUP BY queries over the tasks the ledger lets
them read (ledger.access.tasks_for), optionally narrowed to a plan and to a unit's subtree the
way the ledger's `?unit=` filter narrows (any assignment in the subtree), so that every figure
is the count of the ledger list it links to."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.assessment import access as assessment_access
from luoshi.assessment.models import Assessment
from luoshi.core.errors import OutOfScope
from luoshi.dispatch.access import OPEN_SLOT
from luoshi.dispatch.models import Slot
from luoshi.ledger import access as ledger_access
from luoshi.ledger.filters import overdue_q
from luoshi.ledger.models import Assignment, Plan, Task, TaskStatus
from luoshi.org.access import visible_units
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
    return Q(pk__in=Assignment.objects.filter(unit__path__startswith=unit.path).values("task_id"))


def scoped_tasks(person, plan: Plan | None = None, unit: Unit | None = None) -> QuerySet[Task]:
    qs = ledger_access.tasks_for(person)
    if plan is not None:
        qs = qs.filter(plan=plan)
    if unit is not None:
        qs = qs.filter(unit_q(unit))
    return qs


def due_q(today: dt.date, prefix: str = "") -> Q:
    return Q(**{f"{prefix}deadline__lte": today, f"{prefix}status__in": DUE_STATUSES})


def _tally_annotations(prefix: str = "", *, distinct: bool = False) -> dict:
    """Due, done, on time and late as conditional counts (the caller filters to due tasks)."""
    key = f"{prefix}id" if prefix else "pk"

    def count(**cond):
        return Count(key, filter=Q(**cond) if cond else None, distinct=distinct)

    return {
        "due": count(),
        "done": count(**{f"{prefix}status": TaskStatus.DONE}),
        "on_time": count(
            **{f"{prefix}status": TaskStatus.DONE, f"{prefix}shown_light__light": rules.DONE}
        ),
        "late": count(
            **{
                f"{prefix}status": TaskStatus.DONE,
                f"{prefix}shown_light__light": rules.DONE_LATE,
            }
        ),
    }


def _tally(r: dict) -> rules.Tally:
    return rules.Tally(due=r["due"], done=r["done"], on_time=r["on_time"], late=r["late"])


def figures(person, plan: Plan | None = None, unit: Unit | None = None, *, plan_list=()) -> Figures:
    today = timezone.localdate()
    tasks = scoped_tasks(person, plan, unit)
    due = tasks.filter(due_q(today))

    plan_rows = (
        due.values("plan_id", "plan__name", "plan__year")
        .annotate(**_tally_annotations())
        .order_by("-plan__year", "plan__name")
    )
    by_plan = [
        rules.Row(r["plan_id"], r["plan__name"], _tally(r), {"plan": r["plan_id"]})
        for r in plan_rows
    ]

    focus = focus_plan(list(plan_list), plan, {r.key: r.tally.done for r in by_plan})
    by_category: list[rules.Row] = []
    if focus is not None:
        cat_rows = (
            due.filter(plan=focus)
            .values("category_id", "category__name", "category__order")
            .annotate(**_tally_annotations())
            .order_by(F("category__order").asc(nulls_last=True), "category_id")
        )
        by_category = [
            rules.Row(
                r["category_id"],
                r["category__name"] or "",
                _tally(r),
                # No ledger filter lists the tasks without a category: that bar has no link.
                {"plan": focus.pk, "category": r["category_id"]} if r["category_id"] else None,
            )
            for r in cat_rows
        ]

    lights: dict[str | None, int] = {}
    overdue = 0
    for r in (
        tasks.values("shown_light__light")
        .annotate(n=Count("pk"), overdue=Count("pk", filter=overdue_q(today)))
        .order_by()
    ):
        lights[r["shown_light__light"]] = r["n"]
        overdue += r["overdue"]

    overdue_top = list(
        tasks.filter(overdue_q(today))
        .select_related("plan", "primary_unit", "shown_light")
        .order_by("deadline", "plan_id", "sort_key")[:OVERDUE_TOP]
    )

    return Figures(
        today=today,
        plan=plan,
        unit=unit,
        focus=focus,
        total=rules.total(r.tally for r in by_plan),
        by_plan=by_plan,
        by_category=by_category,
        by_unit=_by_unit(person, tasks, unit, today),
        lights=lights,
        overdue=overdue,
        overdue_top=overdue_top,
        cycles=_cycles(tasks, focus) if focus is not None else [],
        assessment=None,
    )


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
    """One GROUP BY per depth of the compared units (one depth in every real tree): each
    assignment of a due task is credited to the compared unit above it (the prefix of its
    path), and the tasks are counted distinct — "any assignment in the subtree", as the
    ledger's `?unit=` lists them."""
    units = _breakdown_units(person, unit)
    by_path = {u.path: u for u in units}
    tallies: dict[str, rules.Tally] = {}
    for length in sorted({len(u.path) for u in units}):
        paths = [p for p in by_path if len(p) == length]
        within = Q(pk__in=[])
        for p in paths:
            within |= Q(unit__path__startswith=p)
        rows = (
            Assignment.objects.filter(within)
            .filter(task__in=tasks.filter(due_q(today)).values("pk"))
            .annotate(top=Substr("unit__path", 1, length))
            .values("top")
            .annotate(**_tally_annotations("task__", distinct=True))
            .order_by()
        )
        for r in rows:
            tallies[r["top"]] = _tally(r)
    return [
        rules.Row(u.pk, u.name, tallies.get(u.path, rules.Tally()), {"unit": u.pk})
        for u in units
        if u.path in tallies
    ]


def _cycles(tasks: QuerySet[Task], plan: Plan) -> list[rules.CycleReports]:
    """The plan's last cycles due by now: each one's report slots of the tasks in view,
    submitted by the due time, after it, or not submitted (the cycle page's missing list)."""
    now = timezone.now()
    missing = Q(status__in=(*OPEN_SLOT, Slot.Status.MISSED))
    rows = (
        Slot.objects.filter(cycle__plan=plan, cycle__due_at__lte=now, task__in=tasks.values("pk"))
        .values("cycle_id", "cycle__due_at")
        .annotate(
            missing=Count("pk", filter=missing),
            on_time=Count("pk", filter=~missing & Q(submitted_at__lte=F("due_at"))),
            late=Count("pk", filter=~missing & Q(submitted_at__gt=F("due_at"))),
        )
        .order_by("-cycle__due_at")[:TREND_CYCLES]
    )
    return [
        rules.CycleReports(
            cycle_id=r["cycle_id"],
            label=timezone.localtime(r["cycle__due_at"]).strftime("%m-%d"),
            on_time=r["on_time"],
            late=r["late"],
            missing=r["missing"],
        )
        for r in reversed(rows)
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


def cockpit(person, plan: Plan | None = None, unit: Unit | None = None, plan_list=None):
    """Everything the page and the API show. The roll-up has no unit filter of its own, so a
    unit's dashboard leaves it out rather than show the viewer's whole scope's sums."""
    if unit is None and not sees_cockpit(person):
        raise OutOfScope(_("The cockpit is for leaders and supervisors."))
    plan_list = plans(person) if plan_list is None else plan_list
    f = figures(person, plan, unit, plan_list=plan_list)
    f.assessment, f.ranking = ranking(person, f.focus, unit)
    if unit is None:
        f.rollup = rollup(person, f.focus)
    return f
