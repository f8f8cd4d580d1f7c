"""Who may see stored lights and who may recompute them. Built on the ledger's task scope."""

from __future__ import annotations

from django.db.models import QuerySet

from luoshi.ledger import access as ledger_access
from luoshi.org.scope import scope_for

from .models import LightChange, TaskLight


def can_recompute(person) -> bool:
    """Administrators, supervisors and the system actor (the daily job, the command)."""
    scope = scope_for(person)
    return scope.is_admin or bool(scope.supervise)


def lights_for(person, plan=None) -> QuerySet[TaskLight]:
    """The stored lights of the tasks this person sees, in ledger order (plan, then No.)."""
    qs = TaskLight.objects.filter(task__in=ledger_access.tasks_for(person).values("pk"))
    if plan is not None:
        qs = qs.filter(task__plan=plan)
    return qs.select_related("task__plan").order_by("task__plan_id", "task__sort_key")


def changes_for(person, task_id: int) -> QuerySet[LightChange]:
    visible = ledger_access.tasks_for(person).filter(pk=task_id).values("pk")
    return LightChange.objects.filter(task__in=visible).order_by("-on", "-id")


def plan_named(person, name: str):
    """The plans of that name this person sees (a name may repeat across years)."""
    return ledger_access.plans_for(person).filter(name=name.strip()).order_by("-year")
