"""Evaluation's writes: completion submitted with evidence and accepted (验收) or returned; the
evaluation of the accepted task; the answer to its source (回音) and its acknowledgement; the
post-evaluation of key tasks; the plan's evaluation rules. Each is audited in its transaction.

A plan manager who marks a task done (the task form, the API, or an imported row marked 已完成)
accepts it: `acceptances_from_ledger` records that acceptance, in the same transaction, from the
ledger's audit records (the ledger knows nothing of evaluation)."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core import audit, uploads
from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.versioning import save_versioned
from luoshi.core.workdays import working_days_late
from luoshi.dispatch import attachments
from luoshi.ledger import access as ledger_access
from luoshi.ledger import rules as ledger_rules
from luoshi.ledger import services as ledger_services
from luoshi.ledger.models import Assignment, Plan, Task, TaskStatus
from luoshi.notify.services import notify
from luoshi.org.models import Person, Role

from . import access, rules
from .models import (
    Answer,
    Completion,
    CompletionDocument,
    Evaluation,
    EvaluationRules,
    PostEvaluation,
    Quality,
    Recheck,
)

COMPLETION = "evaluation.completion"
EVALUATION = "evaluation.evaluation"
ANSWER = "evaluation.answer"
POST_EVALUATION = "evaluation.postevaluation"
RULES = "evaluation.rules"
RECHECK = "evaluation.recheck"
TEXT_LIMIT = 5000


def _now(now):
    return now or timezone.now()


def _text(value, field: str, message: str, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise RuleViolation(message, field=field)
    if len(value) > TEXT_LIMIT:
        raise RuleViolation(
            _("At most %(limit)s characters are allowed.") % {"limit": TEXT_LIMIT}, field=field
        )
    return value


def _expect(obj, version) -> None:
    """The version a change was made against: missing is refused (the caller must say which
    version it saw), stale is refused."""
    if version is None or version == "":
        raise RuleViolation(_("The version of the record is missing."), field="version")
    try:
        expected = int(version)
    except (TypeError, ValueError):
        raise RuleViolation(_("The version must be a whole number."), field="version") from None
    if expected != obj.version:
        raise StaleVersion(str(obj), expected, obj.version)


def _entry(action: str, object_type: str, obj, changes: dict, task_id: int, **context):
    return audit.Entry(action, object_type, obj.pk, str(obj), changes, {"task": task_id, **context})


def plan_rules(plan: Plan) -> EvaluationRules:
    """The plan's rules, or the defaults (unsaved) when nobody has set them."""
    found = EvaluationRules.objects.filter(plan=plan).first()
    return found or EvaluationRules(plan=plan)


def _days_late(task: Task, completed_on: dt.date) -> int:
    if task.deadline is None or task.ongoing:
        return 0
    return working_days_late(task.deadline, completed_on, current_calendar().working_days_between)


def _decimal(value, field: str) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise RuleViolation(_("Not a number: %(value)s") % {"value": value}, field=field) from None
    if not d.is_finite() or abs(d) >= Decimal("1e14"):
        raise RuleViolation(_("Not a number: %(value)s") % {"value": value}, field=field)
    return d


def task_url(task_id: int) -> str:
    return reverse("ledger:task_detail", args=[task_id])


# --- completion and acceptance ------------------------------------------------------------


def open_completion(task: Task) -> Completion | None:
    return Completion.objects.filter(task=task, status=Completion.Status.SUBMITTED).first()


