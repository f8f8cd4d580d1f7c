"""Due process: a unit asks to move a task's deadline (申请延期) or appeals its light (申诉); the
task's lead leader or a supervisor over it decides, with reasons. Every step is audited on the
task's history thread and the people on the other side are told.

An approved extension moves the task's deadline through the ledger's own service
(`luoshi.ledger.services.extend_deadline`), so the rules use the new date and the task's history
shows both; the extension row keeps the deadline the task had when it was asked for. An appeal
keeps the light and reasons it contested; deciding it records the outcome and its reasons (the
light itself stays computed state: the next lights pass recomputes it from the facts).

One pending request per task and kind: a second one is refused while the first waits. The check
runs with the task row locked (SELECT … FOR UPDATE on PostgreSQL; SQLite serialises writers), so
two people asking at once do not both get through.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core import audit
from luoshi.core.errors import OutOfScope, RuleViolation, StaleVersion
from luoshi.core.versioning import save_versioned
from luoshi.ledger import services as ledger_services
from luoshi.ledger.models import Task, TaskStatus
from luoshi.notify import services as notify_services
from luoshi.org.models import Person, Role, RoleGrant, ancestor_paths

from .. import rules
from ..access import reports_on, supervises_task, task_units_for
from ..models import Appeal, Decision, Extension

CLOSED_STATUSES = (TaskStatus.DONE, TaskStatus.CANCELLED)
# Lights a unit may contest: the warnings, and a completion counted as late.
APPEALABLE = (rules.RED, rules.YELLOW, rules.DONE_LATE)

EXTENSION_FIELDS = (
    "task",
    "unit",
    "requested_by",
    "original_deadline",
    "requested_deadline",
    "reason",
    "status",
)
APPEAL_FIELDS = ("task", "unit", "raised_by", "light", "light_reasons", "reason", "status")


# --- rights --------------------------------------------------------------------------------


def can_request(person, task: Task) -> bool:
    """Ask for an extension or appeal a light: whoever reports on the task."""
    return reports_on(person, task)


def can_decide(person, task: Task) -> bool:
    """Decide an extension or an appeal: the task's lead leader, or a supervisor over it."""
    if task.lead_leader_id is not None and task.lead_leader_id == getattr(person, "pk", None):
        return True
    return supervises_task(person, task)


def deciders(task: Task) -> list[Person]:
    """Whom a new request goes to: the task's lead leader; without one, the supervisors over
    the plan (a supervisor role on the plan's owner unit or any unit above it)."""
    if task.lead_leader_id is not None:
        leader = Person.objects.filter(pk=task.lead_leader_id, is_active=True).first()
        if leader is not None:
            return [leader]
    grants = RoleGrant.objects.filter(
        role=Role.SUPERVISOR, unit__path__in=ancestor_paths(task.plan.owner_unit.path)
    )
    return list(
        Person.objects.filter(pk__in=grants.values("person_id"), is_active=True).order_by("pk")
    )


# --- shared steps --------------------------------------------------------------------------


def _locked_task(pk: int) -> Task:
    """The task as the database has it now, locked until the transaction ends."""
    return (
        Task.objects.select_for_update(of=("self",))
        .select_related("plan", "plan__owner_unit")
        .get(pk=pk)
    )


def _unit_for(actor, task: Task):
    units = task_units_for(actor, task)
    if not units:
        raise OutOfScope(_("You do not act for any unit of this task."))
    return units[0]


