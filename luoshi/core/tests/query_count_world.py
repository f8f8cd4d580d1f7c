"""Data for the query-count test (test_query_counts.py): the same shapes at two sizes.

`build(orgtree, SMALL)` and `build(orgtree, BIG)` make the same kinds of rows — tasks with
subtasks, milestones, responsible and cooperating units, hand-offs acknowledged and pending,
report slots in every state (accepted, submitted, returned, draft, pending), inbox messages read
and unread, extra units and people, and supervision's records (stored lights and their history,
problems at each level and in each state with their steps, orders about several tasks in each
state, extension requests and appeals pending, waiting too long and decided, integrity signals of
each kind) — only more of them. Every kind appears at the small size
too, so a list page that costs one more query for, say, a returned report costs it at both
sizes, and a difference between the sizes can only be a query per row.

Everything is made through the services, as a user would make it; only the integrity signals
about report texts are written directly (the scan needs two reporting cycles to compare)."""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass, field
from types import SimpleNamespace

from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.dispatch import services as dispatch
from luoshi.dispatch.models import Cycle, Report, Slot
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Assignment, Frequency
from luoshi.notify import services as notify
from luoshi.org import services as org
from luoshi.org.models import Person, Role, UnitKind
from luoshi.supervision import services as lights
from luoshi.supervision.models import Signal
from luoshi.supervision.services import due_process, integrity, orders, problems


@dataclass(frozen=True)
class Size:
    name: str
    tasks: int  # in the main (deployed) plan; every third one a subtask of the first
    plans: int  # further deployed plans, one task each (one cycle each)
    draft_plans: int
    units: int  # extra divisions, half under 甲局一处, half under 乙局一处
    people: int  # extra reporters, alternating between 甲局一处 and 乙局一处
    messages: int  # inbox messages per person (half read)
    edits: int  # edits of the first task (its history) and its extra milestones


SMALL = Size("small", tasks=3, plans=1, draft_plans=1, units=2, people=2, messages=2, edits=1)
BIG = Size("big", tasks=25, plans=3, draft_plans=3, units=14, people=16, messages=24, edits=8)

# Report states cycled over the main plan's slots; the small size has one slot in each.
STATES = ("accepted", "submitted", "returned", "draft", "pending")
# Supervision's records, cycled like the report states; 2 × tasks of each (6 at the small size).
PROBLEM_STATES = ("level3", "level2", "open", "answered", "resolved", "unsolvable")
ORDER_STATES = ("issued", "overdue", "responded", "unverified", "returned", "closed")
# The last request of a task; earlier ones (the first task has `edits` more) are decided.
DECISION_STATES = ("pending", "waiting", "approved", "rejected")


def call(fn, *args, actor, **kw):
    """Call a service with the acting person, positional first or keyword-only `actor=`,
    whichever the service takes (the services are moving to keyword-only)."""
    param = inspect.signature(fn).parameters.get("actor")
    if param is None:
        return fn(*args, **kw)
    if param.kind is inspect.Parameter.KEYWORD_ONLY:
        return fn(*args, actor=actor, **kw)
    return fn(actor, *args, **kw)


def _with_version(fn, obj) -> dict:
    params = inspect.signature(fn).parameters
    for name in ("version", "expected_version"):
        if name in params:
            return {name: obj.version}
    return {}


@dataclass
class World:
    size: Size
    plan: object = None
    parent_task: object = None
    cycle: object = None
    unit: object = None  # a unit with children and people that grow with the size
    tasks: list = field(default_factory=list)


def build(t: SimpleNamespace, size: Size) -> World:
    w = World(size)
    system = system_actor()
    _org(t, size, system)
    _plans(t, size, w)
    _reports(t, w)
    _inbox(t, size)
    _supervision(t, size, w)
    _assessments(t)
    _bulletins(t)
    _practices(t, w)
    _evaluation(t, w)
    w.unit = t.a1
    return w