@transaction.atomic
def submit_completion(
    task: Task,
    *,
    actor,
    completed_on: dt.date,
    summary: str,
    actual=None,
    documents: Iterable[tuple[str, bytes]] = (),
    now: dt.datetime | None = None,
) -> Completion:
    """The owner's (or a reporter's) claim that the task is done, with the evidence: what was
    done, the actual value reached, documents. It waits for the lead leader's or a
    supervisor's acceptance; until then the task is not done."""
    now = _now(now)
    if not access.can_submit(actor, task):
        raise OutOfScope(_("You may not submit the completion of this task."))
    if task.plan.status != Plan.Status.DEPLOYED:
        raise RuleViolation(_("The plan is not deployed: there is nothing to complete yet."))
    if task.status in (TaskStatus.DONE, TaskStatus.CANCELLED):
        raise RuleViolation(
            _("This task is already %(status)s.") % {"status": task.get_status_display()}
        )
    Task.objects.select_for_update().filter(pk=task.pk).first()
    if open_completion(task) is not None:
        raise RuleViolation(_("A completion of this task is already awaiting acceptance."))
    if not isinstance(completed_on, dt.date):
        raise RuleViolation(_("Give the date the task was completed."), field="completed_on")
    if completed_on > timezone.localtime(now).date():
        raise RuleViolation(_("The completion date is in the future."), field="completed_on")
    summary = _text(
        summary, "summary", _("Describe what was done: the evidence the acceptance checks.")
    )
    completion = Completion.objects.create(
        task=task,
        kind=Completion.Kind.SUBMITTED,
        status=Completion.Status.SUBMITTED,
        completed_on=completed_on,
        summary=summary,
        actual=_decimal(actual, "actual"),
        submitted_by=actor,
        submitted_at=now,
    )
    names = [_store(completion, name, data, actor=actor) for name, data in documents]
    changes = {
        "status": [None, completion.status],
        "completed_on": [None, completed_on.isoformat()],
        "summary": [None, summary],
        **({"actual": [None, str(completion.actual)]} if completion.actual is not None else {}),
        **({"documents": [None, names]} if names else {}),
    }
    audit.record(actor, [_entry("submit", COMPLETION, completion, changes, task.pk)], at=now)
    for person in _acceptors(task):
        notify(
            person,
            subject=_("Completion of %(task)s awaits your acceptance") % {"task": task},
            body=summary,
            url=reverse("evaluation:completion", args=[completion.pk]),
            dedupe_key=f"completion:{completion.pk}:submitted:{person.pk}",
        )
    return completion


def _acceptors(task: Task) -> list[Person]:
    return [task.lead_leader] if task.lead_leader_id else []


def _store(completion: Completion, name: str, data: bytes, *, actor) -> str:
    uploads.check_size(len(data))
    content_type = attachments.sniff(name, data)
    doc = CompletionDocument.objects.create(
        completion=completion,
        name=PurePath(name).name[:255],
        stored_as=uploads.store(name, data),
        content_type=content_type,
        size=len(data),
        uploaded_by=actor,
    )
    return doc.name


@transaction.atomic
def add_document(completion: Completion, name: str, data: bytes, *, actor) -> CompletionDocument:
    """More evidence for a completion still awaiting its acceptance."""
    if not access.can_submit(actor, completion.task):
        raise OutOfScope(_("You may not add evidence to this completion."))
    if completion.status != Completion.Status.SUBMITTED:
        raise RuleViolation(_("Evidence is added only while the completion awaits acceptance."))
    stored = _store(completion, name, data, actor=actor)
    audit.record(
        actor,
        [
            _entry(
                "attach", COMPLETION, completion, {"document": [None, stored]}, completion.task_id
            )
        ],
    )
    return completion.documents.order_by("-pk").first()


