"""Who reads and who records the experience library. Pages, API and the task panel read through
here only; the services check `can_record` / `can_edit` again before writing.

Reading: the library is shared. Every signed-in person reads every practice (what, where,
result, tags, documents): a good practice is recorded so that other units can reuse it. The
task a practice was learned from is a ledger object, and stays in the ledger's scope: its link
(title, id) is shown only to those who may read that task (`visible_task_ids`); to everyone else
the practice reads as if it had no task. Anonymous visitors read nothing.

Recording and editing a practice of a unit:
* supervisors over the unit (and administrators);
* the unit's admins (unit admins over it);
* for a practice learned from a task, whoever may report on that task (its owner, its
  units' reporters, unit admins above them), for one of the task's own units;
* whoever recorded a practice edits it (and its documents) as long as they may read it.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet
from django.http import Http404

from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Assignment, Task
from luoshi.org.models import Unit
from luoshi.org.scope import scope_for
from luoshi.supervision import access as supervision_access

from .models import Practice, PracticeDocument


def may_read(person) -> bool:
    scope = scope_for(person)
    return scope.is_admin or scope.person_id is not None


def practices_for(person) -> QuerySet[Practice]:
    return Practice.objects.all() if may_read(person) else Practice.objects.none()


def get_practice(person, pk) -> Practice:
    """A practice the person may read, or 404."""
    try:
        return practices_for(person).select_related("unit", "recorded_by").get(pk=pk)
    except (Practice.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_document(person, pk) -> PracticeDocument:
    try:
        return PracticeDocument.objects.select_related("practice").get(
            pk=pk, practice__in=practices_for(person)
        )
    except (PracticeDocument.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def visible_task_ids(person, task_ids: Iterable[int | None]) -> set[int]:
    """Of these tasks, the ones the person may read in the ledger (one query)."""
    ids = {t for t in task_ids if t is not None}
    if not ids:
        return set()
    return set(ledger_access.tasks_for(person).filter(pk__in=ids).values_list("pk", flat=True))


def shown_task(person, practice: Practice) -> Task | None:
    """The practice's task if the person may read it, else None."""
    if practice.task_id is None:
        return None
    return ledger_access.tasks_for(person).filter(pk=practice.task_id).first()


def recordable_units(person) -> QuerySet[Unit]:
    """Units the person records practices for without a task: supervisors' and unit admins'
    subtrees (every unit for administrators)."""
    scope = scope_for(person)
    if scope.is_admin:
        return Unit.objects.all()
    units = Unit.objects.none()
    for path in scope.supervise + scope.manage:
        units = units | Unit.objects.filter(path__startswith=path)
    return units


def task_units(task: Task) -> QuerySet[Unit]:
    return Unit.objects.filter(
        pk__in=Assignment.objects.filter(task=task).values("unit_id")
    ).order_by("path")


def can_record(person, unit: Unit | None = None, task: Task | None = None) -> bool:
    """Whether the person may record a practice of `unit` (learned from `task`). Without a
    unit: whether they may record one at all (for some unit, or from this task)."""
    scope = scope_for(person)
    if scope.is_admin:
        return True
    if task is not None and not ledger_access.tasks_for(person).filter(pk=task.pk).exists():
        return False
    over = scope.supervise + scope.manage
    if unit is None:
        if over:
            return True
        return task is not None and supervision_access.reports_on(person, task)
    if any(unit.path.startswith(p) for p in over):
        return True
    if task is None or not supervision_access.reports_on(person, task):
        return False
    return Assignment.objects.filter(task=task, unit=unit).exists()


def can_edit(person, practice: Practice) -> bool:
    """Its recorder, supervisors and unit admins over its unit, or (for a practice learned from
    a task) whoever reports on that task for one of its units."""
    if not may_read(person):
        return False
    if practice.recorded_by_id is not None and practice.recorded_by_id == person.pk:
        return True
    scope = scope_for(person)
    if scope.is_admin or any(
        practice.unit.path.startswith(p) for p in scope.supervise + scope.manage
    ):
        return True
    task = practice.task if practice.task_id else None
    return task is not None and can_record(person, practice.unit, task)
