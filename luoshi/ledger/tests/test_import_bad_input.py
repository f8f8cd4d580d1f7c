"""Bad input: one error per fault, naming row, column and reason; nothing half written."""

import pytest

from luoshi.core.importing import ImportFailed
from luoshi.core.models import AuditRecord
from luoshi.ledger.importer.service import Options, run
from luoshi.ledger.models import Plan, Task

from .workbook_factory import workbook
from .workbooks import task

GOOD_UNIT = "甲局一处"


def test_each_fault_gets_one_error_and_commit_writes_nothing(orgtree):
    data = workbook(
        [
            ["一、测试类别(6项)"],
            task(
                "1", "正常任务", GOOD_UNIT, 是否重点="是", 目标值=5, 计量单位="个", 调度频次="每月"
            ),
            task("2", "", GOOD_UNIT, 具体内容="缺标题"),
            task("3", "日期不存在", GOOD_UNIT, "2026-02-30"),
            task("4", "没有责任单位", ""),
            task("5", "目标不是数", GOOD_UNIT, 目标值="约三十"),
            task("3", "序号重复", GOOD_UNIT),
        ]
    )
    opts = Options(plan_name="坏台账", owner_unit=orgtree.office)
    report = run(data, opts, actor=orgtree.admin)
    errors = sorted((e["row"], e["column"], e["value"]) for e in report.errors)
    assert errors == [
        (5, "任务名称", ""),
        (6, "完成时限", "2026-02-30"),
        (7, "责任单位", ""),
        (8, "目标值", "约三十"),
        (9, "序号", "3"),
    ]
    reasons = {e["row"]: e["reason"] for e in report.errors}
    assert "title" in reasons[5]
    assert "impossible date" in reasons[6]
    assert "responsible unit" in reasons[7]
    assert "number" in reasons[8]
    assert "duplicate" in reasons[9] and "6" in reasons[9]  # names the earlier row
    outcomes = {o["row"]: o["outcome"] for o in report.outcomes}
    assert outcomes[4] == "new" and outcomes[6] == "error"

    before = AuditRecord.objects.count()
    with pytest.raises(ImportFailed):
        run(data, opts, actor=orgtree.admin, commit=True)
    assert Task.objects.count() == 0
    assert not Plan.objects.filter(name="坏台账").exists()
    assert AuditRecord.objects.count() == before


def test_unknown_units_and_people_are_listed_not_guessed(orgtree):
    data = workbook([task("1", "任务", "无此单位", 牵头领导="无此人(处长)")])
    report = run(data, Options(plan_name="p", owner_unit=orgtree.office), actor=orgtree.admin)
    assert report.unknown == {"units": ["无此单位"], "people": ["无此人"]}
    assert {e["column"] for e in report.errors} == {"责任单位", "牵头领导"}
    mapped = run(
        data,
        Options(
            plan_name="p",
            owner_unit=orgtree.office,
            unit_map={"无此单位": orgtree.a.pk},
            person_map={"无此人": orgtree.leader_a.pk},
        ),
        actor=orgtree.admin,
        commit=True,
    )
    assert mapped.errors == []
    made = Task.objects.get()
    assert made.primary_unit == orgtree.a and made.lead_leader == orgtree.leader_a


def test_a_file_that_is_not_a_workbook_is_refused_cleanly(orgtree):
    report = run(
        b"this is not a workbook",
        Options(plan_name="p", owner_unit=orgtree.office),
        actor=orgtree.admin,
    )
    assert len(report.errors) == 1 and report.errors[0]["row"] == 0
    assert Task.objects.count() == 0


def test_an_edited_copy_updates_the_tasks_it_identifies(orgtree):
    rows = [task("1", "任务甲", GOOD_UNIT), task("2", "任务乙", GOOD_UNIT, "2026-09-30")]
    opts = Options(plan_name="编辑测试", owner_unit=orgtree.office)
    run(workbook(rows), opts, actor=orgtree.admin, commit=True)
    first = Task.objects.get(no="1")
    rows[0][7] = "2026-07-31"
    rows[1][4] = "乙局一处"
    rows.append(task("3", "任务丙", GOOD_UNIT, "年底前"))
    report = run(workbook(rows), opts, actor=orgtree.admin, commit=True)
    assert (report.new, report.changed, report.unchanged) == (1, 2, 0)
    changed = {o["no"]: o["changed"] for o in report.outcomes if o["outcome"] == "changed"}
    assert changed == {"1": ["deadline"], "2": ["responsible_units"]}
    first.refresh_from_db()
    assert str(first.deadline) == "2026-07-31" and first.version == 2
    assert Task.objects.get(no="2").primary_unit == orgtree.b1
    rec = AuditRecord.objects.filter(
        object_type="ledger.task", object_id=str(first.pk), action="import_update"
    ).get()
    assert rec.changes["deadline"] == ["2026-06-30", "2026-07-31"]
