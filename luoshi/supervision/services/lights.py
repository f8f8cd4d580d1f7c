"""Stored lights: recompute every task's light set-based and keep the history of changes.

`recompute_lights` reads tasks in chunks of `CHUNK` by primary key, with their milestones,
report slots, open problems and stored lights in one query each per chunk, so its query count
does not grow with the number of tasks (up to a chunk). Lights are computed state: one audit
record per run says who ran it, for which day and what came out; `LightChange` rows are each
task's history. After any audited change that can move a light, the tasks it touched are
recomputed once the change commits (`lights_after_change`); the worker's daily pass does all.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from collections import defaultdict

from django.db import transaction
from django.db.models import CharField
from django.db.models.functions import Cast
from django.utils import timezone

from luoshi.core import audit, bulk
from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope
from luoshi.dispatch.models import Slot
from luoshi.ledger import services as ledger_services
from luoshi.ledger.models import Milestone, Plan, Task

from .. import rules
from ..access import can_recompute
from ..models import LightChange, LightPass, PlanLightRules, Problem, TaskLight

CHUNK = 5000
LIGHTS = (rules.RED, rules.YELLOW, rules.GREEN, rules.DONE, rules.DONE_LATE, rules.OFF)
OPEN_SLOT = (Slot.Status.PENDING, Slot.Status.DRAFT, Slot.Status.RETURNED)
MISSING = (*OPEN_SLOT, Slot.Status.MISSED)
SEPARATOR = "；"
NO_REASONS = bulk.JsonText("[]")
LIGHT_FIELDS = ("task_id", "light", "pace", "reasons", "as_of", "since")

TASK_COLUMNS = (
    "pk",
    "plan_id",
    "deadline",
    "ongoing",
    "start_date",
    "completed_on",
    "status",
    "percent",
    "shown_light__light",
    "shown_light__reasons",
)


def _moment(today: dt.date) -> dt.datetime:
    """The moment report due times are compared with: now when `today` is today, else the end
    of that day (a report due at 17:00 on `today` is late by then)."""
    if today == timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(today + dt.timedelta(days=1), dt.time.min))


def report_facts(slots) -> tuple[int, bool]:
    """(missed_cycles, report_overdue) from one task's past-due slots (due_at, status), in due
    order. A cycle lacks its report when any responsible unit's slot is missed or still open;
    the consecutive run of such cycles at the end is the missed count."""
    by_due: dict[dt.datetime, tuple[bool, bool]] = {}
    for due_at, status in slots:
        missing, open_ = by_due.get(due_at, (False, False))
        by_due[due_at] = (missing or status in MISSING, open_ or status in OPEN_SLOT)
    return cycle_facts(list(by_due.values()))


def cycle_facts(cycles) -> tuple[int, bool]:
    """(missed_cycles, report_overdue) from one task's past-due cycles in due order, each
    (lacks its report, has a slot still open) — what `report_facts` gathers from slots and
    `recompute_lights` read."""
    missed = 0
    for missing, _open in reversed(cycles):
        if not missing:
            break
        missed += 1
    return missed, any(open_ for _missing, open_ in cycles)


def reasons_text(light: rules.Light) -> str:
    """The reasons as the ledger shows and exports them: one line, joined with "；"."""
    return SEPARATOR.join(r.text for r in light.reasons)


def _reasons_json(light: rules.Light) -> list[dict]:
    return [
        {"code": r.code, "light": r.light, "params": r.params, "text": r.text}
        for r in light.reasons
    ]


def _chunks(tasks, task_ids: list[int] | None):
    """The task rows in chunks of CHUNK: by primary-key range, or through the given ids."""
    if task_ids is not None:
        ids = sorted(set(task_ids))
        for i in range(0, len(ids), CHUNK):
            rows = list(tasks.filter(pk__in=ids[i : i + CHUNK]).values_list(*TASK_COLUMNS))
            if rows:
                yield rows
        return
    last = 0
    while True:
        rows = list(tasks.filter(pk__gt=last).values_list(*TASK_COLUMNS)[:CHUNK])
        if not rows:
            return
        last = rows[-1][0]
        yield rows


@transaction.atomic
def recompute_lights(
    *,
    actor,
    today: dt.date | None = None,
    plan: Plan | None = None,
    task_ids: list[int] | None = None,
) -> dict:
    """Compute every task's light (of one plan, of the given tasks, or all) as of `today` and
    store it: new lights created, changed ones updated, and one LightChange per task whose
    light moved. Running it again the same day changes nothing. Returns the counts.

    With `task_ids` (the lights moved by one change, see `lights_after_change`) a run that
    changes nothing writes no audit record: the change that caused it has its own."""
    if not can_recompute(actor):
        raise OutOfScope("Only supervisors and administrators recompute the lights.")
    today = today or timezone.localdate()
    now = _moment(today)
    cal = current_calendar()
    # Deadlines and milestone dates repeat across thousands of tasks: count each span once.
    wdb = functools.lru_cache(maxsize=65536)(cal.working_days_between)
    plan_rules = {r.plan_id: r.as_rules() for r in PlanLightRules.objects.all()}

    tasks = Task.objects.order_by("pk")
    milestones = Milestone.objects.all()
    slots = Slot.objects.filter(due_at__lt=now)
    stored = TaskLight.objects.all()
    problems = Problem.objects.filter(status=Problem.Status.OPEN)
    if plan is not None:
        tasks = tasks.filter(plan=plan)
        milestones = milestones.filter(task__plan=plan)
        slots = slots.filter(task__plan=plan)
        stored = stored.filter(task__plan=plan)
        problems = problems.filter(task__plan=plan)

    counts = dict.fromkeys(LIGHTS, 0)
    created = changed = unchanged = 0
    for rows in _chunks(tasks, task_ids):
        first, last = rows[0][0], rows[-1][0]
        span = {"task_id__gte": first, "task_id__lte": last}
        if task_ids is not None:
            span = {"task_id__in": [r[0] for r in rows]}

        ms: dict[int, list] = defaultdict(list)
        for m in milestones.filter(**span).values_list(
            "task_id", "name", "date", "expected_percent", "reached_on"
        ):
            ms[m[0]].append(m[1:])
        # Each task's cycles in due order, as (lacks its report, still open). The due time
        # only groups and orders, so it is read as text: no datetime to convert per slot.
        sl: dict[int, dict] = defaultdict(dict)
        for task_id, due, status in (
            slots.filter(**span)
            .annotate(due=Cast("due_at", CharField()))
            .order_by("task_id", "due_at")
            .values_list("task_id", "due", "status")
        ):
            missing, open_ = sl[task_id].get(due, (False, False))
            sl[task_id][due] = (missing or status in MISSING, open_ or status in OPEN_SLOT)
        # task_id → (row pk, light, pace, reasons, since): plain tuples, no model instances.
        old = {
            r[0]: r[1:]
            for r in stored.filter(**span).values_list(
                "task_id", "pk", "light", "pace", "reasons", "since"
            )
        }
        plan_of = {r[0]: r[1] for r in rows}
        pr: dict[int, list] = defaultdict(list)
        for task_id, level, entered_on, raised_level in problems.filter(**span).values_list(
            "task_id", "level", "level_entered_on", "raised_level"
        ):
            state = rules.escalate(
                level,
                entered_on,
                False,
                today,
                cal.add_working_days,
                plan_rules.get(plan_of.get(task_id), rules.DEFAULT_RULES),
            )
            # Escalation itself is the problems job's to store; the light reads where the
            # problem stands today: past its SLA (a climb due) or already climbed.
            past_sla = state.escalated or state.past_sla
            pr[task_id].append((level, past_sla, level > raised_level))

        new_rows, update_rows, history, shown = [], [], [], []
        for (
            pk,
            plan_id,
            deadline,
            ongoing,
            start,
            completed_on,
            status,
            percent,
            shown_light,
            shown_reasons,
        ) in rows:
            missed, overdue = cycle_facts(list(sl[pk].values())) if pk in sl else (0, False)
            facts = rules.TaskFacts(
                deadline=deadline,
                ongoing=ongoing,
                start_date=start,
                completed_on=completed_on,
                status=status,
                percent=percent,
                milestones=ms.get(pk, ()),
                missed_cycles=missed,
                report_overdue=overdue,
                problems=pr.get(pk, ()),
            )
            light = rules.compute_light(
                facts, today, plan_rules.get(plan_id, rules.DEFAULT_RULES), wdb
            )
            counts[light.light] += 1
            if light.reasons:
                reasons = _reasons_json(light)
                text = SEPARATOR.join(r["text"] for r in reasons)
            else:  # most lights (green, done): nothing to word
                reasons, text = [], ""
            if (shown_light, shown_reasons) != (light.light, text):
                shown.append((pk, light.light, text))
            row = old.get(pk)
            if row is None:
                encoded = bulk.JsonText(json.dumps(reasons)) if reasons else NO_REASONS
                new_rows.append((pk, light.light, light.pace, encoded, today, today))
                history.append((pk, today, None, light.light, encoded))
                created += 1
                continue
            row_pk, was, pace, was_reasons, since = row
            if (was, pace, was_reasons) == (light.light, light.pace, reasons):
                unchanged += 1
                continue
            encoded = bulk.JsonText(json.dumps(reasons)) if reasons else NO_REASONS
            if was != light.light:
                history.append((pk, today, was, light.light, encoded))
                since = today
            update_rows.append((row_pk, light.light, light.pace, encoded, today, since))
            changed += 1

        # Plain rows, written set-based (core.bulk): Django's bulk_update resolves a CASE WHEN
        # per row and field, a minute of Python per 100,000 tasks.
        bulk.insert_rows(TaskLight, LIGHT_FIELDS, new_rows)
        bulk.update_rows(TaskLight, LIGHT_FIELDS[1:], update_rows)
        bulk.insert_rows(LightChange, ("task_id", "on", "was", "now", "reasons"), history)
        # The ledger's own light column, through its service (the ledger imports no supervision).
        ledger_services.record_lights(shown, actor=actor)
        if task_ids is not None:
            # Unchanged lights are still current as of today. (A full pass says so once, in
            # its LightPass row, instead of rewriting every unchanged row every day.)
            stored.filter(**span).exclude(as_of=today).update(as_of=today)

    result = {
        **counts,
        "tasks": sum(counts.values()),
        "created": created,
        "changed": changed,
        "unchanged": unchanged,
    }
    if task_ids is not None:
        if created or changed:
            audit.record(
                actor,
                [
                    audit.Entry(
                        "recompute",
                        "supervision.lights",
                        "tasks",
                        "tasks changed",
                        {"counts": result, "today": today.isoformat()},
                        {"tasks": sorted(set(task_ids))[:100], "today": today.isoformat()},
                    )
                ],
            )
        return result
    LightPass.objects.create(plan=plan, on=today, counts=result)
    audit.record(
        actor,
        [
            audit.Entry(
                "recompute",
                "supervision.lights",
                plan.pk if plan is not None else "all",
                plan.name if plan is not None else "all plans",
                {"counts": result, "today": today.isoformat()},
                {"plan": plan.pk if plan is not None else None, "today": today.isoformat()},
            )
        ],
    )
    return result


# --- after a change ------------------------------------------------------------------------

# Audit records of these kinds are changes that can move a task's light: the task itself (its
# deadline, progress, status), its milestones, its reports and review, its problems.
LIGHT_MOVERS = frozenset(
    {
        "ledger.task",
        "ledger.milestone",
        "dispatch.report",
        "dispatch.slot",
        "supervision.problem",
        "supervision.extension",
    }
)
TASK_PREFIX = audit.TASK_THREAD + ":"
_pending = threading.local()


def tasks_moved(records) -> set[int]:
    """The tasks whose light the audited changes may have moved."""
    out = set()
    for rec in records:
        if rec.object_type in LIGHT_MOVERS and rec.thread.startswith(TASK_PREFIX):
            tail = rec.thread[len(TASK_PREFIX) :]
            if tail.isdigit():
                out.add(int(tail))
    return out


def lights_after_change(sender, records, **kwargs) -> None:
    """Receiver of `core.audit.recorded`: once the change's transaction commits, recompute the
    lights of the tasks it touched (a few queries for a few tasks; set-based for an import).
    Lights lag a rolled-back change by nothing: nothing is scheduled until commit."""
    moved = tasks_moved(records)
    if not moved:
        return
    pending = getattr(_pending, "tasks", None)
    if pending is None:
        pending = _pending.tasks = set()
    pending |= moved
    # One callback per audited change; the first to run after commit takes the whole set and
    # the others find it empty. robust: a failure is logged, never the user's error (the daily
    # pass recomputes everything anyway).
    transaction.on_commit(_recompute_pending, robust=True)


def _recompute_pending() -> None:
    recompute_pending()


def recompute_pending(*, today: dt.date | None = None) -> None:
    """Recompute, as of `today`, the lights of the tasks changed since the last recompute, and
    clear the set so the commit's callbacks find nothing left. Called inside a transaction by a
    loader that tells its changes as of another day (the demo, told as of --today): at commit
    they would be lit as of the real today."""
    pending = getattr(_pending, "tasks", None)
    if not pending:
        return
    ids = sorted(pending)
    pending.clear()
    recompute_lights(actor=system_actor(), today=today, task_ids=ids)
