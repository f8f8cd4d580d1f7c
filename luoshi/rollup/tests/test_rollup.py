"""The target roll-up from an imported ledger: the actual-value columns the importer maps, the
sums per category and measure, `luoshi rollup --json`, the page and the API, each scoped."""

from __future__ import annotations

import io
import json

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from luoshi.core.actors import system_actor
from luoshi.ledger import services as ledger
from luoshi.ledger.importer.service import Options, run
from luoshi.ledger.models import Plan, Task
from luoshi.rollup import access

PLAN = "2026年教育局为民办实事台账"
HEADER = ["序号", "任务名称", "责任单位", "完成时限", "目标值", "计量单位", "{actual}"]


def _workbook(actual_header: str = "实际完成值") -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append([PLAN])
    ws.append([h.format(actual=actual_header) for h in HEADER])
    ws.append(["一、中小学校完工"])
    ws.append([1, "完工甲区中小学校", "甲局一处", "2026-12-31", 18, "所", 15])
    ws.append([2, "完工乙区中小学校", "乙局一处", "2026-12-31", 12, "所", 8])
    ws.append(["二、新建改扩建开工"])
    ws.append([3, "开工中小学校及幼儿园", "甲局一处", "2026-10-31", 50, "所", 45])
    ws.append([4, "开工乙区中小学校及幼儿园", "乙局一处", "2026-10-31", 30, "所", 27])
    ws.append([5, "改造校园道路", "乙局一处", "2026-10-31", "12.5", "公里", ""])
    ws.append([6, "开展调研", "乙局一处", "2026-10-31", "", "", ""])
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


@pytest.fixture
def plan(orgtree) -> Plan:
    report = run(
        _workbook(),
        Options(plan_name=PLAN, owner_unit=orgtree.office),
        actor=orgtree.admin,
        commit=True,
    )
    assert report.errors == [], report.errors
    plan = Plan.objects.get(name=PLAN)
    ledger.deploy_plan(plan, actor=orgtree.admin)
    return plan


def _command(*args) -> dict:
    out = io.StringIO()
    call_command("rollup", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_seed_figures_per_category_and_measure(plan):
    assert _command("--plan", PLAN, "--json") == {
        "plan": PLAN,
        "categories": [
            {"category": "中小学校完工", "measure": "所", "target": 30, "actual": 23, "rate": 76.7},
            {
                "category": "新建改扩建开工",
                "measure": "所",
                "target": 80,
                "actual": 72,
                "rate": 90.0,
            },
            # A measure of its own in the same category; no actual yet counts as 0.
            {
                "category": "新建改扩建开工",
                "measure": "公里",
                "target": 12.5,
                "actual": 0,
                "rate": 0.0,
            },
        ],
    }


@pytest.mark.parametrize(
    "header",
    ["实际完成值", "完成值", "实际完成", "已完成数", "实际完成数", "累计完成值", "截至8月底完成值"],
)
def test_actual_value_columns_are_mapped(orgtree, header):
    report = run(
        _workbook(header),
        Options(plan_name=PLAN, owner_unit=orgtree.office),
        actor=orgtree.admin,
        commit=True,
    )
    assert report.errors == [] and report.extra_columns == []
    actuals = dict(Task.objects.filter(plan__name=PLAN).values_list("no", "actual"))
    assert (actuals["1"], actuals["2"], actuals["5"]) == (15, 8, None)


def test_cancelled_tasks_and_subtasks_of_a_task_with_a_target_are_not_counted(plan, orgtree):
    actor = system_actor()
    first = Task.objects.get(plan=plan, no="1")
    # Two subtasks splitting the parent's 18 schools: the parent's target already holds them.
    for i, (target, actual) in enumerate([(10, 9), (8, 6)], start=1):
        ledger.create_task(
            plan,
            actor=actor,
            parent=first,
            title=f"分项{i}",
            responsible_units=[orgtree.a1],
            target=target,
            actual=actual,
            measure="所",
        )
    second = Task.objects.get(plan=plan, no="2")
    ledger.update_task(second, actor=actor, version=second.version, status="cancelled")
    line = access.rollup(actor, plan)[0]
    assert (line.target, line.actual, line.tasks) == (18, 15, 1)


def test_a_reporter_sums_only_the_tasks_it_sees(plan, orgtree):
    lines = access.rollup(orgtree.reporter_b, plan)
    assert [(line.category, line.measure, line.target, line.actual) for line in lines] == [
        ("中小学校完工", "所", 12, 8),
        ("新建改扩建开工", "所", 30, 27),
        ("新建改扩建开工", "公里", 12.5, 0),
    ]


def test_unknown_plan_is_an_error(plan):
    with pytest.raises(CommandError, match="No plan named"):
        call_command("rollup", "--plan", "没有这个台账", "--json")


def test_human_summary(plan):
    out = io.StringIO()
    call_command("rollup", "--plan", PLAN, stdout=out)
    assert "中小学校完工 所：目标30，完成23，完成率76.7%" in out.getvalue()


def test_page_and_api(plan, orgtree, client):
    client.force_login(orgtree.reporter_b)
    resp = client.get(f"/rollup/plans/{plan.pk}/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert "66.7%" in body  # 乙: 8 of 12
    assert f"/tasks/?plan={plan.pk}&amp;category=" in body
    api = client.get(f"/api/plans/{plan.pk}/rollup/").json()
    # The reporter's API answer is the command's shape over only the tasks it sees.
    assert api == {
        "plan": PLAN,
        "categories": [
            {"category": "中小学校完工", "measure": "所", "target": 12, "actual": 8, "rate": 66.7},
            {
                "category": "新建改扩建开工",
                "measure": "所",
                "target": 30,
                "actual": 27,
                "rate": 90.0,
            },
            {
                "category": "新建改扩建开工",
                "measure": "公里",
                "target": 12.5,
                "actual": 0,
                "rate": 0,
            },
        ],
    }
    assert client.get("/rollup/").status_code == 200
    assert client.get("/api/plans/999999/rollup/").status_code == 404
    assert client.get("/rollup/plans/999999/").status_code == 404


def test_one_query_whatever_the_number_of_tasks(plan, orgtree, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        access.rollup(orgtree.supervisor, plan)
