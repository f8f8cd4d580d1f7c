"""The example workbook users bring (shared/design/ledger-example.xlsx), through the importer."""

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from luoshi.core.audit import verify_chain
from luoshi.core.models import AuditRecord
from luoshi.ledger.importer.service import Options, run
from luoshi.ledger.models import Assignment, Category, Milestone, Plan, Task

from .workbook_factory import example_restarting_numbering

EXAMPLE = Path(__file__).parent / "data" / "ledger-example.xlsx"
PLAN = "2026年市交通运输局重点工作任务台账"


def _opts(orgtree, **kw):
    return Options(plan_name=PLAN, owner_unit=orgtree.office, create_missing=True, **kw)


def test_dry_run_reads_the_example_without_errors(orgtree):
    report = run(EXAMPLE.read_bytes(), _opts(orgtree), actor=orgtree.admin)
    assert report.errors == []
    assert (report.rows, report.new, report.categories) == (7, 7, 3)
    assert report.year == 2026
    assert not report.committed
    assert Task.objects.count() == 0 and Plan.objects.count() == 0
    assert sorted(report.created["units"]) == sorted(
        [
            "市公路事业发展中心",
            "历城区交通运输局",
            "市城乡交通运输发展中心",
            "市公共交通集团",
            "章丘区交通运输局",
            "市交通运输执法支队",
            "市交通运输局行政审批处",
        ]
    )
    assert sorted(report.created["people"]) == sorted(
        ["张建国", "王磊", "李红梅", "赵敏", "孙涛", "刘志强", "陈晨", "周洁"]
    )


def test_commit_writes_the_ledger_as_the_workbook_says(orgtree):
    report = run(EXAMPLE.read_bytes(), _opts(orgtree), actor=orgtree.admin, commit=True)
    assert report.committed and report.errors == []
    plan = Plan.objects.get(name=PLAN, year=2026)
    assert list(Category.objects.filter(plan=plan).values_list("name", flat=True)) == [
        "交通基础设施建设",
        "公共交通服务提升",
        "行业治理",
    ]
    tasks = {
        t.no: t
        for t in Task.objects.filter(plan=plan).select_related("parent", "lead_leader", "category")
    }
    assert sorted(tasks) == ["1", "1.1", "1.2", "2", "3", "4", "5"]
    assert [tasks["1.1"].parent.no, tasks["1.2"].parent.no] == ["1", "1"]
    assert Task.objects.filter(parent=tasks["1"]).count() == 2
    # The merged lead-leader cell applies to the subtasks it spans.
    assert tasks["1.1"].lead_leader.full_name == "张建国"
    assert tasks["1.2"].lead_leader == tasks["1"].lead_leader
    assert tasks["1"].lead_leader.title == "副局长"
    # Deadlines as people write them.
    assert tasks["1.2"].deadline == dt.date(2026, 6, 30)  # 6月底前
    assert tasks["3"].deadline == dt.date(2026, 9, 30)  # 第三季度
    assert tasks["2"].deadline == dt.date(2026, 12, 31)  # 年底前
    assert tasks["4"].deadline is None and tasks["4"].ongoing  # 长期坚持
    assert tasks["1.1"].deadline == dt.date(2026, 3, 31)
    assert tasks["5"].deadline == dt.date(2026, 9, 30)
    # Task 3 has two responsible units, the first leading.
    resp = list(
        Assignment.objects.filter(task=tasks["3"], role="responsible")
        .order_by("position")
        .values_list("unit__name", flat=True)
    )
    assert resp == ["市城乡交通运输发展中心", "章丘区交通运输局"]
    assert tasks["3"].primary_unit.name == "市城乡交通运输发展中心"
    # Three milestones on task 1.
    ms = list(Milestone.objects.filter(task=tasks["1"]).values_list("date", "name"))
    assert ms == [
        (dt.date(2026, 3, 31), "完成招标"),
        (dt.date(2026, 6, 30), "开工"),
        (dt.date(2026, 11, 30), "完工"),
    ]
    assert tasks["1"].target == Decimal("12") and tasks["1"].measure == "公里"
    assert tasks["3"].key_task and not tasks["2"].key_task
    assert tasks["4"].notes == "百日行动"
    assert tasks["4"].frequency == "weekly"
    # Every written task has its audit record, and the chain holds.
    assert (
        AuditRecord.objects.filter(object_type="ledger.task", action="import_create").count() == 7
    )
    assert verify_chain()[0]


def test_reimporting_the_same_file_changes_nothing(orgtree):
    run(EXAMPLE.read_bytes(), _opts(orgtree), actor=orgtree.admin, commit=True)
    versions = dict(Task.objects.values_list("no", "version"))
    audit_count = AuditRecord.objects.count()
    again = run(EXAMPLE.read_bytes(), _opts(orgtree), actor=orgtree.admin, commit=True)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 7)
    assert again.created == {"units": [], "people": []}
    assert dict(Task.objects.values_list("no", "version")) == versions
    # Only the import's own summary record is added.
    assert AuditRecord.objects.count() == audit_count + 1


def test_numbering_restarting_in_each_section_imports_the_same_tasks(orgtree):
    data = example_restarting_numbering(EXAMPLE)
    report = run(data, _opts(orgtree), actor=orgtree.admin, commit=True)
    assert report.errors == []
    assert (report.rows, report.new, report.categories) == (7, 7, 3)
    plan = Plan.objects.get(name=PLAN)
    assert plan.numbering == "per_section"
    got = sorted(Task.objects.filter(plan=plan).values_list("category__name", "no", "title"))
    assert ("行业治理", "2", "“放管服”改革事项办理时限压缩") in got
    assert ("公共交通服务提升", "1", "新辟优化公交线路") in got
    assert (
        Task.objects.get(plan=plan, title="主体工程开工").parent.title
        == "济南东站综合枢纽配套道路建设"
    )
    again = run(data, _opts(orgtree), actor=orgtree.admin, commit=True)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 7)


def test_import_command_prints_the_json_contract(orgtree, capsys):
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_ledger", str(EXAMPLE), "--plan", PLAN, "--json")
    assert exit_info.value.code == 1  # unknown units and people without --create-missing
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {
        "rows",
        "new",
        "changed",
        "unchanged",
        "categories",
        "errors",
        "created",
        "committed",
        "collective",  # 各区县交通运输局: the units it stands for (none in this tree)
    }
    assert out["collective"] == {"各区县交通运输局": []}
    assert out["committed"] is False and out["errors"]
    assert all(set(e) == {"row", "column", "value", "reason"} for e in out["errors"])
    assert {"row": 10, "column": "责任单位", "value": "章丘区交通运输局"}.items() <= {
        k: v
        for e in out["errors"]
        for k, v in e.items()
        if e["row"] == 10 and e["column"] == "责任单位"
    }.items()

    call_command(
        "import_ledger",
        str(EXAMPLE),
        "--plan",
        PLAN,
        "--json",
        "--create-missing",
        "--owner-unit",
        "督查室",
        "--commit",
    )
    out = json.loads(capsys.readouterr().out)
    assert out["committed"] is True and out["new"] == 7 and out["errors"] == []
    assert len(out["created"]["units"]) == 7 and len(out["created"]["people"]) == 8
    assert Task.objects.count() == 7
