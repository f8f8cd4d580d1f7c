"""Evaluation's open items in the closed-loop check (supervision.closed_loop): a completion
awaiting its acceptance too long, an accepted task that must be evaluated and is not, a source
still waiting for its answer (or the answer for its acknowledgement), a post-evaluation due."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Plan, TaskStatus

# The check's own working-day cut-off, so that both count alike.
from luoshi.supervision.closed_loop import DECIDE_WITHIN, Source, days_ago, register

from . import access, rules
from .models import Answer, Completion, Evaluation, PostEvaluation, Recheck


def _unit(qs, path: str):
    return qs.annotate(lp_unit_id=F(f"{path}_id"), lp_unit_name=F(f"{path}__name"))


def _task_url(r) -> str:
    return reverse("ledger:task_detail", args=[r["pk"]])


def _done_tasks(person):
    return ledger_access.tasks_for(person).filter(
        status=TaskStatus.DONE, plan__status=Plan.Status.DEPLOYED
    )


def register_all() -> None:
    register(
        Source(
            "completion_undecided",
            gettext_lazy("completion awaiting acceptance"),
            lambda person, now: _unit(
                access.completions_for(person).filter(
                    status=Completion.Status.SUBMITTED,
                    submitted_at__lt=days_ago(now, DECIDE_WITHIN),
                ),
                "task__primary_unit",
            ),
            ("task__no", "task__title", "submitted_at"),
            lambda r: (
                _("The completion of %(no)s “%(title)s” awaits acceptance since %(day)s.")
                % {
                    "no": r["task__no"],
                    "title": r["task__title"],
                    "day": timezone.localtime(r["submitted_at"]).date().isoformat(),
                },
                reverse("evaluation:completion", args=[r["pk"]]),
            ),
        )
    )
    register(
        Source(
            "evaluation_missing",
            gettext_lazy("completed task not evaluated"),
            lambda person, now: _unit(
                _done_tasks(person)
                .filter(Q(key_task=True) | Q(plan__evaluation_rules__evaluate_all=True))
                .filter(~Exists(Evaluation.objects.filter(task=OuterRef("pk")))),
                "primary_unit",
            ),
            ("no", "title"),
            lambda r: (
                _("Task %(no)s “%(title)s” is completed and not yet evaluated.") % r,
                reverse("evaluation:evaluate", args=[r["pk"]]),
            ),
        )
    )
    register(
        Source(
            "answer_missing",
            gettext_lazy("source waiting for its answer"),
            lambda person, now: _unit(
                _done_tasks(person)
                .filter(source_kind__in=rules.ANSWERED_SOURCES)
                .filter(~Exists(Answer.objects.filter(task=OuterRef("pk")))),
                "primary_unit",
            ),
            ("no", "title", "source_ref"),
            lambda r: (
                _("Task %(no)s “%(title)s” is completed; its source %(source)s has no answer yet.")
                % {"no": r["no"], "title": r["title"], "source": r["source_ref"] or "—"},
                _task_url(r),
            ),
        )
    )
    register(
        Source(
            "answer_unacknowledged",
            gettext_lazy("answer not acknowledged"),
            lambda person, now: _unit(
                access.answers_for(person).filter(
                    status=Answer.Status.SENT, sent_at__lt=days_ago(now, DECIDE_WITHIN)
                ),
                "task__primary_unit",
            ),
            ("task__no", "task__title", "issuer__full_name", "issuer__username"),
            lambda r: (
                _("The answer on %(no)s “%(title)s” waits for %(person)s to acknowledge it.")
                % {
                    "no": r["task__no"],
                    "title": r["task__title"],
                    "person": r["issuer__full_name"] or r["issuer__username"],
                },
                reverse("evaluation:answer", args=[r["pk"]]),
            ),
        )
    )
    register(
        Source(
            "post_evaluation_due",
            gettext_lazy("post-evaluation due"),
            lambda person, now: _unit(
                access.post_evaluations_for(person).filter(
                    status=PostEvaluation.Status.DUE,
                    due_on__lte=timezone.localtime(now).date(),
                ),
                "task__primary_unit",
            ),
            ("task__no", "task__title", "due_on"),
            lambda r: (
                _("The post-evaluation of %(no)s “%(title)s” was due on %(day)s.")
                % {"no": r["task__no"], "title": r["task__title"], "day": r["due_on"].isoformat()},
                reverse("evaluation:post_evaluation", args=[r["pk"]]),
            ),
        )
    )
    register(
        Source(
            "recheck_due",
            gettext_lazy("re-check not done"),
            lambda person, now: _unit(
                access.rechecks_for(person).filter(
                    status=Recheck.Status.DUE, due_on__lt=timezone.localtime(now).date()
                ),
                "unit",
            ),
            ("task__no", "task__title", "due_on"),
            lambda r: (
                _("The re-check of %(no)s “%(title)s” was due on %(day)s and is not done.")
                % {"no": r["task__no"], "title": r["task__title"], "day": r["due_on"].isoformat()},
                reverse("evaluation:recheck", args=[r["pk"]]),
            ),
        )
    )
