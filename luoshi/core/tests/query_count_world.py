"""Data for the query-count test (test_query_counts.py): the same shapes at two sizes.

`build(orgtree, SMALL)` and `build(orgtree, BIG)` make the same kinds of rows — tasks with
subtasks, milestones, responsible and cooperating units, hand-offs acknowledged and pending,
report slots in every state (accepted, submitted, returned, draft, pending), inbox messages read
and unread, extra units and people — only more of them. Every kind appears at the small size
too, so a list page that costs one more query for, say, a returned report costs it at both
sizes, and a difference between the sizes can only be a query per row.

Everything is made through the services, as a user would make it."""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass, field
from types import SimpleNamespace

from luoshi.core.actors import system_actor
from luoshi.dispatch import services as dispatch
from luoshi.dispatch.models import Cycle, Slot
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Assignment, Frequency
from luoshi.notify import services as notify
from luoshi.org import services as org
from luoshi.org.models import Role, UnitKind


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
    w.unit = t.a1
    return w


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