def _practices(t, w: World) -> None:
    """The experience library: one practice per task of the main plan (half of them learned
    from it, in 甲局一处 or 乙局一处, tagged), so the library and the task page's panel of
    similar practices grow with the tasks."""
    from luoshi.consolidation import services as consolidation

    for i, task in enumerate(w.tasks):
        consolidation.record_practice(
            actor=t.supervisor,
            kind=("practice", "mechanism")[i % 2],
            title=f"{task.title}的经验",
            what=f"第{i}条做法",
            result="成效明显",
            unit=(t.a1, t.b1)[i % 2],
            task=task if i % 2 == 0 else None,
            tags=[f"标签{i % 3}", "经验"],
        )


def _evaluation(t, w: World) -> None:
    """Completions of the main plan's tasks in three states (awaiting acceptance; accepted,
    evaluated, its source answered to leader_a; none), so every evaluation list and the
    re-checks scheduled at acceptance grow with the tasks."""
    from luoshi.evaluation import services as evaluation
    from luoshi.ledger import services as ledger
    from luoshi.ledger.models import Task

    today = timezone.localdate()
    for i, task in enumerate(w.tasks):
        task = Task.objects.get(pk=task.pk)
        if i % 3 == 2 or task.status in ("done", "cancelled"):
            continue
        if i % 3 == 1:
            task = ledger.update_task(
                task, actor=t.supervisor, version=task.version, source_kind="instruction"
            )
        c = evaluation.submit_completion(
            task, actor=t.supervisor, completed_on=today, summary=f"第{i}项完成情况"
        )
        if i % 3 == 1:
            evaluation.decide_completion(c, actor=t.supervisor, version=c.version, accept=True)
            task.refresh_from_db()
            evaluation.evaluate(task, actor=t.supervisor, quality="good", effect="成效")
            evaluation.send_answer(task, actor=t.supervisor, issuer=t.leader_a, outcome="回音")


def _assessments(t) -> None:
    """Every deployed plan assessed for June (the list grows with the plans), each task of the
    main plan given a target and an actual (the roll-up's lines grow with the categories)."""
    from luoshi.assessment import services as assessment
    from luoshi.ledger.models import Plan, Task

    for i, task in enumerate(Task.objects.filter(plan__name="重点工作").order_by("pk")):
        task.refresh_from_db()
        call(
            ledger.update_task,
            task,
            actor=t.supervisor,
            **_with_version(ledger.update_task, task),
            target=10 + i,
            actual=i,
            measure=("所", "个")[i % 2],
        )
    for plan in Plan.objects.exclude(deployed_at=None).order_by("pk"):
        assessment.compute(plan, "2026-06", actor=t.supervisor, today=dt.date(2026, 6, 30))


def _bulletins(t) -> None:
    """Every deployed plan's June bulletin, published (the lists grow with the plans), and one
    more draft of the main plan (drafts show to supervisors only)."""
    from luoshi.bulletins import services as bulletins
    from luoshi.ledger.models import Plan

    june = dt.date(2026, 6, 30)
    system = system_actor()
    for plan in Plan.objects.exclude(deployed_at=None).order_by("pk"):
        b = bulletins.draft(actor=t.supervisor, plan=plan, today=june)
        b = bulletins.approve(b, actor=system, version=b.version)
        bulletins.publish(b, actor=t.supervisor, version=b.version, pdf=False)
    main = Plan.objects.get(name="重点工作")
    bulletins.draft(actor=t.supervisor, plan=main, today=june)


def _org(t, size: Size, system) -> None:
    parents = [t.a1, t.b1]
    call(
        org.create_units,
        [
            {"name": f"科室{i:02d}", "parent": parents[i % 2], "kind": UnitKind.DIVISION}
            for i in range(size.units)
        ],
        actor=system,
    )
    call(
        org.create_people,
        [
            {
                "full_name": f"填报员{i:02d}",
                "unit": parents[i % 2],
                "title": "科员",
                "roles": [Role.REPORTER],
            }
            for i in range(size.people)
        ],
        actor=system,
    )


