"""Export a ledger, import the export into a new plan: the same tasks, field for field.

The plan is built through the services with tasks covering every field a task has (subtasks
to depth 2, milestones with and without an expected %, several responsible and cooperating
units, a lead leader with a title, an owner, start date, deadline, an ongoing task with and
without its own wording, key, target/measure/actual, % complete, every status, progress texts,
notes, source fields, extra columns). Only ids, the plan, timestamps and versions may differ.
"""

import datetime as dt
from decimal import Decimal

import pytest

from luoshi.core.actors import system_actor
from luoshi.ledger import services
from luoshi.ledger.exporter import export_plans
from luoshi.ledger.importer.service import Options, run
from luoshi.ledger.models import TASK_FIELDS, Assignment, Category, Milestone, Plan, Task
from luoshi.org import services as org

D = dt.date
# Compared through the related rows' own identity (category by name, parent by key).
RELATED = {"category", "parent"}


def _build(orgtree, numbering: str) -> Plan:
    actor = system_actor()
    plan = services.create_plan(
        actor=actor,
        name="2026年往返测试台账",
        year=2026,
        owner_unit=orgtree.office,
        numbering=numbering,
    )
    lead = org.create_person("张建国", orgtree.a, actor=actor, title="副局长")
    infra = services.create_category(plan, actor=actor, name="交通基础设施建设")
    gov = services.create_category(plan, actor=actor, name="行业治理")
    second = "1" if numbering == Plan.Numbering.PER_SECTION else "2"
    third = "2" if numbering == Plan.Numbering.PER_SECTION else "3"

    def task(**data):
        units = {
            "responsible_units": data.pop("responsible", [orgtree.a1]),
            "cooperating_units": data.pop("cooperating", []),
        }
        return services.create_task(plan, actor=actor, **units, **data)

    one = task(
        no="1",
        category=infra,
        title="济南东站综合枢纽配套道路建设",
        content="完成配套道路12.5公里\n同步建设排水管网",
        lead_leader=lead,
        owner=orgtree.reporter_a,
        responsible=[orgtree.a, orgtree.a1],
        cooperating=[orgtree.b, orgtree.b1],
        start_date=D(2026, 2, 1),
        deadline=D(2026, 11, 30),
        key_task=True,
        target=Decimal("12.5"),
        measure="公里",
        actual=Decimal("3.25"),
        frequency="monthly",
        status="in_progress",
        percent=40,
        progress="已完成招标，正在进行路基施工",
        problems="征迁进度偏慢",
        next_steps="加快征迁；6月底前开工",
        notes="市重点项目",
        source_kind="instruction",
        source_ref="交督〔2026〕12号",
        source_date=D(2026, 1, 10),
        extra={"佐证材料": "施工合同", "督办级别": "市级"},
    )
    for day, name, pct in (
        (D(2026, 3, 31), "完成招标", None),
        (D(2026, 6, 30), "开工", 30),
        (D(2026, 9, 30), "完成80%", 80),
    ):
        services.create_milestone(one, actor=actor, date=day, name=name, expected_percent=pct)
    task(
        no="1.1",
        category=infra,
        parent=one,
        title="完成施工招标",
        owner=orgtree.reporter_a,
        deadline=D(2026, 3, 31),
        status="done",
        completed_on=D(2026, 3, 20),
        percent=100,
        frequency="weekly",
    )
    one_two = task(
        no="1.2",
        category=infra,
        parent=one,
        title="主体工程开工",
        deadline=D(2026, 6, 30),
        start_date=D(2026, 4, 1),
        status="suspended",
        problems="等待规划调整",
        extra={"督办级别": "区级"},
    )
    task(
        no="1.2.1",
        category=infra,
        parent=one_two,
        title="办理施工许可",
        responsible=[orgtree.a],
        deadline=D(2026, 5, 15),
        percent=1,
        source_kind="document",
        frequency="semimonthly",
    )
    task(
        no=second,
        category=gov,
        title="交通运输领域安全生产专项整治",
        lead_leader=orgtree.leader_a,
        owner=orgtree.reporter_b,
        responsible=[orgtree.b1],
        cooperating=[orgtree.a1],
        ongoing=True,
        key_task=True,
        frequency="quarterly",
        status="not_started",
        percent=0,
        source_kind="meeting",
        source_ref="市政府常务会议纪要第5期",
    )
    task(
        no=third,
        category=gov,
        title="“放管服”改革事项办理时限压缩",
        content="承诺时限压缩50%",
        responsible=[orgtree.b, orgtree.b1],
        ongoing=True,
        deadline_text="常态化",
        target=Decimal("50"),
        measure="%",
        status="cancelled",
        source_kind="other",
        notes='=HYPERLINK("x")',
    )
    return plan