@transaction.atomic
def decide_completion(
    completion: Completion,
    *,
    actor,
    version,
    accept: bool,
    comment: str = "",
    now: dt.datetime | None = None,
) -> Completion:
    """Accept the completion (验收): the task is done, on time or with its working days late,
    and its re-checks and post-evaluation are scheduled; or return it with the reasons."""
    now = _now(now)
    task = completion.task
    if not access.can_accept(actor, task):
        raise OutOfScope(_("Only the task's lead leader or a supervisor accepts its completion."))
    _expect(completion, version)
    if completion.status != Completion.Status.SUBMITTED:
        raise RuleViolation(
            _("This completion is %(status)s: there is nothing to decide.")
            % {"status": completion.get_status_display()}
        )
    comment = _text(
        comment,
        "comment",
        _("Say why the completion is returned: what is missing."),
        required=not accept,
    )
    before = {"status": completion.status}
    fields = {"decided_by": actor, "decided_at": now, "comment": comment}
    if accept:
        fields["status"] = Completion.Status.ACCEPTED
        fields["days_late"] = _days_late(task, completion.completed_on)
    else:
        fields["status"] = Completion.Status.RETURNED
    save_versioned(completion, int(version), fields)
    changes = {
        **audit.diff(before, {"status": completion.status}),
        **({"comment": [None, comment]} if comment else {}),
    }
    if accept:
        changes["days_late"] = [None, completion.days_late]
        changes.update(_schedule([completion], timezone.localtime(now).date())[completion.pk])
    audit.record(
        actor,
        [_entry("accept" if accept else "return", COMPLETION, completion, changes, task.pk)],
        at=now,
    )
    if accept:
        ledger_services.complete_task(
            task,
            actor=actor,
            completed_on=completion.completed_on,
            actual=completion.actual,
            context={"completion": completion.pk},
        )
    notify(
        completion.submitted_by,
        subject=(
            _("The completion of %(task)s is accepted")
            if accept
            else _("The completion of %(task)s is returned")
        )
        % {"task": task},
        body=comment,
        url=reverse("evaluation:completion", args=[completion.pk]),
        dedupe_key=f"completion:{completion.pk}:{completion.status}",
    )
    return completion


def _schedule(completions: list[Completion], accepted_on: dt.date) -> dict[int, dict]:
    """What an acceptance schedules: re-checks (回头看) at the plan's months after it (default +3
    and +6) for the task's responsible unit, and for a key task its post-evaluation (后评价).
    Set-based: each plan's rules are read once, the rows made in two bulk inserts. Returns, per
    completion, the audit changes that name them: they are written by the acceptance, so its
    own record lists them (one record per task, not one per row made)."""
    rules_of: dict[int, EvaluationRules] = {}
    out: dict[int, dict] = {c.pk: {} for c in completions}
    rechecks, post = [], []
    have_post = set(
        PostEvaluation.objects.filter(
            task__in=[c.task_id for c in completions if c.task.key_task]
        ).values_list("task_id", flat=True)
    )
    for c in completions:
        task = c.task
        if task.plan_id not in rules_of:
            rules_of[task.plan_id] = plan_rules(task.plan)
        plan = rules_of[task.plan_id]
        days = rules.recheck_dates(accepted_on, rules.parse_months(plan.recheck_months))
        rechecks += [
            Recheck(task=task, completion=c, round=n, due_on=day, unit_id=task.primary_unit_id)
            for n, day in enumerate(days, 1)
        ]
        if days:
            out[c.pk]["rechecks"] = [None, [d.isoformat() for d in days]]
        if task.key_task and task.pk not in have_post and plan.post_evaluation_months:
            due = rules.add_months(accepted_on, plan.post_evaluation_months)
            post.append(PostEvaluation(task=task, due_on=due))
            have_post.add(task.pk)
            out[c.pk]["post_evaluation"] = [None, due.isoformat()]
    Recheck.objects.bulk_create(rechecks, batch_size=1000)
    PostEvaluation.objects.bulk_create(post, batch_size=1000)
    return out


