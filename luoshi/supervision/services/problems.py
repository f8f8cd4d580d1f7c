"""Tiered problems (问题分级解决): raise, respond, resolve or declare unsolvable, and the worker's
escalation of problems past their SLA.

A problem sits at a level (1 unit → 2 lead leader → 3 city leadership, `rules.PROBLEM_LEVEL_NAMES`)
with an assignee and an SLA in working days (the plan's `PlanLightRules.problem_sla_days`, else
the defaults). Past its SLA it climbs one level per run of the escalation job (`rules.escalate`),
and everyone involved is told. Every step is a `ProblemStep`, so the raiser sees all of them.

Rights (see ../access.py): whoever reports on the task, or a supervisor over it, raises one. Its
assignee, whoever holds its current level, and supervisors over the task answer, resolve or
declare it unsolvable; the raiser may add information (a response) too.

`answered_at` is the last answer by someone who holds the problem (not the raiser adding
information), and is cleared when the problem climbs: it is the current level's answer, which
the closed-loop check looks for.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from luoshi.core import audit
from luoshi.core.actors import is_system
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.versioning import save_versioned
from luoshi.dispatch.models import Report
from luoshi.ledger.models import Task
from luoshi.notify import services as notify_services
from luoshi.org.models import Person, Role, RoleGrant, Unit, ancestor_paths
from luoshi.org.scope import scope_for

from .. import access, rules
from ..models import PlanLightRules, Problem, ProblemStep

OBJECT_TYPE = "supervision.problem"
TITLE_MAX = Problem._meta.get_field("title").max_length
SNAPSHOT_FIELDS = (
    "title",
    "description",
    "unit",
    "report",
    "level",
    "sla_due_on",
    "assignee",
    "status",
)


# --- who may do what ------------------------------------------------------------------------


def can_raise(person, task: Task) -> bool:
    """Whoever reports on the task, or a supervisor over it."""
    if access.reports_on(person, task):
        return True
    return access.is_supervisor(person) and access.supervises_task(person, task)


def holds_level(person, problem: Problem) -> bool:
    """Level 1: a unit admin over the problem's unit; 2: the task's lead leader; 3: city
    leadership (a leader over a root unit)."""
    if problem.level == 1:
        path = problem.unit.path
        return any(path.startswith(p) for p in scope_for(person).manage)
    if problem.level == 2:
        return problem.task.lead_leader_id == person.pk
    return bool(scope_for(person).lead) and access.city_leaders().filter(pk=person.pk).exists()


def can_answer(person, problem: Problem) -> bool:
    """Answer, resolve or declare unsolvable: the assignee, the level's holder, a supervisor."""
    if problem.assignee_id is not None and problem.assignee_id == person.pk:
        return True
    if holds_level(person, problem):
        return True
    return access.is_supervisor(person) and access.supervises_task(person, problem.task)


def can_respond(person, problem: Problem) -> bool:
    """Those who answer, and the raiser (adding information)."""
    return problem.raised_by_id == person.pk or can_answer(person, problem)


# --- levels, SLAs and assignees -------------------------------------------------------------


def level_label(level: int) -> str:
    """第2级（牵头领导）: the domain's own wording, as the light reasons use it."""
    return f"第{level}级（{rules.level_name(level)}）"


def rules_for(plan_id: int) -> rules.LightRules:
    row = PlanLightRules.objects.filter(plan_id=plan_id).first()
    return row.as_rules() if row else rules.DEFAULT_RULES