def _units(task: Task) -> dict:
    out = {"responsible": [], "cooperating": []}
    for a in Assignment.objects.filter(task=task).order_by("role", "position"):
        out[a.role].append(a.unit_id)
    return out


def _milestones(task: Task) -> list:
    return list(
        Milestone.objects.filter(task=task)
        .order_by("date", "id")
        .values_list("date", "name", "expected_percent", "reached_on")
    )


def _task_row(task: Task) -> dict:
    row = {name: getattr(task, name) for name in TASK_FIELDS if name not in RELATED}
    row.update(
        category=(task.category.name, task.category.order) if task.category else None,
        parent=task.parent.key if task.parent else None,
        key=task.key,
        sort_key=task.sort_key,
        depth=task.depth,
        primary_unit=task.primary_unit_id,
        units=_units(task),
        milestones=_milestones(task),
    )
    return row


def _ledger(plan: Plan) -> dict[str, dict]:
    tasks = Task.objects.filter(plan=plan).select_related("category", "parent")
    return {t.key: _task_row(t) for t in tasks.order_by("sort_key")}


@pytest.mark.parametrize("numbering", [Plan.Numbering.THROUGH, Plan.Numbering.PER_SECTION])
def test_importing_the_export_into_a_new_plan_gives_the_same_tasks(orgtree, numbering):
    plan = _build(orgtree, numbering)
    data = export_plans(Plan.objects.filter(pk=plan.pk), Task.objects.all())

    report = run(
        data, Options(plan_name="往返副本", owner_unit=orgtree.office), actor=orgtree.admin
    )
    assert report.errors == [] and report.warnings == []
    assert report.extra_columns == ["佐证材料", "督办级别"]
    assert (report.year, report.new, report.categories) == (2026, 6, 2)
    report = run(
        data,
        Options(plan_name="往返副本", owner_unit=orgtree.office),
        actor=orgtree.admin,
        commit=True,
    )
    assert report.committed and report.created == {"units": [], "people": []}

    copy = Plan.objects.get(name="往返副本")
    assert (copy.year, copy.numbering) == (plan.year, plan.numbering)
    assert list(Category.objects.filter(plan=copy).values_list("name", "order")) == list(
        Category.objects.filter(plan=plan).values_list("name", "order")
    )
    original, imported = _ledger(plan), _ledger(copy)
    assert list(imported) == list(original)
    for key, want in original.items():
        have = imported[key]
        for name in want:
            assert have[name] == want[name], f"task {key}: {name}"
    # Spot checks that the fields really carried something.
    first = original["1"] if numbering == Plan.Numbering.THROUGH else original["交通基础设施建设|1"]
    assert first["start_date"] == D(2026, 2, 1) and first["percent"] == 40
    assert first["milestones"][1][1:3] == ("开工", 30)
    assert len(first["units"]["responsible"]) == len(first["units"]["cooperating"]) == 2

    # The copy's own export, imported again, changes nothing.
    again = run(
        export_plans(Plan.objects.filter(pk=copy.pk), Task.objects.all()),
        Options(plan_name="往返副本", owner_unit=orgtree.office),
        actor=orgtree.admin,
    )
    assert again.errors == [] and (again.new, again.changed, again.unchanged) == (0, 0, 6)