def acceptances_from_ledger(sender, records, **kwargs) -> None:
    """Receiver of `core.audit.recorded`: a task the ledger marked done other than through an
    acceptance here (a plan manager's edit, an imported row marked 已完成) is accepted by that
    manager, recorded as such, in the same transaction. Set-based for an import."""
    done: dict[int, tuple[str, int | None]] = {}
    for rec in records:
        if rec.object_type != "ledger.task" or "completion" in (rec.context or {}):
            continue
        status = (rec.changes or {}).get("status")
        moved = isinstance(status, list) and len(status) == 2 and status[0] != status[1]
        if moved and status[1] == TaskStatus.DONE:
            done[int(rec.object_id)] = (rec.action, rec.actor_id)
    if not done:
        return
    tasks = list(Task.objects.filter(pk__in=done).select_related("plan"))
    actors = Person.objects.in_bulk({a for _, a in done.values() if a})
    waiting = {
        c.task_id: c
        for c in Completion.objects.filter(task__in=done, status=Completion.Status.SUBMITTED)
    }
    now = timezone.now()
    wdb = functools.lru_cache(maxsize=4096)(current_calendar().working_days_between)
    made, entries = [], {}
    for task in tasks:
        action, actor_id = done[task.pk]
        actor = actors.get(actor_id)
        if actor is None:
            continue
        on = task.completed_on or timezone.localdate()
        late = (
            0
            if task.deadline is None or task.ongoing
            else working_days_late(task.deadline, on, wdb)
        )
        pending = waiting.get(task.pk)
        if pending is not None:
            # Marked done while a submission awaited acceptance: the manager accepted it.
            pending.task = task
            save_versioned(
                pending,
                pending.version,
                {"status": "accepted", "decided_by": actor, "decided_at": now, "days_late": late},
            )
            entries.setdefault(actor_id, []).append(
                _entry(
                    "accept",
                    COMPLETION,
                    pending,
                    {"status": ["submitted", "accepted"], "days_late": [None, late]},
                    task.pk,
                    by=action,
                )
            )
            continue
        made.append(
            Completion(
                task=task,
                kind=Completion.Kind.IMPORT
                if action.startswith("import")
                else Completion.Kind.MANAGER,
                status=Completion.Status.ACCEPTED,
                completed_on=on,
                summary=ledger_rules.evidence_of(task.extra),
                actual=task.actual,
                submitted_by=actor,
                submitted_at=now,
                decided_by=actor,
                decided_at=now,
                days_late=late,
            )
        )
    made = Completion.objects.bulk_create(made, batch_size=1000)
    accepted = [c for c in waiting.values() if c.status == Completion.Status.ACCEPTED]
    scheduled = _schedule([*made, *accepted], timezone.localdate())
    for e in (e for group in entries.values() for e in group):
        e.changes.update(scheduled.get(e.object_id, {}))
    for c in made:
        entries.setdefault(c.submitted_by_id, []).append(
            _entry(
                "record_acceptance",
                COMPLETION,
                c,
                {
                    "status": [None, c.status],
                    "kind": [None, c.kind],
                    "days_late": [None, c.days_late],
                    **scheduled[c.pk],
                },
                c.task_id,
            )
        )
    for actor_id, group in entries.items():
        audit.record(actors[actor_id], group, at=now)


def accepted_completion(task: Task) -> Completion | None:
    return (
        Completion.objects.filter(task=task, status=Completion.Status.ACCEPTED)
        .order_by("-decided_at", "-pk")
        .first()
    )


# --- evaluation ----------------------------------------------------------------------------


def _percent(value, field: str) -> Decimal | None:
    d = _decimal(value, field)
    if d is not None and not 0 <= d <= 100:
        raise RuleViolation(_("Give a percentage from 0 to 100."), field=field)
    return d