@dataclass
class Holders:
    """The role grants the assignee rule reads, fetched once per pass (raising one problem, or
    escalating thousands): a query per kind of grant, not per problem."""

    unit_paths: Iterable[str] = ()
    _admins: dict[str, int] = field(default_factory=dict, init=False)

    def __post_init__(self):
        wanted = {p for path in self.unit_paths for p in ancestor_paths(path)}
        rows = (
            RoleGrant.objects.filter(
                role=Role.UNIT_ADMIN, unit__path__in=wanted, person__is_active=True
            )
            .order_by("person_id")
            .values_list("unit__path", "person_id")
        )
        for path, person_id in rows:
            self._admins.setdefault(path, person_id)

    def unit_admin(self, unit_path: str) -> int | None:
        """A unit admin of the unit, or of its nearest ancestor that has one."""
        for path in reversed(ancestor_paths(unit_path)):
            if path in self._admins:
                return self._admins[path]
        return None

    @cached_property
    def city_leader(self) -> int | None:
        return access.city_leaders().values_list("pk", flat=True).first()

    @cached_property
    def _supervisors(self) -> list[tuple[str, int]]:
        rows = RoleGrant.objects.filter(role=Role.SUPERVISOR, person__is_active=True).values_list(
            "unit__path", "person_id"
        )
        # The nearest supervisor first: the deepest unit, then the lowest id (stable).
        return sorted(rows, key=lambda r: (-len(r[0]), r[1]))

    def supervisor_over(self, unit_path: str) -> int | None:
        return next((pid for path, pid in self._supervisors if unit_path.startswith(path)), None)


def assignee_id(level: int, task: Task, unit: Unit, holders: Holders) -> int | None:
    """Who a problem at `level` goes to. 1: a unit admin of the problem's unit (or of its
    nearest ancestor), else the task's owner; 2: the task's lead leader, else as level 1;
    3: city leadership (the first city leader), else a supervisor over the task's plan."""
    if level >= 3:
        found = holders.city_leader or holders.supervisor_over(task.plan.owner_unit.path)
        if found:
            return found
    if level == 2 and task.lead_leader_id:
        return task.lead_leader_id
    return holders.unit_admin(unit.path) or task.owner_id


# --- telling people -------------------------------------------------------------------------


def _url(problem: Problem) -> str:
    return reverse("supervision:problem_detail", args=[problem.pk])


def _tell(people, problem: Problem, *, event: str, subject: str, body: str, skip=()) -> int:
    """Notify each person once (by pk), never the one acting nor the system account."""
    skipped = {getattr(p, "pk", p) for p in skip}
    seen: set[int] = set()
    told = 0
    for person in people:
        if person is None or person.pk in seen or person.pk in skipped or is_system(person):
            continue
        seen.add(person.pk)
        notify_services.notify(
            person,
            subject=subject,
            body=body,
            url=_url(problem),
            dedupe_key=f"problem:{problem.pk}:{event}:{person.pk}",
        )
        told += 1
    return told


def involved(problem: Problem) -> list[Person]:
    """The raiser, every person who acted on a step, the current assignee and every earlier
    one (each raise and climb records its assignee in the audit context: the steps do not)."""
    ids = [problem.raised_by_id, problem.assignee_id]
    ids += list(problem.steps.exclude(actor=None).values_list("actor_id", flat=True))
    contexts = audit.history(OBJECT_TYPE, [problem.pk]).filter(action__in=("create", "escalate"))
    ids += [c.get("assignee_id") for c in contexts.values_list("context", flat=True)]
    people = Person.objects.in_bulk([i for i in ids if isinstance(i, int)])
    return [people[i] for i in dict.fromkeys(ids) if i in people]


def _body(problem: Problem, text: str = "") -> str:
    task = problem.task
    head = f"{task.no} {task.title}".strip()
    return "\n".join(s for s in (head, level_label(problem.level), text) if s)


def _entry(action: str, problem: Problem, changes: dict, **context) -> audit.Entry:
    return audit.Entry(
        action,
        OBJECT_TYPE,
        problem.pk,
        str(problem),
        changes,
        {"task": problem.task_id, **context},
    )


def _snapshot(problem: Problem) -> dict:
    """The audited fields; the assignee by name, so the task's history reads without ids (its
    id is in the record's context)."""
    out = {f: getattr(problem, f) for f in SNAPSHOT_FIELDS if f not in ("unit", "report")}
    out["unit"], out["report"] = problem.unit_id, problem.report_id
    out["assignee"] = problem.assignee.display_name if problem.assignee_id else None
    return out


# --- raising --------------------------------------------------------------------------------


