"""Dispatch actions: open and close cycles (set-based, idempotent, safe to run twice at once),
fill, submit and review reports. Every change is audited; accepted progress goes to the
ledger through the ledger's own service."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core import audit
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.versioning import save_versioned
from luoshi.ledger import services as ledger_services
from luoshi.ledger.models import Assignment, Frequency, Plan, Task, TaskStatus
from luoshi.notify.services import notify

from . import rules
from .access import can_report, can_review
from .models import Cycle, Report, ReviewEvent, Schedule, Slot

GRACE_WORKING_DAYS = 5  # a cycle stays open for late reports this long after its due
LOOKBACK_DAYS = 366
ACTIVE = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)
OPEN_SLOT = (Slot.Status.PENDING, Slot.Status.DRAFT, Slot.Status.RETURNED)
REPORT_FIELDS = ("progress", "problems", "next_steps", "percent", "actual", "milestones_reached")

DEFAULT_KIND = {
    Frequency.WEEKLY: "weekly",
    Frequency.BIWEEKLY: "weekly",
    Frequency.SEMIMONTHLY: "monthly",
    Frequency.MONTHLY: "monthly",
    Frequency.QUARTERLY: "quarterly",
    Frequency.YEARLY: "quarterly",
}


def spec_of(schedule: Schedule) -> rules.ScheduleSpec:
    return rules.ScheduleSpec(
        kind=schedule.kind,
        weekday=schedule.weekday,
        day=schedule.day,
        dates=tuple(dt.date.fromisoformat(d) for d in schedule.dates or ()),
    )


def ensure_schedule(plan: Plan) -> Schedule:
    """A plan reports by its frequency unless someone set a schedule."""
    try:
        with transaction.atomic():
            schedule, _created = Schedule.objects.get_or_create(
                plan=plan, task=None, defaults={"kind": DEFAULT_KIND.get(plan.frequency, "monthly")}
            )
    except IntegrityError:  # another worker made it at the same moment
        schedule = Schedule.objects.get(plan=plan, task=None)
    return schedule


def _aware(day: dt.date, at: dt.time) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, at))


def open_due_cycles(now: dt.datetime | None = None) -> int:
    """Open every cycle whose reporting period has begun and create its slots. Running it
    again, or twice at once, creates nothing twice (unique constraints + ignore_conflicts)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    cal = current_calendar()
    opened = 0
    plans = Plan.objects.filter(status=Plan.Status.DEPLOYED)
    for plan in plans:
        ensure_schedule(plan)
    for schedule in Schedule.objects.filter(active=True, plan__in=plans).select_related("plan"):
        spec = spec_of(schedule)
        deployed = timezone.localtime(schedule.plan.deployed_at).date()
        start = max(deployed, today - dt.timedelta(days=LOOKBACK_DAYS))
        # The current period's due date, plus any past ones never opened (a stopped worker).
        upcoming = rules.due_dates(spec, today, today + dt.timedelta(days=LOOKBACK_DAYS))[:1]
        for due in rules.due_dates(spec, start, today) + upcoming:
            due_at = _aware(due, schedule.due_time)
            prev = rules.previous_due(spec, due)
            period_start = (prev + dt.timedelta(days=1)) if prev else deployed
            closes = _aware(cal.add_working_days(due, GRACE_WORKING_DAYS), schedule.due_time)
            if closes <= now:
                continue  # long past: nothing can still be reported for it
            # The cycle and its slots commit together: a worker killed in between must not
            # leave a cycle without slots that a later run may find already closed.
            with transaction.atomic():
                cycle, created = _get_or_create_cycle(schedule, due_at, period_start, closes)
                create_slots(cycle)
            opened += created
    return opened


def _get_or_create_cycle(schedule, due_at, period_start, closes):
    try:
        with transaction.atomic():
            return Cycle.objects.get_or_create(
                schedule=schedule,
                due_at=due_at,
                defaults={"plan": schedule.plan, "period_start": period_start, "closes_at": closes},
            )
    except IntegrityError:
        return Cycle.objects.get(schedule=schedule, due_at=due_at), False


