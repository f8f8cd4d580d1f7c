"""Who may see, fill and review report slots. Built on the ledger's task scope."""

from __future__ import annotations

from django.db.models import QuerySet

from luoshi.ledger import access as ledger_access
from luoshi.org.scope import scope_for

from .models import Cycle, Slot


def slots_for(person) -> QuerySet[Slot]:
    return Slot.objects.filter(task__in=ledger_access.tasks_for(person).values("pk"))


def cycles_for(person) -> QuerySet[Cycle]:
    return Cycle.objects.filter(plan__in=ledger_access.plans_for(person).values("pk"))


def can_report(person, slot: Slot) -> bool:
    """The owner, the unit's reporters, and unit admins above the unit fill the report."""
    scope = scope_for(person)
    if scope.is_admin or slot.owner_id == person.pk or slot.unit_id in scope.report:
        return True
    return any(slot.unit.path.startswith(p) for p in scope.manage)


def can_review(person, slot: Slot) -> bool:
    """The task's lead leader, and supervisors over its plan, accept or return reports."""
    task = slot.task
    return task.lead_leader_id == person.pk or ledger_access.can_manage_plan(person, task.plan)
