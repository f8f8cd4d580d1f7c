"""The home page's scoped reads. Each is built on the owning stage's access module (ledger's
task scope, dispatch's slot scope, supervision's lights), so the home shows nothing a person
could not open from the pages it links to. Every function returns a queryset or one aggregate:
the home runs a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import datetime as dt

from django.db.models import Case, Count, IntegerField, Q, QuerySet, Value, When

from luoshi.dispatch import access as dispatch_access
from luoshi.dispatch.models import Cycle, Slot
from luoshi.ledger import access as ledger_access
from luoshi.ledger.filters import overdue_q
from luoshi.ledger.models import Assignment, Task
from luoshi.org.models import Unit
from luoshi.org.scope import scope_for
from luoshi.supervision import access as supervision_access
from luoshi.supervision.models import TaskLight

from . import rules

# Slots still owed (pending, draft, returned) or given up on (missed): 未报.
NOT_IN = (*dispatch_access.OPEN_SLOT, Slot.Status.MISSED)
# Slots whose report is in: 已报.
IN = (Slot.Status.SUBMITTED, Slot.Status.ACCEPTED)
AT_RISK = ("red", "yellow")


# --- what a person is on the home page ----------------------------------------------------------


def sections_for(person) -> dict[str, bool]:
    """Which parts of the home apply: a person may hold several roles."""
    scope = scope_for(person)
    supervisor = scope.is_admin or bool(scope.supervise)
    return {
        "reporter": bool(scope.report),
        "leader": bool(scope.lead),
        "reviewer": supervisor or bool(scope.lead),
        "supervisor": supervisor,
        "unit_admin": bool(scope.manage),
    }


def _mine(person) -> Q:
    """The slots a reporter owes itself: its own, and its units' (not a managed subtree)."""
    scope = scope_for(person)
    return Q(owner_id=person.pk) | Q(unit_id__in=scope.report)


# --- reporter -------------------------------------------------------------------------------


def reports_to_do(person) -> QuerySet[Slot]:
    """待报送: open slots of open cycles for its units, returned ones pinned on top."""
    pinned = Case(
        When(status__in=rules.PIN_FIRST, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        dispatch_access.slots_to_fill(person)
        .filter(_mine(person))
        .select_related("task", "unit", "cycle")
        .order_by(pinned, "due_at", "task__sort_key", "pk")
    )


def my_submissions(person) -> QuerySet[Slot]:
    """已报送 in the open cycles, newest first; the submitted ones wait for review (待审核)."""
    return (
        dispatch_access.slots_for(person)
        .filter(_mine(person), status__in=IN, cycle__status=Cycle.Status.OPEN)
        .select_related("task", "unit")
        .order_by("-submitted_at", "-pk")
    )


def submission_counts(person) -> dict[str, int]:
    """{"sent": 已报送, "waiting": of which 待审核} in one query."""
    return (
        my_submissions(person)
        .order_by()
        .aggregate(sent=Count("pk"), waiting=Count("pk", filter=Q(status=Slot.Status.SUBMITTED)))
    )


# --- leader and reviewer ------------------------------------------------------------------------


def reports_to_review(person) -> QuerySet[Slot]:
    return (
        dispatch_access.slots_to_review(person)
        .select_related("task", "unit")
        .order_by("submitted_at", "pk")
    )


def led_at_risk(person) -> QuerySet[TaskLight]:
    """The tasks this leader leads with a red or yellow light (supervision's stored lights),
    red first."""
    red_first = Case(
        When(light="red", then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return (
        supervision_access.lights_for(person)
        .filter(task__lead_leader_id=person.pk, light__in=AT_RISK)
        .order_by(red_first, "task__deadline", "task__sort_key")
    )


def led_overdue_count(person, today: dt.date) -> int:
    return (
        ledger_access.tasks_for(person)
        .filter(overdue_q(today), lead_leader_id=person.pk)
        .order_by()
        .count()
    )


# --- supervisor -----------------------------------------------------------------------------


def overdue_tasks(person, today: dt.date) -> QuerySet[Task]:
    return (
        ledger_access.tasks_for(person)
        .filter(overdue_q(today))
        .select_related("primary_unit", "plan")
        .order_by("deadline", "plan_id", "sort_key")
    )


def light_counts(person) -> dict[str, int]:
    """{"red": n, "yellow": n} over the tasks this person sees, in one query."""
    return (
        supervision_access.lights_for(person)
        .order_by()
        .aggregate(
            red=Count("pk", filter=Q(light="red")), yellow=Count("pk", filter=Q(light="yellow"))
        )
    )


def open_cycles(person) -> QuerySet[Cycle]:
    """The open cycles this person sees, the earliest due first: the first is the current one
    (the round whose late reports matter now)."""
    return (
        dispatch_access.cycles_for(person)
        .filter(status=Cycle.Status.OPEN)
        .select_related("plan")
        .order_by("due_at", "pk")
    )


def unit_tally(person, cycle: Cycle) -> QuerySet:
    """Per unit, 应报 / 已报 / 未报 for one cycle, as far as this person sees: one aggregate
    query (rows of dicts), the units with most missing first."""
    return (
        dispatch_access.slots_for(person)
        .filter(cycle=cycle)
        .values("unit_id", "unit__name", "unit__path")
        .annotate(
            due=Count("pk"),
            done=Count("pk", filter=Q(status__in=IN)),
            missing=Count("pk", filter=Q(status__in=NOT_IN)),
        )
        .order_by("-missing", "unit__path")
    )


# --- unit admin -----------------------------------------------------------------------------


def managed_units(person) -> QuerySet[Unit]:
    """The units this person administers (the tops of its managed subtrees)."""
    scope = scope_for(person)
    return Unit.objects.filter(path__in=scope.manage).order_by("path")


def _subtree_q(person, prefix: str) -> Q:
    q = Q(pk__in=[])
    for path in scope_for(person).manage:
        q |= Q(**{f"{prefix}path__startswith": path})
    return q


def unit_slots_due(person) -> QuerySet[Slot]:
    """Open slots of open cycles owed by the units it administers, the earliest due first."""
    return (
        dispatch_access.slots_for(person)
        .filter(
            _subtree_q(person, "unit__"),
            status__in=dispatch_access.OPEN_SLOT,
            cycle__status=Cycle.Status.OPEN,
        )
        .select_related("task", "unit")
        .order_by("due_at", "task__sort_key", "pk")
    )


def unit_overdue_tasks(person, today: dt.date) -> QuerySet[Task]:
    """Overdue tasks its units answer for (responsible or cooperating)."""
    units = Assignment.objects.filter(_subtree_q(person, "unit__")).values("task_id")
    return (
        ledger_access.tasks_for(person)
        .filter(overdue_q(today), pk__in=units)
        .select_related("primary_unit")
        .order_by("deadline", "plan_id", "sort_key")
    )


def visible_cycle(person, pk) -> Cycle | None:
    """The cycle, if this person sees it (dispatch's scope)."""
    return (
        dispatch_access.cycles_for(person).select_related("plan__owner_unit").filter(pk=pk).first()
    )


def visible_unit(person, pk) -> Unit | None:
    """A unit this person reads (its scope's subtrees and own units)."""
    return Unit.objects.filter(scope_for(person).unit_q(), pk=pk).first()
