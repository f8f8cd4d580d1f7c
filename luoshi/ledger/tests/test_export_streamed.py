"""Export streamed in chunks: the workbook users open is the ledger's layout whatever the chunk
size, text stays text, sheet names are ones Excel accepts, and a bad plan number is a 400."""

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from luoshi.core.actors import system_actor
from luoshi.ledger import exporter, services
from luoshi.ledger.exporter import HEADERS, export_plans
from luoshi.ledger.models import Plan, Task


def _plan(orgtree, name="2026年流式导出台账") -> Plan:
    actor = system_actor()
    plan = services.create_plan(actor=actor, name=name, year=2026, owner_unit=orgtree.office)
    infra = services.create_category(plan, actor=actor, name="基础设施")
    gov = services.create_category(plan, actor=actor, name="行业治理")
    rows = [
        ("1", infra, "修路", {"deadline": dt.date(2026, 6, 30), "percent": 0}),
        ("2", infra, "  前后有空格  ", {"target": Decimal("12.5"), "measure": "公里"}),
        ("3", infra, "控制\x01字符", {"ongoing": True, "extra": {"资金来源": "市级"}}),
        ("4", gov, '=HYPERLINK("x")', {"notes": "备注", "extra": {"联系电话": "123"}}),
        ("5", gov, "治理", {}),
    ]
    for no, cat, title, data in rows:
        task = services.create_task(
            plan,
            actor=actor,
            no=no,
            category=cat,
            title=title,
            responsible_units=[orgtree.a1, orgtree.b1],
            cooperating_units=[orgtree.b],
            **data,
        )
        services.create_milestone(task, actor=actor, date="2026-03-31", name="启动")
        services.create_milestone(
            task, actor=actor, date="2026-05-31", name="过半", expected_percent=50
        )
    return plan


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_the_streamed_workbook_has_the_ledger_layout(orgtree):
    plan = _plan(orgtree)
    ws = _sheet(export_plans(Plan.objects.filter(pk=plan.pk), Task.objects.all()))
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = rows[2]
    # The unknown columns follow the standard ones, in the order the ledger meets them.
    assert header == [*HEADERS, "资金来源", "联系电话"]
    assert rows[0][0] == plan.name and "A1:AD1" in {str(r) for r in ws.merged_cells.ranges}
    assert rows[1][0] == "填报单位:督查室    年度:2026年"
    assert ws.freeze_panes == "C4"
    assert ws.auto_filter.ref == f"A3:AD{len(rows)}"
    assert [r[0] for r in rows[3:] if "、" in str(r[0])] == [
        "一、基础设施(3项)",
        "二、行业治理(2项)",
    ]
    by_no = {r[0]: dict(zip(header, r, strict=True)) for r in rows[3:] if r[1]}
    assert by_no["1"]["完成时限"] == dt.datetime(2026, 6, 30)
    assert by_no["1"]["完成%"] == 0  # a zero is a number, not a blank
    assert by_no["2"]["任务名称"] == "  前后有空格  " and by_no["2"]["目标值"] == 12.5
    assert by_no["3"]["完成时限"] == "长期坚持" and by_no["3"]["资金来源"] == "市级"
    assert "控制" in by_no["3"]["任务名称"] and "字符" in by_no["3"]["任务名称"]
    assert by_no["4"]["联系电话"] == "123" and by_no["4"]["资金来源"] is None
    assert by_no["1"]["责任单位"] == "甲局一处、乙局一处" and by_no["1"]["配合单位"] == "乙局"
    assert by_no["5"]["时间节点"] == "2026-03-31 启动；2026-05-31 过半（完成50%）"
    # Text that looks like a formula stays text.
    cell = next(c for row in ws.iter_rows() for c in row if c.value == '=HYPERLINK("x")')
    assert cell.data_type == "s"
    # A blank cell of a task keeps the table's border; dates read as dates.
    blank = ws.cell(row=5, column=header.index("备注") + 1)
    assert blank.value is None and blank.border.left.style == "thin"
    assert ws.cell(row=5, column=header.index("完成时限") + 1).number_format == "yyyy-mm-dd"
    assert ws.column_dimensions["B"].width == pytest.approx(30.71, abs=0.01)


