"""Drafting from the data: the figures of a small world, as of a day, in a handful of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.assessment import services as assessment
from luoshi.bulletins import services
from luoshi.bulletins.models import Bulletin
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.core.models import AuditRecord


def test_draft_figures(world):
    o = world.o
    b = services.draft(actor=o.supervisor, plan=world.plan, today=world.today)
    assert b.status == Bulletin.Status.DRAFT and not b.number and b.seq is None
    assert (str(b.period_start), str(b.period_end), str(b.as_of)) == (
        "2026-06-01",
        "2026-06-30",
        "2026-06-20",
    )
    assert b.unit == o.office and b.masthead == "测试市督查通报"
    assert b.title == "关于2026年交通重点工作6月推进情况的通报"
    c = b.content
    assert c["totals"] == {
        "tasks": 6,
        "done": 1,
        "done_late": 0,
        "red": 3,
        "yellow": 0,
        "green": 2,
        "units": 3,
        "red_units": 2,
        "missing_reports": 2,
    }
    assert [g["unit"] for g in c["red"]] == ["甲局一处", "乙局一处"]
    a_tasks = c["red"][0]["tasks"]
    assert [(t["no"], t["title"], t["leader"]) for t in a_tasks] == [
        ("1", "甲红灯任务一", "甲领导"),
        ("2", "甲红灯任务二", "甲领导"),
    ]
    assert a_tasks[0]["reasons"] == "节点逾期超过5个工作日"
    assert c["red"][1]["tasks"][0]["reasons"] == "连续2期未报送进展"
    # 乙局一处: one slot never submitted, one submitted after the 20th.
    assert c["missing"] == [{"unit": "乙局一处", "count": 2}]
    assert c["praised"] == ["督查室"]
    assert c["ranking_source"] == "lights"
    assert [(r["rank"], r["unit"]) for r in c["ranking"]] == [
        (1, "督查室"),
        (2, "乙局一处"),
        (3, "甲局一处"),
    ]
    record = AuditRecord.objects.filter(object_type=services.OBJECT, action="create").get()
    assert record.object_id == str(b.pk) and record.actor_id == o.supervisor.pk


def test_draft_later_sees_the_late_report(world):
    b = services.draft(actor=world.o.supervisor, plan=world.plan, today=world.today.replace(day=30))
    assert b.content["missing"] == [{"unit": "乙局一处", "count": 1}]


def test_ranking_comes_from_the_assessment_when_there_is_one(world):
    assessment.compute(world.plan, "2026-06", actor=world.o.supervisor, today=world.today)
    b = services.draft(actor=world.o.supervisor, plan=world.plan, today=world.today)
    assert b.content["ranking_source"] == "assessment_draft"
    assert {r["unit"] for r in b.content["ranking"]} == {"甲局一处", "乙局一处", "督查室"}
    assert all(r["score"] for r in b.content["ranking"])


def test_unit_wide_bulletin_covers_the_units_plans(world):
    o = world.o
    b = services.draft(actor=o.supervisor, unit=o.city, today=world.today)
    assert b.plan is None and b.unit == o.city
    assert b.content["totals"]["tasks"] == 6 and b.content["plans"] == 1
    assert b.title.startswith("关于测试市重点工作")


def test_query_count_does_not_grow_with_tasks(world):
    o = world.o

    def count():
        with CaptureQueriesContext(connection) as ctx:
            services.draft(actor=o.supervisor, plan=world.plan, today=world.today)
        return len(ctx.captured_queries)

    count()  # the person's scope is read once, then kept on the person
    before = count()
    from luoshi.core.actors import system_actor
    from luoshi.ledger import services as ledger

    for i in range(12):
        t = ledger.create_task(
            world.plan,
            actor=system_actor(),
            no=f"9.{i}",
            title=f"新增任务{i}",
            responsible_units=[(o.a1, o.b1, o.office)[i % 3]],
        )
        ledger.record_lights([(t.pk, ("red", "green")[i % 2], "原因")], actor=system_actor())
    assert count() == before
    assert before < 25


def test_only_supervisors_draft(world):
    o = world.o
    for person in (o.reporter_a, o.leader_a, o.unitadmin_a, world.leader):
        with pytest.raises(OutOfScope):
            services.draft(actor=person, plan=world.plan, today=world.today)
    with pytest.raises(RuleViolation, match="选择"):
        services.draft(actor=o.supervisor, today=world.today)
    with pytest.raises(RuleViolation, match="2026-06"):
        services.draft(actor=o.supervisor, plan=world.plan, period="June")
    assert not Bulletin.objects.exists()


def test_units_of_the_same_name_stay_apart(world):
    """Every bureau has its 办公室: two units of one name under different parents are two lines
    in the praise and the ranking, not one merged unit."""
    from luoshi.core.actors import system_actor
    from luoshi.ledger import services as ledger
    from luoshi.org import services as org

    o, actor = world.o, system_actor()
    a_office, b_office = org.create_units(
        [{"name": "办公室", "parent": o.a}, {"name": "办公室", "parent": o.b}], actor=actor
    )
    for no, unit, light in (("7", a_office, "green"), ("8", b_office, "red")):
        t = ledger.create_task(
            world.plan, actor=actor, no=no, title=f"办公室任务{no}", responsible_units=[unit]
        )
        ledger.record_lights(
            [(t.pk, light, "已过完成时限且未完成" if light == "red" else "")], actor=actor
        )
    c = services.draft(actor=o.supervisor, plan=world.plan, today=world.today).content
    ranked = [r["unit"] for r in c["ranking"]]
    assert ranked.count("办公室") == 2
    assert c["praised"].count("办公室") == 1  # 甲局's, all green; 乙局's has a red task
    assert c["totals"]["units"] == 5
