"""`luoshi lights`: recompute and store every task's light, print them; history and audit."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.ledger import services as ledger
from luoshi.supervision import services
from luoshi.supervision.access import with_current_as_of
from luoshi.supervision.models import LightChange, LightPass, TaskLight

D = dt.date


@pytest.fixture
def plan(orgtree):
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name="亮灯计划", year=2026, owner_unit=orgtree.office)

    def task(title, **data):
        return ledger.create_task(
            plan, actor=actor, title=title, responsible_units=[orgtree.a1], **data
        )

    task("逾期任务", deadline=D(2026, 2, 10), percent=50)
    late_node = task("节点逾期", deadline=D(2026, 6, 30), percent=30)
    ledger.create_milestone(late_node, actor=actor, date=D(2026, 2, 13), name="完成招标")
    task("正常推进", deadline=D(2026, 12, 31), percent=10)
    task(
        "按期完成", deadline=D(2026, 3, 31), status="done", completed_on=D(2026, 2, 1), percent=100
    )
    task(
        "逾期完成", deadline=D(2026, 1, 30), status="done", completed_on=D(2026, 2, 4), percent=100
    )
    task("已暂停", deadline=D(2026, 1, 5), status="suspended")
    return plan


def run(*args):
    out = StringIO()
    call_command("lights", *args, stdout=out)
    return out.getvalue()


def test_json_lists_each_lit_task_with_its_reasons(plan):
    data = json.loads(run("--plan", "亮灯计划", "--today", "2026-02-24", "--json"))
    assert data["today"] == "2026-02-24"
    assert data["counts"] == {"red": 1, "yellow": 1, "green": 1, "done": 1, "done_late": 1}
    assert [t["no"] for t in data["tasks"]] == ["1", "2", "3", "4", "5"]  # the suspended 6 is off
    by_light = {t["light"]: t for t in data["tasks"]}
    assert set(by_light) == {"red", "yellow", "green", "done", "done_late"}
    assert by_light["red"]["plan"] == "亮灯计划"
    assert by_light["red"]["reasons"][0].startswith("逾期")
    assert "完成时限2026-02-10" in by_light["red"]["reasons"][0]
    # Due Friday 13 Feb 2026, two working days late over the Spring Festival: yellow.
    assert by_light["yellow"]["reasons"] == ["时间节点「完成招标」逾期2个工作日"]
    assert by_light["green"]["reasons"] == []
    assert by_light["done"]["reasons"] == ["已于2026-02-01完成"]
    assert by_light["done_late"]["reasons"] == ["已于2026-02-04完成，超过完成时限3个工作日"]
    for t in data["tasks"]:
        assert set(t) == {"plan", "no", "light", "pace", "reasons"}
        assert t["pace"] in (None, "ahead", "on", "behind")
    assert TaskLight.objects.count() == 6  # the off one is stored too
    assert TaskLight.objects.get(task__title="已暂停").light == "off"


def test_human_summary(plan):
    text = run("--today", "2026-02-24")
    assert "2026-02-24" in text and "红灯1" in text and "节点逾期" not in text
    assert "完成招标" in text


def test_same_day_again_changes_nothing(plan):
    run("--today", "2026-02-24")
    before = list(TaskLight.objects.order_by("pk").values())
    changes = LightChange.objects.count()
    assert changes == 6  # each task's first light
    run("--today", "2026-02-24")
    assert list(TaskLight.objects.order_by("pk").values()) == before
    assert LightChange.objects.count() == changes


def test_a_day_that_moves_a_light_writes_one_change(plan):
    run("--today", "2026-02-24")
    n = LightChange.objects.count()
    # 4 March: the milestone is 8 working days late, more than 5: red.
    run("--today", "2026-03-04")
    assert LightChange.objects.count() == n + 1
    change = LightChange.objects.latest("id")
    assert (change.was, change.now, change.on) == ("yellow", "red", D(2026, 3, 4))
    moved = TaskLight.objects.get(task__title="节点逾期")
    assert (moved.light, moved.since, moved.as_of) == ("red", D(2026, 3, 4), D(2026, 3, 4))
    kept = TaskLight.objects.get(task__title="逾期任务")  # still red, 8 more days late
    assert (kept.since, kept.as_of) == (D(2026, 2, 24), D(2026, 3, 4))
    # A light the pass found unchanged is not rewritten; the pass says it is current.
    done = with_current_as_of(TaskLight.objects.filter(task__title="按期完成")).get()
    assert (done.since, done.as_of, done.current_as_of) == (
        D(2026, 2, 24),
        D(2026, 2, 24),
        D(2026, 3, 4),
    )
    assert list(LightPass.objects.order_by("on").values_list("plan", "on")) == [
        (None, D(2026, 2, 24)),
        (None, D(2026, 3, 4)),
    ]


def test_each_run_is_audited(plan):
    run("--plan", "亮灯计划", "--today", "2026-02-24")
    rec = AuditRecord.objects.get(object_type="supervision.lights", action="recompute")
    assert rec.actor_id == system_actor().pk
    assert rec.changes["today"] == "2026-02-24"
    assert rec.changes["counts"]["red"] == 1 and rec.changes["counts"]["created"] == 6


def test_unknown_plan_is_an_error(plan):
    with pytest.raises(CommandError, match="没有|No plan named"):
        run("--plan", "不存在的计划", "--json")
    assert not TaskLight.objects.exists()


def _plan_with(orgtree, name, n):
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name=name, year=2026, owner_unit=orgtree.office)
    for i in range(n):
        t = ledger.create_task(
            plan,
            actor=actor,
            title=f"任务{i}",
            responsible_units=[orgtree.a1],
            deadline=D(2026, 3 + i % 9, 1),
            percent=i % 100,
        )
        ledger.create_milestone(t, actor=actor, date=D(2026, 2, 13), name="节点")
    return plan


def test_query_count_does_not_grow_with_tasks(orgtree):
    small, large = _plan_with(orgtree, "小", 5), _plan_with(orgtree, "大", 40)
    actor = system_actor()
    counts = []
    for plan in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            services.recompute_lights(actor=actor, today=D(2026, 2, 24), plan=plan)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
    assert TaskLight.objects.count() == 45


def test_report_facts_count_missing_cycles_at_the_end():
    t = [dt.datetime(2026, m, 25, 17) for m in (1, 2, 3, 4)]
    slots = [(t[0], "missed"), (t[1], "accepted"), (t[2], "missed"), (t[3], "pending")]
    assert services.report_facts(slots) == (2, True)
    # Two units, one reported, one missed: the cycle still lacks a report.
    assert services.report_facts([(t[0], "accepted"), (t[0], "missed")]) == (1, False)
    assert services.report_facts([(t[0], "missed"), (t[1], "submitted")]) == (0, False)
