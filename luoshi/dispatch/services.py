"""Dispatch actions: open and close cycles (set-based, idempotent, safe to run twice at once),
fill, submit and review reports. Every change is audited; accepted progress goes to the
ledger through the ledger's own service."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import PurePath

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from luoshi.core import audit, uploads
from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.versioning import save_versioned
from luoshi.ledger import access as ledger_access
from luoshi.ledger import services as ledger_services
from luoshi.ledger.models import Assignment, Frequency, Plan, Task, TaskStatus
from luoshi.notify.services import notify
from luoshi.org.models import Person, Role, RoleGrant, ancestor_paths

from . import attachments, rules
from .access import OPEN_SLOT, can_report, can_review, slots_for
from .models import Attachment, Cycle, Report, ReviewEvent, Schedule, Slot

GRACE_WORKING_DAYS = 5  # a cycle stays open for late reports this long after its due
LOOKBACK_DAYS = 366
ACTIVE = (TaskStatus.NOT_STARTED, TaskStatus.IN_PROGRESS)
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


SCHEDULE_FIELDS = ("kind", "weekday", "day", "dates", "due_time", "active")


def schedule_snapshot(schedule: Schedule) -> dict:
    return {f: getattr(schedule, f) for f in SCHEDULE_FIELDS}


def _schedule_entry(action: str, schedule: Schedule, changes: dict) -> audit.Entry:
    return audit.Entry(
        action,
        "dispatch.schedule",
        schedule.pk,
        str(schedule),
        changes,
        {"task": schedule.task_id} if schedule.task_id else {"plan": schedule.plan_id},
    )


def ensure_schedule(plan: Plan, *, actor) -> Schedule:
    """A plan reports by its frequency unless someone set a schedule."""
    try:
        with transaction.atomic():
            schedule, created = Schedule.objects.get_or_create(
                plan=plan, task=None, defaults={"kind": DEFAULT_KIND.get(plan.frequency, "monthly")}
            )
            if created:
                audit.record(
                    actor,
                    [
                        _schedule_entry(
                            "create", schedule, audit.diff({}, schedule_snapshot(schedule))
                        )
                    ],
                )
    except IntegrityError:  # another worker made it at the same moment
        schedule = Schedule.objects.get(plan=plan, task=None)
    return schedule


@transaction.atomic
def save_schedule(schedule: Schedule, *, actor, **fields) -> Schedule:
    """Create (unsaved `schedule`) or change a plan's or a task's reporting schedule."""
    if not ledger_access.can_manage_plan(actor, schedule.plan):
        raise OutOfScope(_("Only a supervisor of the plan sets its reporting schedule."))
    if schedule.task_id and schedule.task.plan_id != schedule.plan_id:
        raise RuleViolation(_("The task belongs to another plan."), field="task")
    creating = schedule.pk is None
    before = {} if creating else schedule_snapshot(Schedule.objects.get(pk=schedule.pk))
    for k, v in fields.items():
        setattr(schedule, k, v)
    schedule.full_clean(validate_unique=True)
    schedule.save()
    changes = audit.diff(before, schedule_snapshot(schedule))
    if changes:
        audit.record(
            actor, [_schedule_entry("create" if creating else "update", schedule, changes)]
        )
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
    actor = system_actor()
    plans = Plan.objects.filter(status=Plan.Status.DEPLOYED)
    for plan in plans:
        ensure_schedule(plan, actor=actor)
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
                slots = create_slots(cycle)
                if created or slots:
                    audit.record(
                        actor,
                        [
                            audit.Entry(
                                "open" if created else "update",
                                "dispatch.cycle",
                                cycle.pk,
                                str(cycle),
                                {"slots": [None, slots]},
                                {"plan": cycle.plan_id},
                            )
                        ],
                        at=now,
                    )
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
    actor = system_actor()
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
                    actor,
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


def prefill_report(slot: Slot, author=None) -> Report:
    """The report a slot starts from, unsaved: the unit's last report on the task, or the
    ledger's state, so nothing already known is asked again. Reading a report page shows it
    without writing anything; the first save or attachment stores it."""
    last = _last_report(slot)
    task = slot.task
    return Report(
        slot=slot,
        author=author,
        progress=last.progress if last else task.progress,
        problems=last.problems if last else task.problems,
        next_steps=last.next_steps if last else task.next_steps,
        percent=last.percent if last else task.percent,
        actual=last.actual if last else task.actual,
    )


def start_report(slot: Slot, *, actor) -> tuple[Report, bool]:
    """The slot's report, stored from its prefill if it has none yet (a POST: saving a draft,
    attaching a file, or the API's explicit start), and whether this call stored it."""
    if not can_report(actor, slot):
        raise OutOfScope(_("You may not report for %(unit)s.") % {"unit": slot.unit})
    existing = Report.objects.filter(slot=slot).first()
    if existing:
        return existing, False
    if slot.status not in OPEN_SLOT:
        raise RuleViolation(_("This report slot is no longer open."))
    report = prefill_report(slot, author=actor)
    try:
        with transaction.atomic():
            report.save()
            audit.record(
                actor,
                [
                    audit.Entry(
                        "create",
                        "dispatch.report",
                        report.pk,
                        str(report),
                        audit.diff({}, {k: getattr(report, k) for k in REPORT_FIELDS}),
                        {"task": slot.task_id},
                    )
                ],
            )
    except IntegrityError:  # started by a colleague at the same moment: use theirs
        return Report.objects.get(slot=slot), False
    return report, True


