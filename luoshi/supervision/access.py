"""Who sees and who may act on supervision's records. Pages, API, exports and commands read
through here only; the services check the `can_*` rules again before writing.

Reading follows the ledger's task scope: whoever sees a task sees its light, problems, orders,
extension requests and appeals. On top of that a problem is seen by its raiser and its
assignee (a city leader assigned a level-3 problem reads it even outside their own subtree),
and an order by its issuer and by the unit it is addressed to. Integrity signals are for
supervisors (and administrators) only, within their subtree.

Acting:
* raise a problem, request an extension, appeal a light, respond to an order: whoever may
  report on the task (its owner, its responsible units' reporters, unit admins above them), or
  a supervisor;
* answer / resolve a problem: its assignee, whoever holds its level (level 1 the unit's
  admins, level 2 the task's lead leader, level 3 city leadership: leaders over a root unit),
  and supervisors over the task's plan;
* issue, verify, close or send back an order: supervisors over the unit addressed;
* decide an extension or an appeal: the task's lead leader, or a supervisor over its plan.
"""

from __future__ import annotations

from django.db.models import F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest

from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Assignment, Task
from luoshi.org.models import Person, Role, RoleGrant, Unit
from luoshi.org.scope import scope_for

from .models import (
    Appeal,
    Extension,
    LightChange,
    LightPass,
    Order,
    Problem,
    Signal,
    TaskLight,
)


def can_recompute(person) -> bool:
    """Administrators, supervisors and the system actor (the daily job, the command)."""
    scope = scope_for(person)
    return scope.is_admin or bool(scope.supervise)


def is_supervisor(person) -> bool:
    scope = scope_for(person)
    return scope.is_admin or bool(scope.supervise)


def supervises_unit(person, unit: Unit) -> bool:
    scope = scope_for(person)
    return scope.is_admin or any(unit.path.startswith(p) for p in scope.supervise)


def supervises_task(person, task: Task) -> bool:
    """A supervisor over the task's plan (its owner unit's subtree) or over one of its units."""
    scope = scope_for(person)
    if scope.is_admin:
        return True
    if not scope.supervise:
        return False
    if ledger_access.can_manage_plan(person, task.plan):
        return True
    paths = Unit.objects.filter(assignments__task=task).values_list("path", flat=True)
    return any(p.startswith(s) for p in paths for s in scope.supervise)


def reports_on(person, task: Task) -> bool:
    """Whoever reports on the task: its owner, its units' reporters, unit admins above them."""
    scope = scope_for(person)
    if scope.is_admin or task.owner_id == person.pk:
        return True
    units = list(Assignment.objects.filter(task=task).values_list("unit_id", "unit__path"))
    if any(u in scope.report for u, _ in units):
        return True
    return any(path.startswith(p) for _, path in units for p in scope.manage)


def task_units_for(person, task: Task) -> list[Unit]:
    """The task's responsible (then cooperating) units this person acts for: the unit a
    problem, extension request or appeal is raised in the name of."""
    scope = scope_for(person)
    assignments = Assignment.objects.filter(task=task).select_related("unit")
    responsible = Assignment.Role.RESPONSIBLE
    units = [
        a.unit for a in sorted(assignments, key=lambda a: (a.role != responsible, a.position, a.pk))
    ]
    if scope.is_admin or task.owner_id == person.pk or scope.supervise:
        return units
    return [
        u for u in units if u.pk in scope.report or any(u.path.startswith(p) for p in scope.manage)
    ]


def city_leaders():
    """People holding the leader role over a root unit: city leadership (problem level 3)."""
    grants = RoleGrant.objects.filter(role=Role.LEADER, unit__parent=None)
    return Person.objects.filter(pk__in=grants.values("person_id"), is_active=True).order_by("pk")


# --- lights --------------------------------------------------------------------------------


def lights_for(person, plan=None) -> QuerySet[TaskLight]:
    """The stored lights of the tasks this person sees, in ledger order (plan, then No.)."""
    qs = TaskLight.objects.filter(task__in=ledger_access.tasks_for(person).values("pk"))
    if plan is not None:
        qs = qs.filter(task__plan=plan)
    return (
        with_current_as_of(qs)
        .select_related("task__plan")
        .order_by("task__plan_id", "task__sort_key")
    )


def with_current_as_of(qs: QuerySet[TaskLight]) -> QuerySet[TaskLight]:
    """`current_as_of`: the day the light was last confirmed, i.e. the later of its row's
    `as_of` and the last full pass over its plan (or over all plans)."""
    last_pass = (
        LightPass.objects.filter(Q(plan__isnull=True) | Q(plan=OuterRef("task__plan_id")))
        .order_by("-on")
        .values("on")[:1]
    )
    return qs.annotate(
        current_as_of=Greatest(F("as_of"), Coalesce(Subquery(last_pass), F("as_of")))
    )


def changes_for(person, task_id: int) -> QuerySet[LightChange]:
    visible = ledger_access.tasks_for(person).filter(pk=task_id).values("pk")
    return LightChange.objects.filter(task__in=visible).order_by("-on", "-id")


# --- problems, orders, due process, signals ------------------------------------------------


def _visible_tasks(person):
    return ledger_access.tasks_for(person).values("pk")


def problems_for(person) -> QuerySet[Problem]:
    if ledger_access.task_scope_q(person) is None:
        return Problem.objects.all()
    return Problem.objects.filter(
        Q(task__in=_visible_tasks(person)) | Q(raised_by_id=person.pk) | Q(assignee_id=person.pk)
    )


def orders_for(person) -> QuerySet[Order]:
    if ledger_access.task_scope_q(person) is None:
        return Order.objects.all()
    scope = scope_for(person)
    return Order.objects.filter(
        scope.unit_q("unit__")
        | Q(issued_by_id=person.pk)
        | Q(
            pk__in=Order.tasks.through.objects.filter(task__in=_visible_tasks(person)).values(
                "order_id"
            )
        )
    )


def extensions_for(person) -> QuerySet[Extension]:
    if ledger_access.task_scope_q(person) is None:
        return Extension.objects.all()
    return Extension.objects.filter(
        Q(task__in=_visible_tasks(person)) | Q(requested_by_id=person.pk)
    )


def appeals_for(person) -> QuerySet[Appeal]:
    if ledger_access.task_scope_q(person) is None:
        return Appeal.objects.all()
    return Appeal.objects.filter(Q(task__in=_visible_tasks(person)) | Q(raised_by_id=person.pk))


def signals_for(person) -> QuerySet[Signal]:
    """Integrity signals: supervisors and administrators only, on the tasks they see."""
    if not is_supervisor(person):
        return Signal.objects.none()
    if ledger_access.task_scope_q(person) is None:
        return Signal.objects.all()
    return Signal.objects.filter(task__in=_visible_tasks(person))
