"""Scoped access to ledger objects. Views, API and exports fetch through these helpers only,
so a new endpoint cannot forget the scope rules."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from luoshi.core.errors import OutOfScope
from luoshi.org.access import subtree_units
from luoshi.org.models import Unit
from luoshi.org.scope import Scope, scope_for

from .models import Assignment, Milestone, Plan, Task


def _covers_everything(scope: Scope) -> bool:
    if scope.is_admin:
        return True
    paths = scope.supervise
    if not paths:
        return False
    if "covers_everything" not in scope.memo:  # once per request, not once per list
        roots = Unit.objects.filter(parent=None).values_list("path", flat=True)
        scope.memo["covers_everything"] = all(any(r.startswith(p) for p in paths) for r in roots)
    return scope.memo["covers_everything"]


def _drafts_q(scope: Scope, prefix: str) -> Q:
    """Drafts stay drafts: a plan not yet deployed, and its tasks, are read only by its owner
    unit's managers (unit admins over the owner unit), supervisors over it and administrators.
    Reporters, leaders and other units' admins see it once it is deployed. `prefix` is the
    path from the queried model to the plan ("plan__" for tasks, "" for plans)."""
    q = ~Q(**{f"{prefix}status": Plan.Status.DRAFT})
    for path in scope.manage + scope.supervise:
        q |= Q(**{f"{prefix}owner_unit__path__startswith": path})
    return q


def can_read_draft(person, plan: Plan) -> bool:
    """Whether the person may read this plan while it is a draft (the rule of `_drafts_q`)."""
    scope = scope_for(person)
    if scope.is_admin:
        return True
    return any(plan.owner_unit.path.startswith(p) for p in scope.manage + scope.supervise)


def task_scope_q(person) -> Q | None:
    """None means unrestricted."""
    scope = scope_for(person)
    if _covers_everything(scope):
        return None
    q = Q(pk__in=[])
    for path in scope.subtree_paths:
        q |= Q(plan__owner_unit__path__startswith=path)
        # pk IN (…) rather than a correlated EXISTS: the database computes the set once
        # instead of probing per task row (100k-task count: 94 ms -> 3 ms on SQLite).
        q |= Q(pk__in=Assignment.objects.filter(unit__in=subtree_units(path)).values("task_id"))
    if scope.lead:
        q |= Q(lead_leader_id=scope.person_id)
    if scope.report:
        q |= Q(owner_id=scope.person_id)
        q |= Q(pk__in=Assignment.objects.filter(unit_id__in=scope.report).values("task_id"))
    return q & _drafts_q(scope, "plan__")


def tasks_for(person) -> QuerySet[Task]:
    q = task_scope_q(person)
    qs = Task.objects.all()
    return qs if q is None else qs.filter(q)


def plans_for(person) -> QuerySet[Plan]:
    scope = scope_for(person)
    if _covers_everything(scope):
        return Plan.objects.all()
    q = Q(pk__in=[])
    for path in scope.subtree_paths:
        q |= Q(owner_unit__path__startswith=path)
    return Plan.objects.filter(
        (q | Q(pk__in=tasks_for(person).values("plan_id"))) & _drafts_q(scope, "")
    )


def plans_named(person, name: str) -> QuerySet[Plan]:
    """The plans of that name this person sees (a name may repeat across years)."""
    return plans_for(person).filter(name=name.strip()).order_by("-year")


def milestones_for(person) -> QuerySet[Milestone]:
    q = task_scope_q(person)
    qs = Milestone.objects.all()
    if q is None:
        return qs
    return qs.filter(task__in=tasks_for(person).values("pk"))


def get_task(person, pk) -> Task:
    """A task the person may read, or 404 — a task outside scope is indistinguishable from a
    missing one."""
    try:
        return (
            tasks_for(person)
            .select_related(
                "plan",
                "plan__owner_unit",
                "category",
                "parent",
                "lead_leader",
                "owner",
                "primary_unit",
                "shown_light",
            )
            .get(pk=pk)
        )
    except (Task.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_plan(person, pk) -> Plan:
    try:
        return plans_for(person).select_related("owner_unit").get(pk=pk)
    except (Plan.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- what a person may change -------------------------------------------------------------


def can_manage_plan(person, plan: Plan) -> bool:
    """Supervisors over the plan's owner unit (and admins) deploy, import and edit tasks."""
    scope = scope_for(person)
    if scope.is_admin:
        return True
    path = plan.owner_unit.path
    return any(path.startswith(p) for p in scope.supervise)


def can_create_plans(person) -> bool:
    scope = scope_for(person)
    return scope.is_admin or bool(scope.supervise)


def require_manage_plan(person, plan: Plan) -> None:
    if not can_manage_plan(person, plan):
        raise OutOfScope("You may not change this plan or its tasks.")


def can_assign_owner(person, task: Task) -> bool:
    """Unit admins assign owners for tasks their subtree is responsible for."""
    if can_manage_plan(person, task.plan):
        return True
    scope = scope_for(person)
    paths = scope.manage
    if not paths:
        return False
    return (
        Assignment.objects.filter(task=task, role=Assignment.Role.RESPONSIBLE)
        .filter(_any_prefix("unit__path", paths))
        .exists()
    )


def can_acknowledge(person, assignment: Assignment) -> bool:
    """The responsible unit's own reporters and unit admins (or admins above it) sign for it."""
    scope = scope_for(person)
    if scope.is_admin:
        return True
    unit = assignment.unit
    if unit.pk in scope.report:
        return True
    return any(unit.path.startswith(p) for p in scope.manage + scope.supervise)


def _any_prefix(field: str, paths) -> Q:
    q = Q(pk__in=[])
    for p in paths:
        q |= Q(**{f"{field}__startswith": p})
    return q
