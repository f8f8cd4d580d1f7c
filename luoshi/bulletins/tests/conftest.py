"""A small world for bulletins: a deployed plan of the supervision office with tasks of 甲局一处
and 乙局一处 in each light, one June reporting cycle where 乙局一处 missed a report, and a city
leader who approves bulletins (the shared orgtree's leader leads 甲局 only)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.dispatch.models import Cycle, Schedule, Slot
from luoshi.ledger import services as ledger
from luoshi.org import services as org
from luoshi.org.models import Role

D = dt.date
PLAN = "2026年交通重点工作"
TODAY = D(2026, 6, 20)


def at(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


def make_world(o) -> SimpleNamespace:
    actor = system_actor()
    [city_leader] = org.create_people(
        [
            {
                "username": "leader_city",
                "full_name": "市领导",
                "unit": o.city,
                "password": "test-pass-123",
                "roles": [Role.LEADER],
                "role_unit": o.city,
            }
        ],
        actor=actor,
    )
    plan = ledger.create_plan(actor=actor, name=PLAN, year=2026, owner_unit=o.office)

    def task(no, title, unit, light, reasons="", leader=None):
        t = ledger.create_task(
            plan,
            actor=actor,
            no=no,
            title=title,
            responsible_units=[unit],
            deadline=D(2026, 6, 10),
            lead_leader=leader,
        )
        ledger.record_lights([(t.pk, light, reasons)], actor=actor)
        return t

    tasks = {
        "a_red2": task("2", "甲红灯任务二", o.a1, "red", "已过完成时限且未完成", o.leader_a),
        "a_red1": task("1", "甲红灯任务一", o.a1, "red", "节点逾期超过5个工作日", o.leader_a),
        "a_green": task("3", "甲绿灯任务", o.a1, "green"),
        "b_red": task("4", "乙红灯任务", o.b1, "red", "连续2期未报送进展"),
        "b_done": task("5", "乙完成任务", o.b1, "done"),
        "c_green": task("6", "督查室绿灯任务", o.office, "green"),
    }
    ledger.deploy_plan(plan, actor=actor)
    schedule = Schedule.objects.create(plan=plan, task=None)
    cycle = Cycle.objects.create(
        plan=plan,
        schedule=schedule,
        period_start=D(2026, 5, 6),
        due_at=at(D(2026, 6, 5), 17),
        closes_at=at(D(2026, 6, 12), 17),
    )
    for key, unit, submitted in (
        ("a_green", o.a1, at(D(2026, 6, 5), 9)),
        ("b_red", o.b1, None),  # missed
        ("b_done", o.b1, at(D(2026, 6, 25), 9)),  # after the 20th: missing as of then
        ("c_green", o.office, at(D(2026, 6, 4), 9)),
    ):
        Slot.objects.create(
            cycle=cycle,
            task=tasks[key],
            unit=unit,
            due_at=cycle.due_at,
            status="submitted" if submitted else "missed",
            submitted_at=submitted,
        )
    return SimpleNamespace(o=o, plan=plan, tasks=tasks, leader=city_leader, today=TODAY)


@pytest.fixture
def world(orgtree):
    return make_world(orgtree)