def _check_editable(actor, report: Report) -> None:
    slot = report.slot
    if not can_report(actor, slot):
        raise OutOfScope(_("You may not report for %(unit)s.") % {"unit": slot.unit})
    # The slot's status as the database has it now, not as the caller loaded it.
    slot.status = Slot.objects.filter(pk=slot.pk).values_list("status", flat=True).get()
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
    for name, limit, length in rules.over_limit(data):
        raise RuleViolation(
            _("%(field)s is %(length)s characters long; at most %(limit)s are allowed.")
            % {
                "field": Report._meta.get_field(name).verbose_name,
                "length": length,
                "limit": limit,
            },
            field=name,
        )


@transaction.atomic
def save_report(report: Report, *, actor, version: int, **data) -> Report:
    """Keep a draft."""
    _check_editable(actor, report)
    data = {k: v for k, v in data.items() if k in REPORT_FIELDS}
    for name in rules.TEXT_LIMITS:
        if isinstance(data.get(name), str):
            data[name] = rules.normalise_text(data[name])
    _validate(data)
    before = {k: getattr(report, k) for k in REPORT_FIELDS}
    save_versioned(report, version, {**data, "author": actor})
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
    report: Report,
    *,
    actor,
    version: int,
    now: dt.datetime | None = None,
    **data,
) -> Report:
    """Submit the report as read at `version` (with any last changes in `data`). Of two
    submits racing, or a submit racing a review, exactly one wins: the report's version and the
    slot's status are both compare-and-set."""
    now = now or timezone.now()
    if data:
        save_report(report, actor=actor, version=version, **data)
        version = report.version
    _check_editable(actor, report)
    if not report.progress.strip():
        raise RuleViolation(_("Describe the progress before submitting."), field="progress")
    save_versioned(report, version, {})
    slot = report.slot
    cal = current_calendar()
    late = rules.working_days_late(
        timezone.localtime(slot.due_at).date(),
        timezone.localtime(now).date(),
        cal.working_days_between,
    )
    if not Slot.objects.filter(pk=slot.pk, status__in=OPEN_SLOT).update(
        status=Slot.Status.SUBMITTED, submitted_at=now, days_late=late
    ):
        raise RuleViolation(_("This report has just been submitted or reviewed by someone else."))
    slot.status, slot.submitted_at, slot.days_late = Slot.Status.SUBMITTED, now, late
    event = ReviewEvent.objects.create(report=report, actor=actor, action=ReviewEvent.Action.SUBMIT)
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
    _tell_reviewers(report, slot, event, actor=actor)
    return report


