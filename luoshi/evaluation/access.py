"""Who sees and who may act on evaluation's records. Pages, API and commands read through here;
the services check the `can_*` rules again before writing.

Reading follows the ledger's task scope: whoever sees a task sees its completions, evidence,
evaluation, answers and post-evaluation. An answer is also seen by its issuer, who may sit
outside the task's units (a city leader who gave the instruction).

Acting:
* submit a completion (with evidence): whoever reports on the task (its owner, its units'
  reporters, unit admins above them) or a supervisor over it;
* accept or return it (验收), evaluate, send the answer to the source, post-evaluate: the task's
  lead leader, or a supervisor over the task;
* acknowledge and rate an answer: its issuer;
* record a re-check's outcome: whoever reports on the task, or a supervisor over it.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Task
from luoshi.org.scope import scope_for
from luoshi.supervision.access import reports_on, supervises_task

from .models import Answer, Completion, CompletionDocument, Evaluation, PostEvaluation, Recheck


def can_submit(person, task: Task) -> bool:
    return reports_on(person, task) or supervises_task(person, task)


def can_accept(person, task: Task) -> bool:
    """The task's lead leader or a supervisor over it (and administrators)."""
    return task.lead_leader_id == person.pk or supervises_task(person, task)


can_evaluate = can_accept
can_answer = can_accept


def can_recheck(person, task: Task) -> bool:
    """The unit responsible re-checks its own result (whoever reports on the task), or a
    supervisor over the task."""
    return reports_on(person, task) or supervises_task(person, task)


def can_acknowledge(person, answer: Answer) -> bool:
    return answer.issuer_id == person.pk


def is_supervisor(person) -> bool:
    scope = scope_for(person)
    return scope.is_admin or bool(scope.supervise)


def _task_q(person, prefix: str = "task__") -> Q | None:
    q = ledger_access.task_scope_q(person)
    if q is None:
        return None
    return Q(**{f"{prefix}in": Task.objects.filter(q).values("pk")})


def _scoped(qs: QuerySet, person, prefix: str = "task__") -> QuerySet:
    q = _task_q(person, prefix)
    return qs if q is None else qs.filter(q)


def tasks_for(person) -> QuerySet[Task]:
    return ledger_access.tasks_for(person)


def completions_for(person) -> QuerySet[Completion]:
    return _scoped(Completion.objects.all(), person)


def documents_for(person) -> QuerySet[CompletionDocument]:
    return _scoped(CompletionDocument.objects.all(), person, "completion__task__")


def evaluations_for(person) -> QuerySet[Evaluation]:
    return _scoped(Evaluation.objects.all(), person)


def post_evaluations_for(person) -> QuerySet[PostEvaluation]:
    return _scoped(PostEvaluation.objects.all(), person)


def rechecks_for(person) -> QuerySet[Recheck]:
    return _scoped(Recheck.objects.all(), person)


def answers_for(person) -> QuerySet[Answer]:
    """The answers of tasks in scope, and those addressed to the person."""
    q = _task_q(person)
    if q is None:
        return Answer.objects.all()
    return Answer.objects.filter(q | Q(issuer=person))


def get_task(person, pk) -> Task:
    return ledger_access.get_task(person, pk)