@transaction.atomic
def raise_problem(
    task: Task,
    *,
    actor,
    title: str,
    description: str = "",
    unit: Unit | None = None,
    report: Report | None = None,
    now: dt.datetime | None = None,
) -> Problem:
    """Raise a problem on a task (in a report, when `report` is given) at level 1, assigned to
    the unit's level holder, with the plan's level-1 SLA; the assignee is told."""
    if not can_raise(actor, task):
        raise OutOfScope(_("You may not raise problems on this task."))
    title = (title or "").strip()
    description = (description or "").strip()
    if not title:
        raise RuleViolation(_("Say what the problem is."), field="title")
    if len(title) > TITLE_MAX:
        raise RuleViolation(
            _("Keep the problem to %(n)s characters; put the rest in the description.")
            % {"n": TITLE_MAX},
            field="title",
        )
    if report is not None:
        slot_task = Report.objects.filter(pk=report.pk).values_list("slot__task_id", flat=True)
        if slot_task.first() != task.pk:
            raise RuleViolation(_("That report is not about this task."), field="report")
    units = access.task_units_for(actor, task)
    if unit is None:
        by_report = report.slot.unit_id if report is not None else None
        unit = next((u for u in units if u.pk == by_report), units[0] if units else None)
        if unit is None:
            raise RuleViolation(_("The task has no unit to raise the problem for."), field="unit")
    elif unit.pk not in {u.pk for u in units}:
        raise RuleViolation(
            _("You may raise problems only for the task's units you act for."), field="unit"
        )

    now = now or timezone.now()
    today = timezone.localtime(now).date()
    sla = rules_for(task.plan_id).problem_sla_days[0]
    holders = Holders([unit.path])
    problem = Problem.objects.create(
        task=task,
        report=report,
        unit=unit,
        title=title,
        description=description,
        raised_by=actor,
        raised_at=now,
        raised_level=1,
        level=1,
        level_entered_on=today,
        sla_due_on=current_calendar().add_working_days(today, sla),
        assignee_id=assignee_id(1, task, unit, holders),
    )
    ProblemStep.objects.create(
        problem=problem,
        kind=ProblemStep.Kind.RAISED,
        at=now,
        actor=actor,
        level=1,
        text=description or title,
    )
    context = {"assignee_id": problem.assignee_id}
    if report is not None:
        context["report"] = report.pk
    audit.record(
        actor, [_entry("create", problem, audit.diff({}, _snapshot(problem)), **context)], at=now
    )
    _tell(
        [problem.assignee],
        problem,
        event="raised",
        subject=_("Problem for you: %(title)s") % {"title": title},
        body=_body(problem, description),
        skip=[actor],
    )
    return problem


# --- answering ------------------------------------------------------------------------------


def _fresh(problem: Problem) -> Problem:
    """The problem as stored now (its status and level decide the rights), with what the
    rules read."""
    return Problem.objects.select_related(
        "task", "task__plan", "task__plan__owner_unit", "unit", "raised_by", "assignee"
    ).get(pk=problem.pk)


def _require_open(problem: Problem) -> None:
    if problem.status != Problem.Status.OPEN:
        raise RuleViolation(
            _("This problem is already %(status)s.") % {"status": problem.get_status_display()}
        )


def _sync(target: Problem, source: Problem) -> None:
    for f in source._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


@transaction.atomic
def respond_problem(
    problem: Problem, *, actor, version: int, text: str, now: dt.datetime | None = None
) -> ProblemStep:
    """A response: an answer by whoever holds the problem, or more information from the raiser.
    The raiser hears of an answer; the assignee hears of the raiser's information."""
    current = _fresh(problem)
    if not can_respond(actor, current):
        raise OutOfScope(_("You may not respond to this problem."))
    _require_open(current)
    text = (text or "").strip()
    if not text:
        raise RuleViolation(_("Write the response."), field="text")
    now = now or timezone.now()
    answering = can_answer(actor, current)
    fields = {"answered_at": now} if answering else {}
    before = current.answered_at
    save_versioned(current, version, fields)
    step = ProblemStep.objects.create(
        problem=current,
        kind=ProblemStep.Kind.RESPONSE,
        at=now,
        actor=actor,
        level=current.level,
        text=text,
    )
    changes = {"response": [None, text]}
    if answering:
        changes["answered_at"] = [before, now]
    audit.record(actor, [_entry("respond", current, changes, step=step.pk)], at=now)
    subject = _("Response on problem: %(title)s") % {"title": current.title}
    recipients = [current.raised_by]
    if actor.pk == current.raised_by_id:
        recipients.append(current.assignee)
    _tell(
        recipients,
        current,
        event=f"response:{step.pk}",
        subject=subject,
        body=_body(current, text),
        skip=[actor],
    )
    _sync(problem, current)
    return step