@transaction.atomic
def review_report(
    report: Report, *, actor, accept: bool, comment: str = "", now: dt.datetime | None = None
) -> Report:
    """Accept (the ledger then shows it) or return with a comment (back to the owner)."""
    now = now or timezone.now()
    slot = Slot.objects.select_related("task", "task__plan", "task__plan__owner_unit", "unit").get(
        pk=report.slot_id
    )
    if not can_review(actor, slot):
        raise OutOfScope(_("Only the lead leader or a supervisor reviews this report."))
    if slot.status != Slot.Status.SUBMITTED:
        raise RuleViolation(_("Only a submitted report can be reviewed."))
    if not accept and not comment.strip():
        raise RuleViolation(_("Say why the report is returned."), field="comment")
    comment = rules.normalise_text(comment)
    if len(comment) > rules.COMMENT_LIMIT:
        raise RuleViolation(
            _("The comment is %(length)s characters long; at most %(limit)s are allowed.")
            % {"length": len(comment), "limit": rules.COMMENT_LIMIT},
            field="comment",
        )
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
    _tell_reporter(report, slot, event, actor=actor)
    if accept:
        ledger_services.record_progress(
            slot.task,
            actor=actor,
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


@transaction.atomic
def save_draft(
    slot: Slot,
    *,
    actor,
    version: int | None,
    data: dict,
    files: tuple[tuple[str, bytes], ...] = (),
    submit: bool = False,
    now: dt.datetime | None = None,
) -> Report:
    """What the report page does with what was typed, in one transaction: keep the text as
    the draft, attach `files` ((name, content) pairs) and, when asked, submit. `version` is
    the one the page read; None when the page was opened before the report was stored (the
    report is started from its prefill then, and one a colleague started meanwhile is
    theirs: stale). Any refusal writes nothing; the page still holds the text to correct."""
    report = Report.objects.filter(slot=slot).first()
    if version is None or report is None:
        report, created = start_report(slot, actor=actor)
        version = report.version if created else 0
    report = Report.objects.select_related("slot__cycle", "slot__unit", "slot__task").get(
        pk=report.pk
    )
    if data:
        save_report(report, actor=actor, version=version, **data)
    for name, content in files:
        add_attachment(report, name, content, actor=actor)
    if submit:
        submit_report(report, actor=actor, version=report.version, now=now)
    return report


# --- notices both ways -------------------------------------------------------------------------

NOTICE_CHANNELS = ("inbox", "email")


def _notice_channels(person) -> tuple[str, ...]:
    """How report notices go (LUOSHI_REPORT_NOTICE_CHANNELS), less e-mail for a person without
    an address. They are not urgent: a person's e-mails of one day wait for the daily digest
    (notify.Preference) and go as one; the inbox has each at once."""
    wanted = tuple(getattr(settings, "LUOSHI_REPORT_NOTICE_CHANNELS", NOTICE_CHANNELS))
    return tuple(c for c in wanted if c != "email" or person.email)


def review_recipients(slot: Slot) -> list:
    """Who is told that the slot's report waits for review (rules.reviewers)."""
    task = slot.task
    leader = task.lead_leader if task.lead_leader_id else None
    lead = leader.pk if leader is not None and leader.is_active else None
    paths = ancestor_paths(task.plan.owner_unit.path)
    supervisors: dict[str, list[int]] = defaultdict(list)
    if lead is None:
        grants = RoleGrant.objects.filter(
            role=Role.SUPERVISOR, unit__path__in=paths, person__is_active=True
        ).values_list("unit__path", "person_id")
        for path, person_id in grants:
            supervisors[path].append(person_id)
    ids = rules.reviewers(lead, supervisors, paths)
    if lead is not None:
        return [leader]
    return list(Person.objects.filter(pk__in=ids).order_by("pk"))


def _due_text(slot: Slot) -> str:
    return f"{timezone.localtime(slot.due_at):%Y-%m-%d %H:%M}"


def _tell_reviewers(report: Report, slot: Slot, event: ReviewEvent, *, actor) -> None:
    """A submitted report waits: its reviewers hear of it, once per submission."""
    task = slot.task
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Report waiting for your review: %(task)s") % {"task": task.title}
        lines = [
            _("%(unit)s submitted the progress report on %(no)s %(task)s (due %(due)s).")
            % {"unit": slot.unit.name, "no": task.no, "task": task.title, "due": _due_text(slot)}
        ]
        if slot.days_late:
            lines.append(
                ngettext(
                    "%(days)s working day late.", "%(days)s working days late.", slot.days_late
                )
                % {"days": slot.days_late}
            )
        lines.append(_("Progress: %(text)s") % {"text": Truncator(report.progress).chars(200)})
    url = reverse("dispatch:report", args=[slot.pk])
    for person in review_recipients(slot):
        if person.pk == actor.pk:
            continue  # who submits and reviews alike needs no notice of their own act
        notify(
            person,
            subject=subject,
            body="\n".join(lines),
            url=url,
            channels=_notice_channels(person),
            dedupe_key=f"review:report:{report.pk}:{event.pk}:{person.pk}",
        )


def _tell_reporter(report: Report, slot: Slot, event: ReviewEvent, *, actor) -> None:
    """The report's owner (and whoever wrote it, if someone else) hears how it was reviewed:
    a returned one with the reviewer's comment, to fix; an accepted one, done."""
    people = {p.pk: p for p in (slot.owner, report.author) if p is not None}
    people.pop(actor.pk, None)
    accepted = event.action == ReviewEvent.Action.ACCEPT
    with translation.override(settings.LANGUAGE_CODE):
        if accepted:
            subject = _("Report accepted: %(task)s") % {"task": slot.task.title}
            body = event.comment or _(
                "%(reviewer)s accepted the progress report of %(unit)s due %(due)s."
            ) % {
                "reviewer": actor.display_name,
                "unit": slot.unit.name,
                "due": _due_text(slot),
            }
        else:
            subject = _("Report returned: %(task)s") % {"task": slot.task.title}
            body = event.comment
    kind = "accepted" if accepted else "returned"
    for person in people.values():
        notify(
            person,
            subject=subject,
            body=body,
            url=reverse("dispatch:report", args=[slot.pk]),
            channels=_notice_channels(person),
            dedupe_key=f"{kind}:report:{report.pk}:{event.pk}:{person.pk}",
        )


@transaction.atomic
def add_attachment(report: Report, name: str, data: bytes, *, actor) -> Attachment:
    """Attach evidence to a report: type decided from the content, size-limited, stored
    outside the web root, audited on the task's history."""
    _check_editable(actor, report)
    uploads.check_size(len(data))
    content_type = attachments.sniff(name, data)
    stored = uploads.store(name, data)
    att = Attachment.objects.create(
        report=report,
        name=PurePath(name).name[:255],
        stored_as=stored,
        content_type=content_type,
        size=len(data),
        uploaded_by=actor,
    )
    audit.record(
        actor,
        [
            audit.Entry(
                "attach",
                "dispatch.report",
                report.pk,
                str(report),
                {"attachment": [None, att.name]},
                {"task": report.slot.task_id},
            )
        ],
    )
    return att


def missing(
    cycle: Cycle, *, reader, now: dt.datetime | None = None, unit_id: int | None = None
) -> list[dict]:
    """The tasks and units that have not reported in a cycle, with working days late, as far
    as the reader's scope goes: a supervisor sees every unit under it, a leader the tasks it
    leads and its unit's subtree, a unit admin its subtree, a reporter its own unit's and own
    tasks' slots (the same rule as every slot list: `access.slots_for`). `unit_id`: one
    unit's slots only (the 未报 count of that unit on the desk)."""
    now = now or timezone.now()
    cal = current_calendar()
    today = timezone.localtime(now).date()
    due = timezone.localtime(cycle.due_at).date()
    rows = (
        slots_for(reader)
        .filter(cycle=cycle, status__in=(*OPEN_SLOT, Slot.Status.MISSED))
        .select_related("task", "unit", "owner")
        .order_by("unit__path", "task__sort_key")
    )
    if unit_id is not None:
        rows = rows.filter(unit_id=unit_id)
    late = cal.working_days_between(due, today) if now > cycle.due_at else 0
    return [{"slot": s, "days_late": late} for s in rows]