@transaction.atomic
def evaluate(
    task: Task,
    *,
    actor,
    quality: str,
    effect: str,
    satisfaction=None,
    respondents=None,
    version=None,
    now: dt.datetime | None = None,
) -> Evaluation:
    """Record (or, with the version seen, revise) the evaluation of an accepted task: target
    attainment and timeliness as accepted, the quality rating, the effect in words and the
    satisfaction survey's result where the plan surveys it."""
    now = _now(now)
    if not access.can_evaluate(actor, task):
        raise OutOfScope(_("Only the task's lead leader or a supervisor evaluates it."))
    completion = accepted_completion(task)
    if completion is None or task.status != TaskStatus.DONE:
        raise RuleViolation(_("Only a task whose completion is accepted is evaluated."))
    if quality not in Quality.values:
        raise RuleViolation(_("Choose a quality rating."), field="quality")
    effect = _text(effect, "effect", _("Describe the effect: what the work achieved."))
    satisfaction = _percent(satisfaction, "satisfaction")
    if respondents not in (None, ""):
        try:
            respondents = int(respondents)
        except (TypeError, ValueError):
            raise RuleViolation(_("Give a whole number."), field="respondents") from None
        if respondents < 0:
            raise RuleViolation(_("Give a whole number."), field="respondents")
    else:
        respondents = None
    if plan_rules(task.plan).satisfaction and satisfaction is None:
        raise RuleViolation(
            _("This plan surveys satisfaction: give the survey's result."), field="satisfaction"
        )
    fields = {
        "completion": completion,
        "attainment": rules.attainment(task.target, task.actual),
        "days_late": completion.days_late or 0,
        "quality": quality,
        "effect": effect,
        "satisfaction": satisfaction,
        "respondents": respondents,
        "evaluated_by": actor,
        "evaluated_at": now,
    }
    existing = Evaluation.objects.filter(task=task).first()
    snap = ("quality", "effect", "satisfaction", "respondents", "attainment", "days_late")
    if existing is None:
        ev = Evaluation.objects.create(task=task, **fields)
        changes = audit.diff({}, {k: getattr(ev, k) for k in snap})
        action = "evaluate"
    else:
        _expect(existing, version)
        before = {k: getattr(existing, k) for k in snap}
        save_versioned(existing, int(version), fields)
        ev = existing
        changes = audit.diff(before, {k: getattr(ev, k) for k in snap})
        action = "update"
    audit.record(actor, [_entry(action, EVALUATION, ev, changes, task.pk)], at=now)
    return ev


# --- answer to the source (回音) -----------------------------------------------------------


@transaction.atomic
def send_answer(
    task: Task, *, actor, issuer: Person, outcome: str, now: dt.datetime | None = None
) -> Answer:
    """Send the accepted task's outcome back to whoever issued its source."""
    now = _now(now)
    if not access.can_answer(actor, task):
        raise OutOfScope(_("Only the task's lead leader or a supervisor answers its source."))
    if not rules.needs_answer(task.source_kind):
        raise RuleViolation(_("This task's source names no one to answer."))
    if task.status != TaskStatus.DONE:
        raise RuleViolation(_("The source is answered once the task's completion is accepted."))
    if not isinstance(issuer, Person) or not issuer.is_active:
        raise RuleViolation(_("Choose who issued the source."), field="issuer")
    outcome = _text(outcome, "outcome", _("Write the outcome to send back."))
    answer = Answer.objects.create(
        task=task, issuer=issuer, outcome=outcome, sent_by=actor, sent_at=now
    )
    changes = {"issuer": [None, issuer.pk], "outcome": [None, outcome]}
    audit.record(actor, [_entry("send", ANSWER, answer, changes, task.pk)], at=now)
    notify(
        issuer,
        subject=_("The outcome of %(task)s, as you asked") % {"task": task},
        body=outcome,
        url=reverse("evaluation:answer", args=[answer.pk]),
        dedupe_key=f"answer:{answer.pk}:sent",
    )
    return answer


@transaction.atomic
def acknowledge_answer(
    answer: Answer,
    *,
    actor,
    version,
    rating: str = "",
    comment: str = "",
    now: dt.datetime | None = None,
) -> Answer:
    """The issuer acknowledges the answer, and may rate it and comment."""
    now = _now(now)
    if not access.can_acknowledge(actor, answer):
        raise OutOfScope(_("Only the person the answer is addressed to acknowledges it."))
    _expect(answer, version)
    if answer.status != Answer.Status.SENT:
        raise RuleViolation(_("This answer is already acknowledged."))
    if rating and rating not in Answer.Rating.values:
        raise RuleViolation(_("Choose a rating from the list."), field="rating")
    comment = _text(comment, "comment", "", required=False)
    save_versioned(
        answer,
        int(version),
        {
            "status": Answer.Status.ACKNOWLEDGED,
            "rating": rating,
            "comment": comment,
            "acknowledged_at": now,
        },
    )
    changes = {"status": ["sent", "acknowledged"]}
    if rating:
        changes["rating"] = [None, rating]
    if comment:
        changes["comment"] = [None, comment]
    audit.record(actor, [_entry("acknowledge", ANSWER, answer, changes, answer.task_id)], at=now)
    notify(
        answer.sent_by,
        subject=_("%(person)s acknowledged the answer on %(task)s")
        % {"person": actor, "task": answer.task},
        body=comment,
        url=reverse("evaluation:answer", args=[answer.pk]),
        dedupe_key=f"answer:{answer.pk}:acknowledged",
    )
    return answer