def _close(problem, *, actor, version, text, field_name, status, kind, action, now):
    current = _fresh(problem)
    if not can_answer(actor, current):
        raise OutOfScope(
            _("Only the assignee, the holder of its level or a supervisor closes this problem.")
        )
    _require_open(current)
    text = (text or "").strip()
    if not text:
        message = (
            _("Say how the problem was resolved.")
            if status == Problem.Status.RESOLVED
            else _("Give the reasons why the problem cannot be solved.")
        )
        raise RuleViolation(message, field=field_name)
    now = now or timezone.now()
    before = _snapshot(current)
    save_versioned(
        current,
        version,
        {
            "status": status,
            "resolution": text,
            "closed_at": now,
            "closed_by": actor,
            "answered_at": now,
        },
    )
    step = ProblemStep.objects.create(
        problem=current, kind=kind, at=now, actor=actor, level=current.level, text=text
    )
    changes = audit.diff(before, _snapshot(current))
    changes["resolution"] = [None, text]
    audit.record(actor, [_entry(action, current, changes, step=step.pk)], at=now)
    subject = (
        _("Problem resolved: %(title)s")
        if status == Problem.Status.RESOLVED
        else _("Problem declared unsolvable: %(title)s")
    ) % {"title": current.title}
    _tell(
        involved(current),
        current,
        event=status,
        subject=subject,
        body=_body(current, text),
        skip=[actor],
    )
    _sync(problem, current)
    return current


@transaction.atomic
def resolve_problem(
    problem: Problem, *, actor, version: int, resolution: str, now: dt.datetime | None = None
) -> Problem:
    """Close the problem as resolved, saying how; everyone involved is told."""
    return _close(
        problem,
        actor=actor,
        version=version,
        text=resolution,
        field_name="resolution",
        status=Problem.Status.RESOLVED,
        kind=ProblemStep.Kind.RESOLVED,
        action="resolve",
        now=now,
    )


@transaction.atomic
def declare_unsolvable(
    problem: Problem, *, actor, version: int, reasons: str, now: dt.datetime | None = None
) -> Problem:
    """Close the problem as unsolvable, with the reasons; everyone involved is told."""
    return _close(
        problem,
        actor=actor,
        version=version,
        text=reasons,
        field_name="reasons",
        status=Problem.Status.UNSOLVABLE,
        kind=ProblemStep.Kind.UNSOLVABLE,
        action="declare_unsolvable",
        now=now,
    )


# --- escalation (the worker) ----------------------------------------------------------------


def _moment(today: dt.date) -> dt.datetime:
    """When an escalation on `today` happened: now when `today` is today, else that morning."""
    if today == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(today, dt.time(8, 0)))


@transaction.atomic
def escalate_problems(*, actor, today: dt.date | None = None) -> dict:
    """Climb every open problem past its level's SLA one level (`rules.escalate`): set-based,
    one read of the candidates, one bulk update, one bulk insert of steps, one audit record per
    problem climbed; the new assignee, the previous one and the raiser are told. Idempotent: a
    problem that climbed today has a new SLA from today, so a second run finds nothing. A
    problem at the top level past its SLA stays (the lights pass turns its task red).

    The steps and messages it writes are stored text: written in the office's language
    (settings.LANGUAGE_CODE), whatever language the caller happens to have active."""
    with translation.override(settings.LANGUAGE_CODE):
        return _escalate_problems(actor=actor, today=today)