def create_slots(cycle: Cycle) -> int:
    """One slot per active task and responsible unit: one INSERT … SELECT-shaped batch."""
    schedule = cycle.schedule
    tasks = Task.objects.filter(plan=cycle.plan, status__in=ACTIVE).filter(
        Q(start_date__isnull=True) | Q(start_date__lte=cycle.due_at.date())
    )
    if schedule.task_id:
        tasks = tasks.filter(pk=schedule.task_id)
    else:
        tasks = tasks.exclude(Exists(Schedule.objects.filter(task=OuterRef("pk"), active=True)))
    rows = Assignment.objects.filter(task__in=tasks, role=Assignment.Role.RESPONSIBLE).values_list(
        "task_id", "unit_id", "task__owner_id"
    )
    slots = [
        Slot(cycle=cycle, task_id=t, unit_id=u, owner_id=o, due_at=cycle.due_at) for t, u, o in rows
    ]
    before = Slot.objects.filter(cycle=cycle).count()
    Slot.objects.bulk_create(slots, batch_size=1000, ignore_conflicts=True)
    return Slot.objects.filter(cycle=cycle).count() - before


def close_due_cycles(now: dt.datetime | None = None) -> int:
    """Freeze cycles past their closing time: unreported slots become missed."""
    now = now or timezone.now()
    closed = 0
    for cycle in Cycle.objects.filter(status=Cycle.Status.OPEN, closes_at__lte=now):
        with transaction.atomic():
            # Conditional update: only one of two concurrent workers closes it.
            if Cycle.objects.filter(pk=cycle.pk, status=Cycle.Status.OPEN).update(
                status=Cycle.Status.CLOSED, closed_at=now
            ):
                missed = Slot.objects.filter(cycle=cycle, status__in=OPEN_SLOT).update(
                    status=Slot.Status.MISSED
                )
                audit.record(
                    None,
                    [
                        audit.Entry(
                            "close", "dispatch.cycle", cycle.pk, str(cycle), {"missed": [0, missed]}
                        )
                    ],
                    at=now,
                )
                closed += 1
    return closed


# --- reports -----------------------------------------------------------------------------


def _last_report(slot: Slot) -> Report | None:
    return (
        Report.objects.filter(slot__task=slot.task, slot__unit=slot.unit)
        .exclude(slot=slot)
        .order_by("-slot__due_at")
        .first()
    )


@transaction.atomic
def start_report(actor, slot: Slot) -> Report:
    """Open the slot's report; a new one starts from the unit's last report on the task, so
    nothing already known is asked again."""
    if actor is not None and not can_report(actor, slot):
        raise OutOfScope(_("You may not report for %(unit)s.") % {"unit": slot.unit})
    existing = Report.objects.filter(slot=slot).first()
    if existing:
        return existing
    last = _last_report(slot)
    task = slot.task
    report = Report(
        slot=slot,
        author=actor,
        progress=last.progress if last else task.progress,
        problems=last.problems if last else task.problems,
        next_steps=last.next_steps if last else task.next_steps,
        percent=last.percent if last else task.percent,
        actual=last.actual if last else task.actual,
    )
    report.save()
    return report


def _check_editable(actor, report: Report) -> None:
    slot = report.slot
    if actor is not None and not can_report(actor, slot):
        raise OutOfScope(_("You may not report for %(unit)s.") % {"unit": slot.unit})
    if slot.status not in OPEN_SLOT:
        raise RuleViolation(
            _("This report is %(status)s and can no longer be changed.")
            % {"status": slot.get_status_display()}
        )
    if slot.cycle.status == Cycle.Status.CLOSED:
        raise RuleViolation(_("The cycle is closed."))


def _validate(data: dict) -> None:
    pct = data.get("percent")
    if pct is not None and not 0 <= pct <= 100:
        raise RuleViolation(_("Percent complete must be between 0 and 100."), field="percent")


@transaction.atomic
def save_report(actor, report: Report, expected_version: int | None, **data) -> Report:
    """Keep a draft."""
    _check_editable(actor, report)
    data = {k: v for k, v in data.items() if k in REPORT_FIELDS}
    _validate(data)
    before = {k: getattr(report, k) for k in REPORT_FIELDS}
    save_versioned(report, expected_version, {**data, "author": actor})
    if report.slot.status == Slot.Status.PENDING:
        Slot.objects.filter(pk=report.slot_id).update(status=Slot.Status.DRAFT)
        report.slot.status = Slot.Status.DRAFT
    changes = audit.diff(before, {k: getattr(report, k) for k in REPORT_FIELDS})
    if changes:
        audit.record(
            actor,
            [
                audit.Entry(
                    "update",
                    "dispatch.report",
                    report.pk,
                    str(report),
                    changes,
                    {"task": report.slot.task_id},
                )
            ],
        )
    return report