# --- post-evaluation -----------------------------------------------------------------------


@transaction.atomic
def post_evaluate(
    pe: PostEvaluation,
    *,
    actor,
    version,
    findings: str,
    quality: str,
    now: dt.datetime | None = None,
) -> PostEvaluation:
    now = _now(now)
    if not access.can_evaluate(actor, pe.task):
        raise OutOfScope(_("Only the task's lead leader or a supervisor evaluates it."))
    _expect(pe, version)
    if pe.status == PostEvaluation.Status.DONE:
        raise RuleViolation(_("This post-evaluation is done."))
    if quality not in Quality.values:
        raise RuleViolation(_("Choose a quality rating."), field="quality")
    findings = _text(findings, "findings", _("Write what the post-evaluation found."))
    save_versioned(
        pe,
        int(version),
        {
            "status": PostEvaluation.Status.DONE,
            "findings": findings,
            "quality": quality,
            "done_by": actor,
            "done_at": now,
        },
    )
    changes = {"status": ["due", "done"], "findings": [None, findings], "quality": [None, quality]}
    audit.record(actor, [_entry("post_evaluate", POST_EVALUATION, pe, changes, pe.task_id)], at=now)
    return pe


# --- rules ---------------------------------------------------------------------------------


@transaction.atomic
def save_rules(plan: Plan, *, actor, version=None, **fields) -> EvaluationRules:
    """A plan manager sets the plan's evaluation rules."""
    ledger_access.require_manage_plan(actor, plan)
    allowed = {"evaluate_all", "satisfaction", "post_evaluation_months", "recheck_months"}
    unknown = set(fields) - allowed
    if unknown:
        raise RuleViolation(_("Unknown field: %(f)s") % {"f": sorted(unknown)[0]})
    if "recheck_months" in fields:
        try:
            months = rules.parse_months(str(fields["recheck_months"]))
        except ValueError as e:
            raise RuleViolation(
                _("“%(part)s” is not a number of months from 1 to %(max)s.")
                % {"part": e.args[0], "max": rules.MAX_RECHECK_MONTHS},
                field="recheck_months",
            ) from None
        fields["recheck_months"] = ",".join(str(m) for m in months)
    if "post_evaluation_months" in fields:
        m = fields["post_evaluation_months"]
        if not isinstance(m, int) or not 0 <= m <= rules.MAX_RECHECK_MONTHS:
            raise RuleViolation(
                _("Give a number of months from 0 to %(max)s.") % {"max": rules.MAX_RECHECK_MONTHS},
                field="post_evaluation_months",
            )
    current = plan_rules(plan)
    names = ("evaluate_all", "satisfaction", "post_evaluation_months", "recheck_months")
    before = {k: getattr(current, k) for k in names}
    if current.pk is None:
        for k, v in fields.items():
            setattr(current, k, v)
        current.save()
        action = "create"
    else:
        _expect(current, version)
        save_versioned(current, int(version), fields)
        action = "update"
    changes = audit.diff(before, {k: getattr(current, k) for k in names})
    audit.record(
        actor, [audit.Entry(action, RULES, current.pk, str(current), changes, {"plan": plan.pk})]
    )
    return current


def quality_rows(plan: Plan, lo: dt.datetime, hi: dt.datetime):
    """The evaluations of the plan's tasks made in [lo, hi), for the assessment's quality
    indicator: (unit_id, task_id, met) for each responsible unit, met when rated excellent
    or good."""
    for unit_id, task_id, quality in (
        Assignment.objects.filter(
            role=Assignment.Role.RESPONSIBLE,
            task__plan=plan,
            task__evaluation__evaluated_at__gte=lo,
            task__evaluation__evaluated_at__lt=hi,
        )
        .order_by()
        .values_list("unit_id", "task_id", "task__evaluation__quality")
    ):
        yield unit_id, task_id, quality in rules.QUALITY_MET