def _plans(t, size: Size, w: World) -> None:
    sup = t.supervisor
    plan = call(
        ledger.create_plan,
        actor=sup,
        name="重点工作",
        year=2026,
        owner_unit=t.city,
        frequency=Frequency.MONTHLY,
    )
    categories = [plan.categories.create(name=f"类别{i}", order=i + 1) for i in range(3)]
    for i in range(size.tasks):
        responsible = [t.a1, t.b1] if i % 2 == 0 else [t.a1]
        cooperating = [t.a, t.b][: 1 + i % 2]
        data = {
            "title": f"任务{i:02d}",
            "category": categories[i % 3],
            "lead_leader": t.leader_a,
            "owner": t.reporter_a if i % 2 == 0 else t.reporter_b,
            "deadline": dt.date(2026, 12, 31),
            "key_task": i % 4 == 0,
            "progress": "按计划推进" if i % 3 else "",
        }
        if i % 3 == 2:
            data["parent"] = w.tasks[0]
            data["category"] = w.tasks[0].category
        task = call(
            ledger.create_task,
            plan,
            actor=sup,
            responsible_units=responsible,
            cooperating_units=cooperating,
            **data,
        )
        for day, name in ((dt.date(2026, 6, 30), "过半"), (dt.date(2026, 12, 31), "完成")):
            call(ledger.create_milestone, task, actor=sup, date=day, name=name)
        w.tasks.append(task)
    first = w.tasks[0]
    for i in range(size.edits):
        first.refresh_from_db()
        call(
            ledger.update_task,
            first,
            actor=sup,
            **_with_version(ledger.update_task, first),
            notes=f"第{i}次修改",
            # Names, not ids, in the history: every page of it looks up people and categories.
            owner=(t.reporter_b, t.reporter_a)[i % 2],
            category=categories[(i + 1) % 2],
        )
        call(
            ledger.create_milestone, first, actor=sup, date=dt.date(2026, 9, 1 + i), name=f"节点{i}"
        )
    call(ledger.deploy_plan, plan, actor=sup)
    # 签收: 甲局一处 acknowledges every other hand-off; the rest stay pending.
    pending = Assignment.objects.filter(
        task__plan=plan, unit=t.a1, ack=Assignment.Ack.PENDING
    ).order_by("task__sort_key")
    call(ledger.acknowledge, list(pending)[::2], actor=t.reporter_a)

    for i in range(size.plans):
        extra = call(ledger.create_plan, actor=sup, name=f"专项{i:02d}", year=2026, owner_unit=t.a)
        cat = extra.categories.create(name="专项类别", order=1)
        call(
            ledger.create_task,
            extra,
            actor=sup,
            responsible_units=[t.a1],
            title=f"专项任务{i}",
            category=cat,
        )
        call(ledger.deploy_plan, extra, actor=sup)
    for i in range(size.draft_plans):
        draft = call(ledger.create_plan, actor=sup, name=f"草案{i:02d}", year=2025, owner_unit=t.b)
        call(ledger.create_task, draft, actor=sup, responsible_units=[t.b1], title=f"草案任务{i}")
    w.plan = plan
    w.parent_task = w.tasks[0]


def _reports(t, w: World) -> None:
    call(dispatch.open_due_cycles, actor=system_actor())
    # The current period's cycle (on a due day the one just due opens beside it).
    w.cycle = Cycle.objects.filter(plan=w.plan).order_by("due_at").last()
    slots = list(
        Slot.objects.filter(cycle=w.cycle)
        .select_related("task", "unit", "cycle")
        .order_by("task__sort_key", "unit__path")
    )
    assert len(slots) >= len(STATES), "the main plan's cycle lacks slots"
    reporters = {t.a1.pk: t.reporter_a, t.b1.pk: t.reporter_b}
    for i, slot in enumerate(slots):
        state = STATES[i % len(STATES)]
        if state == "pending":
            continue
        who = reporters[slot.unit_id]
        report = call(dispatch.start_report, slot, actor=who)
        if isinstance(report, tuple):  # (report, created) since the services refactor
            report = report[0]
        fields = {"progress": f"第{i}项进展", "problems": "无", "next_steps": "继续", "percent": 50}
        if state == "draft":
            call(
                dispatch.save_report,
                report,
                actor=who,
                **_with_version(dispatch.save_report, report),
                **fields,
            )
            continue
        call(
            dispatch.submit_report,
            report,
            actor=who,
            **_with_version(dispatch.submit_report, report),
            **fields,
        )
        if state == "accepted":
            call(dispatch.review_report, report, actor=t.supervisor, accept=True)
        elif state == "returned":
            call(dispatch.review_report, report, actor=t.leader_a, accept=False, comment="补充数据")