@transaction.atomic
def submit_report(
    actor,
    report: Report,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
    **data,
) -> Report:
    now = now or timezone.now()
    if data or expected_version is not None:
        save_report(actor, report, expected_version, **data)
    _check_editable(actor, report)
    if not report.progress.strip():
        raise RuleViolation(_("Describe the progress before submitting."), field="progress")
    slot = report.slot
    cal = current_calendar()
    late = rules.working_days_late(
        timezone.localtime(slot.due_at).date(),
        timezone.localtime(now).date(),
        cal.working_days_between,
    )
    Slot.objects.filter(pk=slot.pk).update(
        status=Slot.Status.SUBMITTED, submitted_at=now, days_late=late
    )
    slot.status, slot.submitted_at, slot.days_late = Slot.Status.SUBMITTED, now, late
    ReviewEvent.objects.create(report=report, actor=actor, action=ReviewEvent.Action.SUBMIT)
    audit.record(
        actor,
        [
            audit.Entry(
                "submit",
                "dispatch.report",
                report.pk,
                str(report),
                {"days_late": [None, late]},
                {"task": slot.task_id},
            )
        ],
        at=now,
    )
    return report


@transaction.atomic
def review_report(
    actor, report: Report, *, accept: bool, comment: str = "", now: dt.datetime | None = None
) -> Report:
    """Accept (the ledger then shows it) or return with a comment (back to the owner)."""
    now = now or timezone.now()
    slot = Slot.objects.select_related("task", "task__plan", "task__plan__owner_unit", "unit").get(
        pk=report.slot_id
    )
    if actor is not None and not can_review(actor, slot):
        raise OutOfScope(_("Only the lead leader or a supervisor reviews this report."))
    if slot.status != Slot.Status.SUBMITTED:
        raise RuleViolation(_("Only a submitted report can be reviewed."))
    if not accept and not comment.strip():
        raise RuleViolation(_("Say why the report is returned."), field="comment")
    status = Slot.Status.ACCEPTED if accept else Slot.Status.RETURNED
    # Conditional: two reviewers clicking at once cannot both act.
    if not Slot.objects.filter(pk=slot.pk, status=Slot.Status.SUBMITTED).update(status=status):
        raise RuleViolation(_("Someone else has just reviewed this report."))
    slot.status = status
    action = ReviewEvent.Action.ACCEPT if accept else ReviewEvent.Action.RETURN
    event = ReviewEvent.objects.create(report=report, actor=actor, action=action, comment=comment)
    audit.record(
        actor,
        [
            audit.Entry(
                action,
                "dispatch.report",
                report.pk,
                str(report),
                {
                    "status": ["submitted", status],
                    **({"comment": [None, comment]} if comment else {}),
                },
                {"task": slot.task_id, "comment": comment},
            )
        ],
        at=now,
    )
    recipient = slot.owner or report.author
    if not accept and recipient is not None:
        # The owner hears of a returned report at once instead of finding it on a list.
        notify(
            recipient,
            subject=_("Report returned: %(task)s") % {"task": slot.task.title},
            body=comment,
            url=reverse("dispatch:report", args=[slot.pk]),
            channels=("inbox",),
            dedupe_key=f"returned:report:{report.pk}:{event.pk}",
        )
    if accept:
        ledger_services.record_progress(
            actor,
            slot.task,
            at=slot.submitted_at or now,
            percent=report.percent,
            actual=report.actual,
            progress=report.progress,
            problems=report.problems,
            next_steps=report.next_steps,
            source=f"report:{report.pk}",
            milestones_reached={
                int(k): dt.date.fromisoformat(v)
                for k, v in (report.milestones_reached or {}).items()
            },
        )
    return report


def missing(cycle: Cycle, now: dt.datetime | None = None, slots=None) -> list[dict]:
    """The tasks and units that have not reported in a cycle, with working days late;
    `slots` limits it to what the reader may see."""
    now = now or timezone.now()
    cal = current_calendar()
    today = timezone.localtime(now).date()
    due = timezone.localtime(cycle.due_at).date()
    rows = (
        Slot.objects.filter(cycle=cycle, status__in=(*OPEN_SLOT, Slot.Status.MISSED))
        .select_related("task", "unit", "owner")
        .order_by("unit__path", "task__sort_key")
    )
    late = cal.working_days_between(due, today) if now > cycle.due_at else 0
    return [{"slot": s, "days_late": late} for s in rows]