def _escalate_problems(*, actor, today: dt.date | None) -> dict:
    if not access.can_recompute(actor):
        raise OutOfScope(_("Only supervisors and administrators escalate problems."))
    today = today or timezone.localdate()
    at = _moment(today)
    cal = current_calendar()
    candidates = list(
        Problem.objects.select_for_update(of=("self",))
        .filter(status=Problem.Status.OPEN, sla_due_on__lt=today)
        .select_related("task", "task__plan__owner_unit", "unit")
        .order_by("pk")
    )
    plan_ids = {p.task.plan_id for p in candidates}
    plan_rules = {
        r.plan_id: r.as_rules() for r in PlanLightRules.objects.filter(plan_id__in=plan_ids)
    }
    climbed: list[tuple[Problem, int, int | None]] = []  # (problem, old level, old assignee)
    top_past_sla = 0
    holders: Holders | None = None
    for p in candidates:
        plan_rule = plan_rules.get(p.task.plan_id, rules.DEFAULT_RULES)
        if p.level > plan_rule.top_problem_level:
            continue  # the plan now has fewer levels: it is already above its top
        state = rules.escalate(
            p.level, p.level_entered_on, False, today, cal.add_working_days, plan_rule
        )
        if state.past_sla:
            top_past_sla += 1
        if not state.escalated:
            continue
        if holders is None:
            holders = Holders({c.unit.path for c in candidates})
        old_level, old_assignee = p.level, p.assignee_id
        p.level = state.level
        p.level_entered_on = state.entered_on
        p.sla_due_on = state.sla_due_on
        p.assignee_id = assignee_id(state.level, p.task, p.unit, holders)
        p.answered_at = None
        p.version += 1
        climbed.append((p, old_level, old_assignee))

    if climbed:
        Problem.objects.filter(status=Problem.Status.OPEN).bulk_update(
            [p for p, _l, _a in climbed],
            ["level", "level_entered_on", "sla_due_on", "assignee", "answered_at", "version"],
            batch_size=500,
        )
        people = Person.objects.in_bulk(
            {i for p, _l, a in climbed for i in (p.assignee_id, a, p.raised_by_id) if i}
        )
        ProblemStep.objects.bulk_create(
            [
                ProblemStep(
                    problem=p,
                    kind=ProblemStep.Kind.ESCALATED,
                    at=at,
                    actor=actor,
                    level=p.level,
                    text=_escalation_text(p, old_level, people.get(p.assignee_id)),
                )
                for p, old_level, _a in climbed
            ],
            batch_size=500,
        )
        audit.record(
            actor,
            [
                _entry(
                    "escalate",
                    p,
                    {
                        "level": [old_level, p.level],
                        "assignee": [
                            _name(people.get(old_assignee)),
                            _name(people.get(p.assignee_id)),
                        ],
                        "sla_due_on": [None, p.sla_due_on],
                    },
                    assignee_id=p.assignee_id,
                )
                for p, old_level, old_assignee in climbed
            ],
            at=at,
        )
        for p, _old_level, old_assignee in climbed:
            _tell(
                [people.get(p.assignee_id), people.get(p.raised_by_id), people.get(old_assignee)],
                p,
                event=f"escalated:{p.level}",
                subject=_("Problem escalated to %(level)s: %(title)s")
                % {"level": level_label(p.level), "title": p.title},
                body=_body(p, _escalation_text(p, _old_level, people.get(p.assignee_id))),
            )
    return {
        "today": today.isoformat(),
        "checked": len(candidates),
        "escalated": len(climbed),
        "top_past_sla": top_past_sla,
    }


def _name(person) -> str | None:
    return person.display_name if person is not None else None


def _escalation_text(problem: Problem, old_level: int, assignee) -> str:
    text = _("Not resolved within the SLA of %(old)s; now at %(new)s, answer due by %(due)s.") % {
        "old": level_label(old_level),
        "new": level_label(problem.level),
        "due": problem.sla_due_on.isoformat() if problem.sla_due_on else "—",
    }
    if assignee is not None:
        text += " " + _("Assigned to %(name)s.") % {"name": assignee.display_name}
    return text