def _inbox(t, size: Size) -> None:
    system = system_actor()
    for person in (t.admin, t.supervisor, t.leader_a, t.reporter_a):
        for i in range(size.messages):
            [msg] = call(
                notify.notify,
                person,
                actor=system,
                subject=f"提醒{i}",
                body="请按时填报",
                url="/reports/",
                dedupe_key=f"qc:{person.pk}:{i}",
            )
            if i % 2:
                call(notify.mark_read, msg.pk, actor=person)


# --- supervision ------------------------------------------------------------------------------


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9, 0)))


def _supervision(t, size: Size, w: World) -> None:
    system, sup = system_actor(), t.supervisor
    cal = current_calendar()
    today = timezone.localdate()
    # Green long before the first milestone, red today (its 过半 milestone is months overdue):
    # every task's light history has a green-to-red step, which the scan reports as warned too
    # late. Done before any problem is raised, so no problem's reason lights a task early.
    lights.recompute_lights(actor=system, today=dt.date(2026, 3, 2))
    lights.recompute_lights(actor=system, today=today)
    integrity.scan_signals(actor=system, today=today)
    _report_signals(today)
    tasks = w.tasks
    for task in tasks:
        task.refresh_from_db()
    _problems(t, tasks, today, cal)
    _orders(t, tasks, today, cal)
    for i, task in enumerate(tasks):
        rounds = size.edits + 1 if i == 0 else 1 + i % 2
        for j in range(rounds):
            last = j == rounds - 1
            state = (
                DECISION_STATES[i % len(DECISION_STATES)]
                if last
                else ("rejected", "approved")[j % 2]
            )
            _extension(t, task, state, today)
            _appeal(t, task, state, today)
    # A last edit of the first task, after all of the above: at both sizes its history's first
    # page names a person and a category, and its owner is none of the roles measured (one
    # size's earlier edits leave reporter_a owning it, the other's reporter_b).
    first = tasks[0]
    first.refresh_from_db()
    ledger.update_task(
        first,
        actor=sup,
        version=first.version,
        owner=Person.objects.get(full_name="填报员00"),
        category=first.plan.categories.get(name="类别2"),
    )
    lights.recompute_lights(actor=sup, today=today)  # the problems' reasons on the lights


def _report_signals(today: dt.date) -> None:
    """The signals about report texts, written directly: a near repeat or a jump to 100%."""
    rows = (
        Report.objects.filter(slot__status__in=(Slot.Status.SUBMITTED, Slot.Status.ACCEPTED))
        .order_by("pk")
        .values_list("pk", "slot__task_id", "slot__unit_id")
    )
    Signal.objects.bulk_create(
        Signal(
            kind=(Signal.Kind.REPEATED_TEXT, Signal.Kind.JUMP_TO_DONE)[i % 2],
            key=f"report:{report_id}",
            task_id=task_id,
            unit_id=unit_id,
            report_id=report_id,
            on=today,
            detail={"similarity": 0.97},
            text=f"填报内容与上期雷同{i}",
        )
        for i, (report_id, task_id, unit_id) in enumerate(rows)
    )


