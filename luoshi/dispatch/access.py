"""Who may see, fill and review report slots. Built on the ledger's task scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from luoshi.ledger import access as ledger_access
from luoshi.org.scope import scope_for

from .models import Cycle, Slot

# Slots still waiting for their report.
OPEN_SLOT = (Slot.Status.PENDING, Slot.Status.DRAFT, Slot.Status.RETURNED)


def slots_for(person) -> QuerySet[Slot]:
    return Slot.objects.filter(task__in=ledger_access.tasks_for(person).values("pk"))


def cycles_for(person) -> QuerySet[Cycle]:
    return Cycle.objects.filter(plan__in=ledger_access.plans_for(person).values("pk"))


def slots_to_fill(person) -> QuerySet[Slot]:
    """Open slots of open cycles this person reports for: the same rule as `can_report`."""
    scope = scope_for(person)
    mine = Q(owner_id=person.pk) | Q(unit_id__in=scope.report)
    for path in scope.manage:
        mine |= Q(unit__path__startswith=path)
    # An administrator may fill any report but owes none: its list holds only its own.
    return slots_for(person).filter(mine, status__in=OPEN_SLOT, cycle__status=Cycle.Status.OPEN)


def slots_to_review(person) -> QuerySet[Slot]:
    """Submitted slots waiting for this person's review: the same rule as `can_review` (the
    task's lead leader, or a supervisor over the plan's owner unit)."""
    scope = scope_for(person)
    if scope.is_admin:
        q = Q()
    else:
        q = Q(task__lead_leader_id=person.pk)
        for path in scope.supervise:
            q |= Q(task__plan__owner_unit__path__startswith=path)
    return slots_for(person).filter(q, status=Slot.Status.SUBMITTED)


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