def _reason(reason: str | None, message: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise RuleViolation(message, field="reason")
    return reason


def _snapshot(obj, fields) -> dict:
    return {
        f: getattr(obj, f"{f}_id") if hasattr(obj, f"{f}_id") else getattr(obj, f) for f in fields
    }


def _check_pending(obj, version: int, message: str) -> None:
    """The request as the database has it now: the version the decider read (else stale: 409,
    reload and see what changed) and still pending."""
    current, status = type(obj).objects.filter(pk=obj.pk).values_list("version", "status").get()
    if int(version) != current:
        raise StaleVersion(str(obj), int(version), current)
    if status != Decision.PENDING:
        raise RuleViolation(message)


def _tell(people, *, subject: str, body: str, url: str, key: str) -> None:
    for person in people:
        notify_services.notify(
            person, subject=subject, body=body, url=url, dedupe_key=f"{key}:{person.pk}"
        )


# --- extensions (申请延期) -----------------------------------------------------------------


@transaction.atomic
def request_extension(
    task: Task,
    *,
    actor,
    requested_deadline: dt.date,
    reason: str,
    now: dt.datetime | None = None,
) -> Extension:
    """Ask, with reasons, for the task's deadline to move to `requested_deadline`."""
    now = now or timezone.now()
    task = _locked_task(task.pk)
    if not can_request(actor, task):
        raise OutOfScope(_("Only whoever reports on this task may ask to extend it."))
    unit = _unit_for(actor, task)
    if task.deadline is None:
        raise RuleViolation(_("This task has no deadline to extend."), field="requested_deadline")
    if task.status in CLOSED_STATUSES:
        raise RuleViolation(
            _("This task is %(status)s: its deadline no longer moves.")
            % {"status": task.get_status_display()},
            field="requested_deadline",
        )
    if requested_deadline is None or requested_deadline <= task.deadline:
        raise RuleViolation(
            _("Ask for a date after the current deadline (%(deadline)s).")
            % {"deadline": task.deadline.isoformat()},
            field="requested_deadline",
        )
    reason = _reason(reason, _("Give the reasons for the extension."))
    if Extension.objects.filter(task=task, status=Decision.PENDING).exists():
        raise RuleViolation(
            _("An extension of this task is already waiting for a decision."),
            field="requested_deadline",
        )
    ext = Extension.objects.create(
        task=task,
        unit=unit,
        requested_by=actor,
        requested_at=now,
        original_deadline=task.deadline,
        requested_deadline=requested_deadline,
        reason=reason,
    )
    audit.record(
        actor,
        [
            audit.Entry(
                "create",
                "supervision.extension",
                ext.pk,
                str(ext),
                audit.diff({}, _snapshot(ext, EXTENSION_FIELDS)),
                {"task": task.pk},
            )
        ],
        at=now,
    )
    _tell(
        deciders(task),
        subject=_("Extension requested: %(task)s") % {"task": task},
        body=_("%(unit)s asks to move the deadline from %(old)s to %(new)s: %(reason)s")
        % {
            "unit": unit,
            "old": ext.original_deadline.isoformat(),
            "new": requested_deadline.isoformat(),
            "reason": reason,
        },
        url=reverse("supervision:extension_detail", args=[ext.pk]),
        key=f"extension:{ext.pk}:requested",
    )
    return ext


@transaction.atomic
def decide_extension(
    ext: Extension,
    *,
    actor,
    version: int,
    approve: bool,
    reason: str,
    now: dt.datetime | None = None,
) -> Extension:
    """Approve (the task's deadline becomes the requested one) or reject, with reasons."""
    now = now or timezone.now()
    task = _locked_task(ext.task_id)
    if not can_decide(actor, task):
        raise OutOfScope(_("Only the task's lead leader or a supervisor decides this."))
    _check_pending(ext, version, _("This request has already been decided."))
    reason = _reason(reason, _("Give the reasons for the decision."))
    if approve:
        if task.status in CLOSED_STATUSES:
            raise RuleViolation(
                _("This task is %(status)s: its deadline no longer moves.")
                % {"status": task.get_status_display()}
            )
        if task.deadline is not None and ext.requested_deadline <= task.deadline:
            raise RuleViolation(
                _("The task's deadline (%(deadline)s) is already on or after the date asked for.")
                % {"deadline": task.deadline.isoformat()}
            )
    status = Decision.APPROVED if approve else Decision.REJECTED
    before = _snapshot(ext, ("status", "decision_reason"))
    save_versioned(
        ext,
        version,
        {"status": status, "decided_by": actor, "decided_at": now, "decision_reason": reason},
    )
    if approve:
        ledger_services.extend_deadline(
            task,
            ext.requested_deadline,
            actor=actor,
            reason=reason,
            source=f"extension:{ext.pk}",
        )
    audit.record(
        actor,
        [
            audit.Entry(
                "approve" if approve else "reject",
                "supervision.extension",
                ext.pk,
                str(ext),
                audit.diff(before, _snapshot(ext, ("status", "decision_reason"))),
                {"task": task.pk, "reason": reason},
            )
        ],
        at=now,
    )
    subject = (
        _("Extension approved: %(task)s") if approve else _("Extension rejected: %(task)s")
    ) % {"task": task}
    _tell(
        [p for p in (ext.requested_by,) if p is not None],
        subject=subject,
        body=reason,
        url=reverse("supervision:extension_detail", args=[ext.pk]),
        key=f"extension:{ext.pk}:decided",
    )
    return ext


# --- appeals (申诉) ------------------------------------------------------------------------


@transaction.atomic
def appeal_light(task: Task, *, actor, reason: str, now: dt.datetime | None = None) -> Appeal:
    """Contest the task's current light, with grounds; the light and its reasons are kept."""
    now = now or timezone.now()
    task = _locked_task(task.pk)
    if not can_request(actor, task):
        raise OutOfScope(_("Only whoever reports on this task may appeal its light."))
    unit = _unit_for(actor, task)
    if task.light not in APPEALABLE:
        raise RuleViolation(_("This task's light is no warning: there is nothing to appeal."))
    reason = _reason(reason, _("Give the grounds of the appeal."))
    if Appeal.objects.filter(task=task, status=Decision.PENDING).exists():
        raise RuleViolation(
            _("An appeal against this task's light is already waiting for a decision.")
        )
    appeal = Appeal.objects.create(
        task=task,
        unit=unit,
        raised_by=actor,
        raised_at=now,
        light=task.light,
        light_reasons=task.light_reasons,
        reason=reason,
    )
    audit.record(
        actor,
        [
            audit.Entry(
                "create",
                "supervision.appeal",
                appeal.pk,
                str(appeal),
                audit.diff({}, _snapshot(appeal, APPEAL_FIELDS)),
                {"task": task.pk},
            )
        ],
        at=now,
    )
    _tell(
        deciders(task),
        subject=_("Light appealed: %(task)s") % {"task": task},
        body=_("%(unit)s appeals the %(light)s light: %(reason)s")
        % {"unit": unit, "light": appeal.get_light_display(), "reason": reason},
        url=reverse("supervision:appeal_detail", args=[appeal.pk]),
        key=f"appeal:{appeal.pk}:raised",
    )
    return appeal


@transaction.atomic
def decide_appeal(
    appeal: Appeal,
    *,
    actor,
    version: int,
    uphold: bool,
    reason: str,
    now: dt.datetime | None = None,
) -> Appeal:
    """Uphold the appeal (APPROVED: the unit was right) or reject it, with reasons."""
    now = now or timezone.now()
    task = _locked_task(appeal.task_id)
    if not can_decide(actor, task):
        raise OutOfScope(_("Only the task's lead leader or a supervisor decides this."))
    _check_pending(appeal, version, _("This appeal has already been decided."))
    reason = _reason(reason, _("Give the reasons for the decision."))
    status = Decision.APPROVED if uphold else Decision.REJECTED
    before = _snapshot(appeal, ("status", "decision_reason"))
    save_versioned(
        appeal,
        version,
        {"status": status, "decided_by": actor, "decided_at": now, "decision_reason": reason},
    )
    audit.record(
        actor,
        [
            audit.Entry(
                "uphold" if uphold else "reject",
                "supervision.appeal",
                appeal.pk,
                str(appeal),
                audit.diff(before, _snapshot(appeal, ("status", "decision_reason"))),
                {"task": task.pk, "reason": reason},
            )
        ],
        at=now,
    )
    subject = (_("Appeal upheld: %(task)s") if uphold else _("Appeal rejected: %(task)s")) % {
        "task": task
    }
    _tell(
        [p for p in (appeal.raised_by,) if p is not None],
        subject=subject,
        body=reason,
        url=reverse("supervision:appeal_detail", args=[appeal.pk]),
        key=f"appeal:{appeal.pk}:decided",
    )
    return appeal