def _problems(t, tasks, today: dt.date, cal) -> None:
    """Problems on every task, half of them on the first (its page's panel fills up), at every
    level: the ones at level 3 were raised long ago and climbed twice, those at level 2 once."""
    sup, system = t.supervisor, system_actor()
    n = 2 * len(tasks)
    states = [PROBLEM_STATES[k % len(PROBLEM_STATES)] for k in range(n)]
    on = [tasks[0] if k % 2 == 0 else tasks[k % len(tasks)] for k in range(n)]

    def raise_(k, day):
        return problems.raise_problem(
            on[k],
            actor=t.reporter_a,
            title=f"问题{k:02d}",
            description="需要协调",
            now=_at(day) if day else None,
        )

    d0 = today - dt.timedelta(days=60)
    d1 = cal.add_working_days(d0, 6)  # past level 1's SLA (5 working days)
    d2 = cal.add_working_days(d1, 11)  # past level 2's (10)
    for k in range(n):
        if states[k] == "level3":
            raise_(k, d0)
    problems.escalate_problems(actor=system, today=d1)
    for k in range(n):
        if states[k] == "level2":
            raise_(k, d1)
    problems.escalate_problems(actor=system, today=d2)
    for k in range(n):
        state = states[k]
        if state in ("level3", "level2"):
            continue
        p = raise_(k, None)
        if state == "open":
            continue
        problems.respond_problem(p, actor=sup, version=p.version, text="正在协调")
        problems.respond_problem(p, actor=t.reporter_a, version=p.version, text="补充情况")
        if state == "resolved":
            problems.resolve_problem(p, actor=sup, version=p.version, resolution="已解决")
        elif state == "unsolvable":
            problems.declare_unsolvable(p, actor=sup, version=p.version, reasons="超出权限")


def _orders(t, tasks, today: dt.date, cal) -> None:
    """Orders to 甲局一处 about one to three tasks each, the first task in all of them."""
    sup, who = t.supervisor, t.reporter_a
    past = today - dt.timedelta(days=30)
    for k in range(2 * len(tasks)):
        state = ORDER_STATES[k % len(ORDER_STATES)]
        about = [tasks[0], *tasks[1 + k % len(tasks) :][: k % 3]]
        day = past if state in ("overdue", "unverified") else today
        order = orders.issue_order(
            actor=sup,
            unit=t.a1,
            tasks=about,
            demand=f"督办事项{k:02d}",
            respond_by=cal.add_working_days(day, 5),
            now=_at(day) if day != today else None,
        )
        if state in ("issued", "overdue"):
            continue
        responded = _at(cal.add_working_days(past, 1)) if state == "unverified" else None
        orders.respond_order(
            order, actor=who, version=order.version, response="已整改", now=responded
        )
        if state in ("returned", "closed"):
            orders.verify_order(
                order,
                actor=sup,
                version=order.version,
                accept=state == "closed",
                comment="" if state == "closed" else "材料不全",
            )


def _extension(t, task, state: str, today: dt.date) -> None:
    task.refresh_from_db()
    asked = _at(today - dt.timedelta(days=30)) if state == "waiting" else None
    ext = due_process.request_extension(
        task,
        actor=t.reporter_a,
        requested_deadline=task.deadline + dt.timedelta(days=30),
        reason="受天气影响",
        now=asked,
    )
    if state in ("approved", "rejected"):
        due_process.decide_extension(
            ext,
            actor=t.supervisor if state == "approved" else t.leader_a,
            version=ext.version,
            approve=state == "approved",
            reason="同意" if state == "approved" else "理由不足",
        )


def _appeal(t, task, state: str, today: dt.date) -> None:
    asked = _at(today - dt.timedelta(days=30)) if state == "waiting" else None
    appeal = due_process.appeal_light(task, actor=t.reporter_a, reason="已按期推进", now=asked)
    if state in ("approved", "rejected"):
        due_process.decide_appeal(
            appeal,
            actor=t.leader_a if state == "approved" else t.supervisor,
            version=appeal.version,
            uphold=state == "approved",
            reason="属实" if state == "approved" else "不属实",
        )