def test_the_workbook_is_the_same_whatever_the_chunk_size(orgtree, monkeypatch):
    """Units, milestones and category rows are read a chunk at a time; a chunk boundary in the
    middle of a category changes nothing."""
    plan = _plan(orgtree)
    plans, tasks = Plan.objects.filter(pk=plan.pk), Task.objects.all()
    whole = [list(r) for r in _sheet(export_plans(plans, tasks)).iter_rows(values_only=True)]
    monkeypatch.setattr(exporter, "CHUNK", 2)
    chunked = [list(r) for r in _sheet(export_plans(plans, tasks)).iter_rows(values_only=True)]
    assert chunked == whole and len(whole) == 3 + 2 + 5


def test_the_reader_sees_only_their_tasks_and_every_plan_gets_a_sheet(orgtree):
    plan = _plan(orgtree)
    other = _plan(orgtree, name="2026年第二个台账")
    services.deploy_plan(plan, actor=system_actor())
    services.deploy_plan(other, actor=system_actor())
    only_one = Task.objects.filter(no="1")
    wb = openpyxl.load_workbook(
        io.BytesIO(export_plans(Plan.objects.order_by("pk"), only_one)), read_only=True
    )
    assert wb.sheetnames == [plan.name, other.name]
    for ws in wb:
        titles = [r[1] for r in ws.iter_rows(min_row=4, values_only=True) if r[1]]
        assert titles == ["修路"]


@pytest.mark.parametrize(
    "name, expected",
    [
        ("'引号开头", "引号开头"),  # issue #12: Excel refuses a name starting with '
        ("引号结尾'", "引号结尾"),
        ("'''", "Sheet"),
        ("中间'引号", "中间'引号"),
        ("a/b:c?d", "a_b_c_d"),
        ("长" * 30 + "'x", "长" * 30),  # cut at 31, the cut leaving an apostrophe at the end
    ],
)
def test_sheet_names_are_ones_excel_accepts(name, expected):
    assert exporter._sheet_name(name, set()) == expected


def test_sheet_names_are_unique_regardless_of_case():
    used: set[str] = set()
    names = [exporter._sheet_name(n, used) for n in ("Plan", "plan", "PLAN")]
    assert names == ["Plan", "plan(2)", "PLAN(3)"]


def test_a_plan_named_with_apostrophes_exports(orgtree, client):
    plan = _plan(orgtree, name="'2026年'台账'")
    client.force_login(orgtree.admin)
    resp = client.get(reverse("ledger:export"), {"plan": plan.pk})
    assert resp.status_code == 200
    wb = openpyxl.load_workbook(io.BytesIO(b"".join(resp.streaming_content)))
    assert wb.sheetnames == ["2026年'台账"]
    assert wb.active["A1"].value == "'2026年'台账'"


def test_a_plan_that_is_not_a_number_is_a_bad_request(orgtree, client):
    client.force_login(orgtree.admin)
    resp = client.get(reverse("ledger:export"), {"plan": "abc"})
    assert resp.status_code == 400
    assert "abc" in resp.content.decode()


def test_the_export_answers_a_streamed_attachment(orgtree, client):
    plan = _plan(orgtree)
    client.force_login(orgtree.admin)
    resp = client.get(reverse("ledger:export"), {"plan": plan.pk})
    assert resp.streaming and resp["Content-Type"] == exporter.XLSX_CONTENT_TYPE
    assert resp["Content-Disposition"].startswith("attachment;")
    ws = _sheet(b"".join(resp.streaming_content))
    assert ws["A1"].value == plan.name
