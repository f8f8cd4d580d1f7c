"""A small world for the cockpit: two plans, tasks in both bureaus' divisions with every kind
of due state and light, one dispatch cycle past its due time, one assessment."""

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from luoshi.assessment import services as assessment
from luoshi.core.actors import system_actor
from luoshi.dispatch.models import Cycle, Schedule, Slot
from luoshi.ledger import services as ledger


@pytest.fixture
def world(orgtree):
    today = timezone.localdate()
    past, future = today - dt.timedelta(days=30), today + dt.timedelta(days=30)
    sys = system_actor()
    plan = ledger.create_plan(
        actor=sys, name="交通重点工作", year=today.year, owner_unit=orgtree.office
    )
    other = ledger.create_plan(
        actor=sys, name="百日行动", year=today.year - 1, owner_unit=orgtree.office
    )
    c1 = ledger.create_category(plan, actor=sys, name="道路建设")
    c2 = ledger.create_category(plan, actor=sys, name="公共交通")

    def make(p, title, unit, light, **kw):
        t = ledger.create_task(p, actor=sys, title=title, responsible_units=[unit], **kw)
        t._light = light
        return t

    t = SimpleNamespace(
        on_time=make(
            plan,
            "道路大修",
            orgtree.a1,
            "done",
            category=c1,
            deadline=past,
            status="done",
            completed_on=past,
            target=10,
            measure="公里",
            actual=8,
        ),
        late=make(
            plan,
            "桥梁加固",
            orgtree.a1,
            "done_late",
            category=c1,
            deadline=past,
            status="done",
            completed_on=today,
        ),
        overdue_a=make(
            plan,
            "路口改造",
            orgtree.a1,
            "red",
            category=c1,
            deadline=past - dt.timedelta(days=5),
            status="in_progress",
        ),
        future_a=make(
            plan,
            "公交站亭",
            orgtree.a1,
            "yellow",
            category=c2,
            deadline=future,
            status="in_progress",
        ),
        overdue_b=make(plan, "线网优化", orgtree.b1, "red", category=c2, deadline=past),
        cancelled=make(
            plan, "取消的任务", orgtree.b1, "off", category=c2, deadline=past, status="cancelled"
        ),
        ongoing=make(plan, "长效管护", orgtree.b1, "green", ongoing=True),
        other_done=make(
            other, "百日清障", orgtree.b1, "done", deadline=past, status="done", completed_on=past
        ),
        unlit=make(other, "尚未亮灯", orgtree.a1, None, deadline=future),
    )
    ledger.deploy_plan(plan, actor=sys)
    ledger.deploy_plan(other, actor=sys)
    ledger.record_lights([(x.pk, x._light, "") for x in vars(t).values() if x._light], actor=sys)
    # One cycle of the plan, due yesterday: a report on time, one late, one never sent.
    due_at = timezone.now() - dt.timedelta(days=1)
    schedule = Schedule.objects.create(plan=plan)
    cycle = Cycle.objects.create(
        plan=plan,
        schedule=schedule,
        period_start=today - dt.timedelta(days=30),
        due_at=due_at,
        closes_at=due_at + dt.timedelta(days=3),
    )
    for task, unit, submitted in (
        (t.on_time, orgtree.a1, due_at - dt.timedelta(hours=2)),
        (t.overdue_a, orgtree.a1, due_at + dt.timedelta(hours=5)),
        (t.overdue_b, orgtree.b1, None),
    ):
        Slot.objects.create(
            cycle=cycle,
            task=task,
            unit=unit,
            due_at=due_at,
            submitted_at=submitted,
            status=Slot.Status.ACCEPTED if submitted else Slot.Status.PENDING,
        )
    return SimpleNamespace(
        plan=plan, other=other, c1=c1, c2=c2, t=t, cycle=cycle, today=today, org=orgtree
    )


@pytest.fixture
def assessed(world):
    """The plan assessed for this month (the assessment's own service computes it)."""
    period = world.today.strftime("%Y-%m")
    return assessment.compute(world.plan, period, actor=world.org.supervisor)
