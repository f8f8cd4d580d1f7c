"""Export: the import layout back, dates as dates, no formulas, and a round trip that changes
nothing."""

import datetime as dt
import io
from pathlib import Path

import openpyxl
from django.core.management import call_command

from luoshi.core.actors import system_actor
from luoshi.ledger import services
from luoshi.ledger.exporter import LEDGER_HEADER, export_plans
from luoshi.ledger.importer.service import Options, run
from luoshi.ledger.models import Plan, Task

EXAMPLE = Path(__file__).parent / "data" / "ledger-example.xlsx"


def _import(orgtree):
    run(
        EXAMPLE.read_bytes(),
        Options(plan_name="示例台账", owner_unit=orgtree.office, create_missing=True),
        actor=orgtree.admin,
        commit=True,
    )
    return Plan.objects.get(name="示例台账")


def _rows(data):
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    return ws, [list(r) for r in ws.iter_rows(values_only=True)]


def test_export_has_the_layout_dates_and_progress_columns(orgtree):
    plan = _import(orgtree)
    task = Task.objects.get(plan=plan, no="2")
    services.update_task(
        task,
        actor=system_actor(),
        version=task.version,
        progress="已开通15条",
        problems='=HYPERLINK("x")',
        percent=50,
    )
    ws, rows = _rows(export_plans(Plan.objects.filter(pk=plan.pk), Task.objects.all()))
    header = rows[2]
    assert header[: len(LEDGER_HEADER)] == list(LEDGER_HEADER)
    assert {"进展情况", "存在问题", "下步计划", "完成%"} <= set(header)
    assert ws.freeze_panes == "C4"
    by_no = {r[0]: dict(zip(header, r, strict=False)) for r in rows[3:] if r[1]}
    assert list(by_no) == ["1", "1.1", "1.2", "2", "3", "4", "5"]
    assert by_no["3"]["完成时限"] == dt.datetime(2026, 9, 30)
    assert by_no["4"]["完成时限"] == "长期坚持"
    assert by_no["3"]["责任单位"] == "市城乡交通运输发展中心、章丘区交通运输局"
    assert by_no["2"]["进展情况"] == "已开通15条" and by_no["2"]["完成%"] == 50
    assert by_no["1"]["时间节点"] == "2026-03-31 完成招标；2026-06-30 开工；2026-11-30 完工"
    # The text that looks like a formula is stored as text, never as a formula.
    cell = next(c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("x")')
    assert cell.data_type == "s"
    sections = [r[0] for r in rows[3:] if r[0] and "、" in str(r[0])]
    assert sections == [
        "一、交通基础设施建设(3项)",
        "二、公共交通服务提升(2项)",
        "三、行业治理(2项)",
    ]


def test_exported_file_reimports_unchanged(orgtree, tmp_path):
    plan = _import(orgtree)
    out = tmp_path / "out.xlsx"
    call_command("export_ledger", str(out), "--plan", plan.name)
    report = run(
        out.read_bytes(),
        Options(plan_name=plan.name, year=2026, owner_unit=orgtree.office),
        actor=orgtree.admin,
    )
    assert report.errors == []
    assert (report.new, report.changed, report.unchanged) == (0, 0, 7)


def test_the_export_says_statuses_and_lights_in_the_words_of_the_pages():
    """One vocabulary: the export's 状态 and 亮灯 cells read as the pages show them in zh-hans
    (未启动, not 未开始 on paper and 未启动 on screen)."""
    from django.utils import translation

    from luoshi.ledger.exporter import STATUS_ZH
    from luoshi.ledger.models import TaskStatus

    with translation.override("zh-hans"):
        assert {k: str(TaskStatus(k).label) for k in STATUS_ZH} == dict(STATUS_ZH)