# --- re-checks and rectification ------------------------------------------------------------


@transaction.atomic
def record_recheck(
    recheck: Recheck,
    *,
    actor,
    version,
    held: bool,
    findings: str,
    deadline: dt.date | None = None,
    now: dt.datetime | None = None,
) -> Recheck:
    """The re-check's outcome: the result holds, or it has regressed — then a rectification
    task (整改) goes back into the ledger with its own deadline, the original's units, owner
    and lead leader, linked to the original, and everyone involved is told."""
    now = _now(now)
    task = recheck.task
    if not access.can_recheck(actor, task):
        raise OutOfScope(_("You may not record this re-check."))
    _expect(recheck, version)
    if recheck.status != Recheck.Status.DUE:
        raise RuleViolation(_("This re-check is already recorded."))
    today = timezone.localtime(now).date()
    findings = _text(findings, "findings", _("Write what the re-check found."))
    rectification = None
    if not held:
        if not isinstance(deadline, dt.date) or deadline <= today:
            raise RuleViolation(
                _("Give the rectification a deadline after today."), field="deadline"
            )
        rectification = _open_rectification(task, recheck, findings, deadline, actor=actor)
    save_versioned(
        recheck,
        int(version),
        {
            "status": Recheck.Status.HELD if held else Recheck.Status.REGRESSED,
            "findings": findings,
            "checked_by": actor,
            "checked_at": now,
            "rectification": rectification,
        },
    )
    changes = {"status": ["due", recheck.status], "findings": [None, findings]}
    if rectification is not None:
        changes["rectification"] = [None, rectification.pk]
    audit.record(actor, [_entry("recheck", RECHECK, recheck, changes, task.pk)], at=now)
    if rectification is not None:
        _tell_involved(task, rectification, findings)
    return recheck


def _open_rectification(task: Task, recheck: Recheck, findings: str, deadline, *, actor) -> Task:
    responsible = list(
        task.assignments.filter(role=Assignment.Role.RESPONSIBLE)
        .select_related("unit")
        .order_by("position")
    )
    cooperating = list(
        task.assignments.filter(role=Assignment.Role.COOPERATING)
        .select_related("unit")
        .order_by("position")
    )
    n = Recheck.objects.filter(task=task, rectification__isnull=False).count() + 1
    # The rectification is the recheck's consequence: made by whoever may add tasks to the
    # plan, else by the system on the recording person's behalf (their record links it).
    by = actor if ledger_access.can_manage_plan(actor, task.plan) else system_actor()
    return ledger_services.create_task(
        task.plan,
        actor=by,
        responsible_units=[a.unit for a in responsible],
        cooperating_units=[a.unit for a in cooperating],
        no=f"{task.no}-整改{n}",
        category=task.category,
        title=_("Rectification: %(title)s") % {"title": task.title},
        content=findings,
        lead_leader=task.lead_leader,
        owner=task.owner,
        deadline=deadline,
        key_task=task.key_task,
        source_kind="other",
        source_ref=_("Re-check of %(no)s") % {"no": task.no},
        source_date=timezone.localdate(),
    )


def _tell_involved(task: Task, rectification: Task, findings: str) -> None:
    people = {p.pk: p for p in (task.lead_leader, task.owner) if p is not None}
    for p in Person.objects.filter(
        is_active=True,
        grants__unit__in=task.assignments.values("unit_id"),
        grants__role__in=(Role.REPORTER, Role.UNIT_ADMIN),
    ).distinct():
        people[p.pk] = p
    for p in people.values():
        notify(
            p,
            subject=_("Re-check of %(task)s: regressed, rectification %(no)s opened")
            % {"task": task, "no": rectification.no},
            body=findings,
            url=task_url(rectification.pk),
            dedupe_key=f"rectification:{rectification.pk}:{p.pk}",
        )
