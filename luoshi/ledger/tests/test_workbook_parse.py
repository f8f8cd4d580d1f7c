"""Reading a ledger workbook and parsing its sheets: the shapes LEDGER_FORMAT.md describes.

Pure tests (no database): `pytest -p no:django --noconftest` runs them without Django (the root
conftest.py imports the ORM)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from luoshi.core import xlsx
from luoshi.core.xlsx import (
    SheetData,
    WorkbookError,
    check_archive,
    fill_merged,
    read_workbook,
    safe_cell,
)
from luoshi.ledger import dates
from luoshi.ledger.importer import parse
from luoshi.ledger.importer.parse import (
    Leader,
    RowError,
    find_year,
    parse_sheet,
    parse_workbook,
)
from luoshi.ledger.tests import workbooks as wb
from luoshi.ledger.tests.workbooks import HEADER, ledger, sheet, task

D = dt.date
MiB = 1024 * 1024


def only(parsed_sheets):
    assert len(parsed_sheets) == 1
    return parsed_sheets[0]


def errors(parsed):
    return [(e.row, e.column, e.value, e.reason) for e in parsed.errors]


def by_no(parsed):
    return {t.no: t for t in parsed.tasks}


# --- the example workbook ----------------------------------------------------------------


def test_example_workbook():
    p = only(parse_workbook(read_workbook(wb.EXAMPLE)))
    assert p.errors == [] and p.warnings == []
    assert (p.title, p.year, p.header_row, p.numbering) == (
        "2026年市交通运输局重点工作任务台账",
        2026,
        3,
        "through",
    )
    assert p.categories == ["交通基础设施建设", "公共交通服务提升", "行业治理"]
    rows = [
        (
            t.row,
            t.no,
            t.key,
            t.parent_key,
            t.category,
            t.lead_leader.name,
            t.deadline,
            t.ongoing,
            t.responsible_units,
        )
        for t in p.tasks
    ]
    assert rows == [
        (
            5,
            "1",
            "1",
            None,
            "交通基础设施建设",
            "张建国",
            D(2026, 11, 30),
            False,
            ["市公路事业发展中心"],
        ),
        (
            6,
            "1.1",
            "1.1",
            "1",
            "交通基础设施建设",
            "张建国",
            D(2026, 3, 31),
            False,
            ["市公路事业发展中心"],
        ),
        (
            7,
            "1.2",
            "1.2",
            "1",
            "交通基础设施建设",
            "张建国",
            D(2026, 6, 30),
            False,
            ["市公路事业发展中心"],
        ),
        (
            9,
            "2",
            "2",
            None,
            "公共交通服务提升",
            "李红梅",
            D(2026, 12, 31),
            False,
            ["市公共交通集团"],
        ),
        (
            10,
            "3",
            "3",
            None,
            "公共交通服务提升",
            "李红梅",
            D(2026, 9, 30),
            False,
            ["市城乡交通运输发展中心", "章丘区交通运输局"],
        ),
        (12, "4", "4", None, "行业治理", "刘志强", None, True, ["市交通运输执法支队"]),
        (
            13,
            "5",
            "5",
            None,
            "行业治理",
            "刘志强",
            D(2026, 9, 30),
            False,
            ["市交通运输局行政审批处"],
        ),
    ]
    t = by_no(p)
    # 张建国 is written once, in a cell merged over rows 5-7.
    assert t["1.1"].lead_leader == t["1.2"].lead_leader == Leader("张建国", "副局长")
    assert [(m.date, m.name) for m in t["1"].milestones] == [
        (D(2026, 3, 31), "完成招标"),
        (D(2026, 6, 30), "开工"),
        (D(2026, 11, 30), "完工"),
    ]
    assert t["1"].cooperating_units == ["历城区交通运输局", "市城乡交通运输发展中心"]
    assert (t["1"].target, t["1"].measure, t["1"].key_task, t["1"].frequency) == (
        Decimal(12),
        "公里",
        True,
        "monthly",
    )
    assert (t["3"].key_task, t["3"].frequency, t["3"].notes) == (True, "quarterly", "镇村公交")
    assert (t["4"].deadline_text, t["4"].frequency) == ("长期坚持", "weekly")
    assert (t["5"].target, t["5"].measure, t["2"].key_task) == (Decimal(50), "%", False)
    assert p.columns["responsible_units"] == "责任单位"
    assert p.columns["deadline"] == "完成时限"


def test_numbering_restarting_per_section(tmp_path):
    p = only(parse_workbook(read_workbook(wb.per_section_copy(tmp_path / "ps.xlsx"))))
    assert p.errors == [] and p.numbering == "per_section"
    assert [(t.no, t.key, t.parent_key) for t in p.tasks] == [
        ("1", "交通基础设施建设|1", None),
        ("1.1", "交通基础设施建设|1.1", "交通基础设施建设|1"),
        ("1.2", "交通基础设施建设|1.2", "交通基础设施建设|1"),
        ("1", "公共交通服务提升|1", None),
        ("2", "公共交通服务提升|2", None),
        ("1", "行业治理|1", None),
        ("2", "行业治理|2", None),
    ]
    through = only(parse_workbook(read_workbook(wb.EXAMPLE)))
    assert [(t.title, t.deadline, t.category) for t in p.tasks] == [
        (t.title, t.deadline, t.category) for t in through.tasks
    ]


def test_faulty_workbook_one_error_per_fault(tmp_path):
    p = only(parse_workbook(read_workbook(wb.faulty(tmp_path / "bad.xlsx"))))
    assert errors(p) == [
        (5, "任务名称", "", "title is missing"),
        (6, "完成时限", "2026-02-30", "impossible date 2026-02-30"),
        (7, "责任单位", "", "no responsible unit"),
        (8, "目标值", "约三十", "target is not a number"),
        (9, "序号", "3", "duplicate No. 3 (also on row 6)"),
    ]
    assert {e.sheet for e in p.errors} == {"台账"}
    assert len(p.tasks) == 6  # rows in error are still reported, for the dry run


def test_all_faults_of_a_row_are_reported():
    p = parse_sheet(
        ledger(
            task(
                "",
                "",
                unit="",
                deadline="尽快",
                是否重点="也许",
                目标值="约30",
                调度频次="看情况",
                具体内容="x",
            )
        )
    )
    assert [(e.row, e.column) for e in p.errors] == [
        (3, "序号"),
        (3, "任务名称"),
        (3, "责任单位"),
        (3, "完成时限"),
        (3, "是否重点"),
        (3, "目标值"),
        (3, "调度频次"),
    ]


# --- header ------------------------------------------------------------------------------


def test_english_headers_in_any_order():
    header = [
        "Task",
        "No.",
        "Deadline",
        "Responsible unit",
        "Cooperating units",
        "Lead leader",
        "Owner",
        "Key",
        "Target",
        "Measure",
        "Frequency",
        "Notes",
        "Milestones",
        "Content",
    ]
    p = parse_sheet(
        sheet(
            [
                ["2026 work plan"],
                header,
                [
                    "Build roads",
                    1,
                    "2026-06-30",
                    "Road Centre; Transit Group",
                    "District A",
                    "Zhang",
                    "Wang",
                    "Y",
                    "12.5",
                    "km",
                    "monthly",
                    "n",
                    "2026-03-31 tender",
                    "12 km",
                ],
            ]
        ),
        year=2026,
    )
    assert p.errors == [] and p.header_row == 2
    t = p.tasks[0]
    assert (t.no, t.title, t.deadline, t.responsible_units, t.cooperating_units) == (
        "1",
        "Build roads",
        D(2026, 6, 30),
        ["Road Centre", "Transit Group"],
        ["District A"],
    )
    assert (t.lead_leader, t.owner, t.key_task, t.target, t.measure, t.frequency) == (
        Leader("Zhang", ""),
        "Wang",
        True,
        Decimal("12.5"),
        "km",
        "monthly",
    )
    assert (t.notes, t.content, [m.name for m in t.milestones]) == ("n", "12 km", ["tender"])


def test_english_names_under_chinese_ones():
    p = parse_sheet(
        ledger(
            ["No.", "Task", "Responsible unit", "Deadline"],
            [1, "任务", "市发改委", "年底前"],
            header=["序号", "任务名称", "责任单位", "完成时限"],
        )
    )
    assert p.errors == [] and p.header_row == 2
    assert [(t.row, t.no, t.title) for t in p.tasks] == [(4, "1", "任务")]


def test_header_spelling_is_forgiving():
    header = [
        " 序  号 ",
        "任务\n名称",
        "*责任单位",
        "完成时限（年月日）",
        "联系人及电话",
        "佐证材料",
    ]
    p = parse_sheet(
        sheet([header, [1, "任务", "市发改委", "2026-06-30", "王磊 123", "照片"]]), year=2026
    )
    assert p.errors == []
    assert p.columns == {
        "no": "序号",
        "title": "任务名称",
        "responsible_units": "*责任单位",
        "deadline": "完成时限（年月日）",
        "owner": "联系人及电话",
    }
    assert p.tasks[0].owner == "王磊 123"
    assert p.tasks[0].extra == {"佐证材料": "照片"}
    assert p.extra_columns == ["佐证材料"]


def test_lead_unit_beside_responsible_unit():
    p = parse_sheet(
        ledger(
            [1, "任务", "市发改委", "市财政局、市商务局", "年底前"],
            header=["序号", "任务名称", "牵头单位", "责任单位", "完成时限"],
        )
    )
    assert p.errors == []
    t = p.tasks[0]
    assert (t.responsible_units, t.cooperating_units) == (["市发改委"], ["市财政局", "市商务局"])
    assert (p.columns["responsible_units"], p.columns["cooperating_units"]) == (
        "牵头单位",
        "责任单位",
    )


def test_bare_unit_column_is_a_measure_beside_the_target():
    p = parse_sheet(
        ledger(
            [1, "新建学校", "市教育局", "年底前", 3, "所"],
            header=["序号", "任务名称", "责任单位", "完成时限", "目标值", "单位"],
        )
    )
    assert p.errors == []
    assert (p.tasks[0].target, p.tasks[0].measure) == (Decimal(3), "所")


def test_two_row_header():
    rows = [
        [wb.TITLE],
        ["序号", "任务名称", "责任单位", "", "", "完成时限", "时间节点", ""],
        ["", "", "牵头单位", "配合单位", "责任人", "", "上半年", "下半年"],
        [1, "任务", "市发改委", "市财政局", "王磊", "年底前", "完成30%", "完成100%"],
    ]
    merged = [(0, 0, 0, 7), (1, 0, 2, 0), (1, 1, 2, 1), (1, 2, 1, 4), (1, 5, 2, 5), (1, 6, 1, 7)]
    p = parse_sheet(sheet(rows, merged))
    assert p.errors == [] and p.header_row == 2
    t = p.tasks[0]
    assert (t.row, t.responsible_units, t.cooperating_units, t.owner) == (
        4,
        ["市发改委"],
        ["市财政局"],
        "王磊",
    )
    assert [(m.date, m.name, m.expected_pct) for m in t.milestones] == [
        (D(2026, 6, 30), "完成30%", 30.0),
        (D(2026, 12, 31), "完成100%", 100.0),
    ]
    assert (p.columns["responsible_units"], p.columns["owner"]) == (
        "责任单位/牵头单位",
        "责任单位/责任人",
    )


def test_no_number_column_and_no_unit_column():
    p = parse_sheet(ledger(["任务", "年底前", "王磊"], header=["任务名称", "完成时限", "责任人"]))
    assert errors(p) == [(2, "", "", "no 序号 (No.) column: tasks cannot be identified")]
    assert [w.reason for w in p.warnings] == [
        "no 责任单位 (responsible unit) column: the tasks have no responsible unit"
    ]
    assert [(t.no, t.title, t.deadline) for t in p.tasks] == [("", "任务", D(2026, 12, 31))]


def test_ragged_rows():
    p = parse_sheet(
        SheetData(
            "s",
            [
                [wb.TITLE],
                ["序号", "任务名称", "责任单位", "完成时限"],
                [1, "任务", "市发改委"],
                [2],
            ],
        )
    )
    assert [(t.no, t.deadline) for t in p.tasks] == [("1", None)]


def test_rectification_ledger():
    header = [
        "序号",
        "问题",
        "整改措施",
        "整改时限",
        "责任领导",
        "责任部门",
        "佐证材料",
        "整改情况",
        "状态",
    ]
    p = parse_sheet(
        ledger(
            [
                1,
                "台账更新不及时",
                "每周更新",
                "立行立改",
                "王强（副主任）",
                "办公室",
                "截图",
                "已更新",
                "已整改",
            ],
            [
                2,
                "制度不健全",
                "修订制度",
                "2026年10月底以前",
                "王强（副主任）",
                "法规科",
                "",
                "",
                "持续整改",
            ],
            header=header,
            title="2026年巡察反馈问题整改清单",
        ),
        handoff_date=D(2026, 3, 2),
    )
    assert p.errors == []
    a, b = p.tasks
    assert (a.title, a.content, a.deadline, a.lead_leader, a.responsible_units) == (
        "台账更新不及时",
        "每周更新",
        D(2026, 3, 2),
        Leader("王强", "副主任"),
        ["办公室"],
    )
    assert (a.extra, a.progress, a.status_text, a.status) == (
        {"佐证材料": "截图"},
        "已更新",
        "已整改",
        "done",
    )
    assert (b.deadline, b.status) == (D(2026, 10, 31), "in_progress")


def test_sheet_without_header_is_not_a_ledger():
    other = sheet([["说明"], ["本表为填报说明，无需导入"]], name="说明")
    p = parse_sheet(other)
    assert p.header_row == 0 and p.tasks == []
    assert [e.reason for e in p.errors] == [
        "no header row found: expected columns such as 序号 and 任务名称"
    ]
    parsed = parse_workbook([other, ledger(task(1, "任务"))])
    assert [s.sheet for s in parsed] == ["台账"]


def test_several_sheets_each_a_ledger(tmp_path):
    rows = [[wb.TITLE], HEADER, task(1, "甲")]
    path = wb.write(
        tmp_path / "two.xlsx",
        rows,
        more={"第二季度": [[wb.TITLE], HEADER, task(1, "乙")], "字典": [["单位"], ["市发改委"]]},
    )
    parsed = parse_workbook(read_workbook(path))
    assert [(s.sheet, [t.title for t in s.tasks]) for s in parsed] == [
        ("台账", ["甲"]),
        ("第二季度", ["乙"]),
    ]


# --- shapes ------------------------------------------------------------------------------


def test_repeated_header_footer_and_blank_rows_are_not_tasks():
    p = parse_sheet(
        ledger(
            task(1, "甲"),
            [""] * len(HEADER),
            HEADER,  # printed page break
            task(2, "乙"),
            ["填表人：张三        联系电话：0531-12345678"],
            ["审核人：李四"],
            [3, "签字栏之后的内容不是任务"],
        )
    )
    assert p.errors == [] and p.warnings == []
    assert [(t.row, t.no) for t in p.tasks] == [(3, "1"), (6, "2")]


def test_unnumbered_section_and_total_rows():
    p = parse_sheet(
        ledger(
            ["重点项目（2项）"],
            task(1, "甲"),
            task(2, "乙", 目标值=3),
            ["合计", "", "", "", "", "", "", "", "", "", 3],
            merged=[(2, 0, 2, 13)],
        )
    )
    assert p.errors == [] and p.warnings == []
    assert (p.categories, [t.category for t in p.tasks]) == (["重点项目"], ["重点项目"] * 2)


def test_category_column():
    header = ["序号", "任务名称", "责任单位", "事项类别"]
    alone = parse_sheet(
        ledger(
            [1, "甲", "市发改委", "交通"],
            [2, "乙", "市发改委", "交通"],
            [1, "丙", "市发改委", "治理"],
            header=header,
        )
    )
    assert (alone.numbering, alone.categories) == ("per_section", ["交通", "治理"])
    assert [(t.key, t.category) for t in alone.tasks] == [
        ("交通|1", "交通"),
        ("交通|2", "交通"),
        ("治理|1", "治理"),
    ]
    with_sections = parse_sheet(
        ledger(["一、交通"], [1, "甲", "市发改委", "批示件"], header=header)
    )
    t = with_sections.tasks[0]
    assert (t.category, t.extra, with_sections.extra_columns) == (
        "交通",
        {"事项类别": "批示件"},
        ["事项类别"],
    )


def test_column_number_row_under_header_is_skipped():
    p = parse_sheet(ledger(list(range(1, len(HEADER) + 1)), task(1, "甲")))
    assert p.errors == [] and [t.no for t in p.tasks] == ["1"]


def test_outline_numbering():
    header = ["序号", "任务名称", "责任单位", "完成时限"]
    rows = [
        ["一、经济发展"],
        ["（一）", "工业发展"],
        ["1.", "工业技改", "市工信局", "6月底前"],
        ["(1)", "技改项目A", "市工信局", "3月底前"],
        ["(2)", "技改项目B", "市工信局", "6月底前"],
        ["2.", "工业园区", "市工信局", "年底前"],
        ["（二）服务业"],  # a heading merged across the row
        ["1、", "商贸流通", "市商务局", "年底前"],
        ["二、社会民生（共2项）"],
        ["（一）", "教育", "市教育局", "年底前"],
        ["1", "新建学校", "市教育局", "9月底前"],
    ]
    p = parse_sheet(ledger(*rows, header=header, merged=[(8, 0, 8, 3)]))
    assert p.errors == [] and p.warnings == []
    assert (p.numbering, p.categories) == ("outline", ["经济发展", "社会民生"])
    assert [(t.no, t.parent_key, t.title, t.category) for t in p.tasks] == [
        ("1.1", None, "工业发展", "经济发展"),
        ("1.1.1", "1.1", "工业技改", "经济发展"),
        ("1.1.1.1", "1.1.1", "技改项目A", "经济发展"),
        ("1.1.1.2", "1.1.1", "技改项目B", "经济发展"),
        ("1.1.2", "1.1", "工业园区", "经济发展"),
        ("1.2", None, "服务业", "经济发展"),
        ("1.2.1", "1.2", "商贸流通", "经济发展"),
        ("2.1", None, "教育", "社会民生"),
        ("2.1.1", "2.1", "新建学校", "社会民生"),
    ]
    # The grouping rows carry no unit of their own: their subtasks do.
    assert p.tasks[0].responsible_units == [] and p.tasks[5].responsible_units == []


def test_section_count_mismatch_is_a_warning():
    p = parse_sheet(
        ledger(
            ["一、交通基础设施建设(3项)"],
            task(1, "甲"),
            task(2, "乙"),
            ["二、公共交通服务提升（共2项）"],
            task(3, "丙"),
            task("3.1", "丙一"),
            ["三、行业治理（1项）"],
            task(4, "丁"),
            task("4.1", "丁一"),
        )
    )
    assert p.errors == []
    assert [(w.row, w.column, w.value, w.reason) for w in p.warnings] == [
        (3, "", "一、交通基础设施建设(3项)", "section says 3 tasks but 2 rows follow")
    ]
    assert p.categories == ["交通基础设施建设", "公共交通服务提升", "行业治理"]


def test_section_row_with_number_and_name_in_separate_cells():
    p = parse_sheet(
        ledger(["一", "交通基础设施建设"], task(1, "甲"), ["二", "行业治理"], task(2, "乙"))
    )
    assert p.errors == []
    assert [(t.no, t.category) for t in p.tasks] == [("1", "交通基础设施建设"), ("2", "行业治理")]


def test_sub_rows_under_one_merged_number():
    rows = [
        task(1, "道路建设", unit="市公路中心", deadline="6月底前", 备注="一期"),
        task("", "", unit="市城乡中心", deadline="9月底前", 备注="二期"),
        task(2, "公交线路"),
    ]
    # 序号 and 任务名称 merged over Excel rows 3-4.
    p = parse_sheet(ledger(*rows, merged=[(2, 0, 3, 0), (2, 1, 3, 1)]))
    assert p.errors == []
    one, two = p.tasks
    assert (one.no, one.rows, one.title, one.responsible_units) == (
        "1",
        [3, 4],
        "道路建设",
        ["市公路中心", "市城乡中心"],
    )
    assert (one.deadline, one.deadline_text, one.notes) == (
        D(2026, 9, 30),
        "6月底前\n9月底前",
        "一期\n二期",
    )
    assert (two.no, two.row) == ("2", 5)


@pytest.mark.parametrize(
    ("nos", "numbering", "expected"),
    [
        # numbering runs through, subtasks inside
        ([1, 2, "2.1", "2.2", "2.2.1", 3], "through", []),
        # calamine hands numbers over as floats; "1." and "1、" are the same No.
        (
            [1.0, "2.", "3、", "３"],
            "through",
            [(6, "序号", "３", "duplicate No. 3 (also on row 5)")],
        ),
        (["1", "1.2.1"], "through", [(4, "序号", "1.2.1", "parent No. 1.2 not found")]),
        ([1, 2, 2], "through", [(5, "序号", "2", "duplicate No. 2 (also on row 4)")]),
        (
            [1, 1.1, 1.1],
            "through",
            [
                (
                    5,
                    "序号",
                    "1.1",
                    "duplicate No. 1.1 (also on row 4); the cell "
                    "holds a number, so 1.10 reads as 1.1: format 序号 as text",
                )
            ],
        ),
        ([1, "", 2], "through", [(4, "序号", "", "No. is missing")]),
        ([1, "A-1"], "through", [(4, "序号", "A-1", "No. is not a number like 1 or 1.2")]),
        # Item numbers of any length, as text or as numbers (long sections of a 100,000-task
        # ledger).
        (["9999", "10000", "10000.1", 123456, "1234567", "1234567.12345"], "through", []),
        (["一", "(一)", "(12345)"], "outline", []),
    ],
)
def test_numbering(nos, numbering, expected):
    p = parse_sheet(ledger(*[task(no, f"任务{i}") for i, no in enumerate(nos)]))
    assert (p.numbering, errors(p)) == (numbering, expected)


def test_per_section_scope():
    p = parse_sheet(
        ledger(
            ["一、甲类"],
            task(1, "a"),
            task(2, "b"),
            ["二、乙类"],
            task(1, "c"),
            task("2.1", "d"),
            task(1, "e"),
        )
    )
    assert p.numbering == "per_section"
    assert errors(p) == [
        (8, "序号", "2.1", "parent No. 2 not found"),
        (9, "序号", "1", "duplicate No. 1 (also on row 7)"),
    ]


def test_through_numbering_typo_after_section_is_a_duplicate_not_a_restart():
    p = parse_sheet(ledger(["一、甲类"], task(1, "a"), task(2, "b"), ["二、乙类"], task(2, "c")))
    assert p.numbering == "through"
    assert errors(p) == [(7, "序号", "2", "duplicate No. 2 (also on row 5)")]


# --- cells -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "attrs"),
    [
        ({"目标值": "30"}, {"target": Decimal(30), "measure": ""}),
        ({"目标值": "30.5"}, {"target": Decimal("30.5")}),
        ({"目标值": "1,200"}, {"target": Decimal(1200)}),
        ({"目标值": 1200.0}, {"target": Decimal(1200)}),
        ({"目标值": "30所"}, {"target": Decimal(30), "measure": "所"}),
        ({"目标值": "30所", "计量单位": "所"}, {"target": Decimal(30), "measure": "所"}),
        ({"目标值": "50%"}, {"target": Decimal(50), "measure": "%"}),
        ({"是否重点": "√"}, {"key_task": True}),
        ({"是否重点": "★"}, {"key_task": True}),
        ({"是否重点": "Y"}, {"key_task": True}),
        ({"是否重点": 1}, {"key_task": True}),
        ({"是否重点": "重点"}, {"key_task": True}),
        ({"是否重点": "否"}, {"key_task": False}),
        ({"是否重点": "n"}, {"key_task": False}),
        ({"是否重点": "×"}, {"key_task": False}),
        ({"是否重点": ""}, {"key_task": False}),
        ({"调度频次": "每周"}, {"frequency": "weekly"}),
        ({"调度频次": "每季度"}, {"frequency": "quarterly"}),
        ({"牵头领导": "张三（副局长）"}, {"lead_leader": Leader("张三", "副局长")}),
        ({"牵头领导": "张三(副局长)"}, {"lead_leader": Leader("张三", "副局长")}),
        ({"牵头领导": "张三"}, {"lead_leader": Leader("张三", "")}),
        (
            {"配合单位": "市财政局，市商务局;市税务局；市统计局/市审计局\n市国资委"},
            {
                "cooperating_units": [
                    "市财政局",
                    "市商务局",
                    "市税务局",
                    "市统计局",
                    "市审计局",
                    "市国资委",
                ]
            },
        ),
        (
            {"责任单位": "市财政局、市发改委（牵头）"},
            {"responsible_units": ["市发改委", "市财政局"]},
        ),
        (
            {"配合单位": "市委办公室（市委机要局、市保密局）、市财政局等"},
            {"cooperating_units": ["市委办公室（市委机要局、市保密局）", "市财政局"]},
        ),
        ({"具体内容": "  第一段\n\u3000第二段  "}, {"content": "第一段\n第二段"}),
        ({"完成时限": "5月底前动工"}, {"deadline": D(2026, 5, 31), "deadline_label": "动工"}),
        ({"完成时限": D(2026, 7, 1)}, {"deadline": D(2026, 7, 1), "deadline_text": "2026-07-01"}),
        ({"完成时限": dt.datetime(2026, 7, 1)}, {"deadline": D(2026, 7, 1)}),
        ({"完成时限": "常态化"}, {"deadline": None, "ongoing": True}),
        ({"完成时限": ""}, {"deadline": None, "ongoing": False, "deadline_text": ""}),
        ({"完成时限": "30日内"}, {"deadline": D(2026, 2, 14)}),
    ],
)
def test_cells(cells, attrs):
    row = task(1, "任务", **{"完成时限": "年底前", **cells})
    p = parse_sheet(ledger(row), handoff_date=D(2026, 1, 15))
    assert p.errors == []
    t = p.tasks[0]
    assert {name: getattr(t, name) for name in attrs} == attrs


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ({"目标值": "约30"}, "目标值", "target is not a number"),
        ({"目标值": "30以上"}, "目标值", "target is not a number"),
        ({"目标值": "20-30"}, "目标值", "target is not a number"),
        (
            {"目标值": "30万元", "计量单位": "亿元"},
            "目标值",
            "target unit 万元 differs from measure 亿元",
        ),
        ({"是否重点": "一半"}, "是否重点", "key task must be 是 or 否 (also √, Y/N, ★)"),
        (
            {"完成时限": "每月25日前"},
            "完成时限",
            "'每月25日前' is a reporting frequency (monthly), not a deadline",
        ),
        ({"完成时限": "2026-13-01"}, "完成时限", "impossible date: month 13"),
        ({"完成时限": "尽快"}, "完成时限", "unrecognised date text"),
        ({"调度频次": "看情况"}, "调度频次", "unrecognised reporting frequency '看情况'"),
        (
            {"时间节点": "3月底前 完成招标；择机开工"},
            "时间节点",
            "milestone '择机开工': unrecognised date text",
        ),
    ],
)
def test_cell_errors(cells, column, reason):
    value = next(v for k, v in cells.items() if k == column)
    p = parse_sheet(ledger(task(1, "任务", **cells)))
    assert errors(p) == [(3, column, value, reason)]


def test_several_lead_leaders_warns_and_takes_the_first():
    p = parse_sheet(ledger(task(1, "任务", 牵头领导="张三（副局长）、李四（副局长）")))
    assert p.errors == []
    assert p.tasks[0].lead_leader == Leader("张三", "副局长")
    assert [w.reason for w in p.warnings] == [
        "several lead leaders (张三, 李四): 张三 taken as the lead"
    ]


@pytest.mark.parametrize(
    ("column", "text", "status"),
    [
        ("状态", "已完成", "done"),
        ("状态", "已办结", "done"),
        ("状态", "销号", "done"),
        ("状态", "已整改", "done"),
        ("状态", "已完成（12月20日）", "done"),
        ("状态", "正在办理", "in_progress"),
        ("状态", "持续整改", "in_progress"),
        ("状态", "推进中", "in_progress"),
        ("状态", "未完成", "not_started"),
        ("状态", "未开始", "not_started"),
        ("状态", "看情况", None),
        ("完成状态", "已完成80%", None),
        ("是否完成", "是", "done"),
        ("进展情况", "已办结", "done"),
        ("进展情况", "已完成招标，正在施工", None),
    ],
)
def test_status_in_words(column, text, status):
    header = ["序号", "任务名称", "责任单位", "完成时限", column]
    p = parse_sheet(ledger([1, "任务", "市发改委", "年底前", text], header=header))
    t = p.tasks[0]
    assert p.errors == []
    assert t.status == status
    if column == "进展情况":
        assert (t.progress, t.status_text) == (text, "")
    else:
        assert t.status_text == text


def test_progress_and_source_columns():
    header = [
        "序号",
        "任务名称",
        "责任单位",
        "完成时限",
        "进展情况",
        "存在问题",
        "下步计划",
        "来源",
        "文号",
        "交办时间",
    ]
    p = parse_sheet(
        ledger(
            [
                1,
                "任务",
                "市发改委",
                "交办后7日内",
                "已完成调研",
                "资金缺口",
                "争取资金",
                "批示",
                "市政办〔2026〕12号",
                "2026-03-02",
            ],
            header=header,
        )
    )
    assert p.errors == []
    t = p.tasks[0]
    assert (t.progress, t.problems, t.next_steps, t.status) == (
        "已完成调研",
        "资金缺口",
        "争取资金",
        None,
    )
    assert (t.source_kind, t.source_ref, t.source_date) == (
        "批示",
        "市政办〔2026〕12号",
        D(2026, 3, 2),
    )
    assert t.deadline == D(2026, 3, 9)  # counted from 交办时间, not the import date


# --- year --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "year"),
    [
        ([["2026年市交通运输局重点工作任务台账"]], 2026),
        ([["附件1"], ["二〇二五年度工作要点任务分解表"]], 2025),
        ([["市交通运输局重点工作任务台账"], ["填报时间：2025年12月20日"]], None),
        ([["重点工作台账"], HEADER, ["1", "2027年完成"]], None),
    ],
)
def test_find_year(rows, year):
    assert find_year(rows) == year


def test_year_argument_wins_over_title():
    p = parse_sheet(ledger(task(1, "任务", deadline="6月底前")), year=2027)
    assert (p.year, p.tasks[0].deadline) == (2027, D(2027, 6, 30))


def test_year_unknown():
    p = parse_sheet(
        ledger(
            task(1, "甲", deadline="6月底前"),
            task(2, "乙", deadline="2026-06-30"),
            title="重点工作任务台账",
        )
    )
    assert p.year is None
    assert errors(p) == [(3, "完成时限", "6月底前", "year unknown: give the plan's year")]
    assert p.tasks[1].deadline == D(2026, 6, 30)


def test_year_from_sheet_name():
    p = parse_sheet(
        SheetData(
            "2026年台账", ledger(task(1, "甲", deadline="6月底前"), title="重点工作任务台账").rows
        )
    )
    assert (p.year, p.tasks[0].deadline) == (2026, D(2026, 6, 30))


# --- reading workbooks -------------------------------------------------------------------


def test_read_workbook_values_merges_and_trimming(tmp_path):
    path = wb.write(
        tmp_path / "v.xlsx",
        [
            ["标题"],
            [1, 1.5, D(2026, 6, 30), dt.datetime(2026, 6, 30, 9, 30), True, "  文本 "],
            [],
            [],
            ["", "尾"],
            [],
            [],
        ],
        merges=("A1:F1", "B5:C6"),
    )
    (s,) = read_workbook(path)
    assert s.rows == [
        ["标题", "", "", "", "", ""],
        [1, 1.5, D(2026, 6, 30), dt.datetime(2026, 6, 30, 9, 30), True, "  文本 "],
        ["", "", "", "", "", ""],
        ["", "", "", "", "", ""],
        ["", "尾", "", "", "", ""],
    ]
    assert type(s.rows[1][0]) is int
    assert sorted(s.merged) == [(0, 0, 0, 5), (4, 1, 5, 2)]
    assert read_workbook(path.read_bytes())[0].rows == s.rows


def test_fill_merged():
    s = SheetData(
        "s", [["a", "", "x"], ["", "", "y"], ["b", "c", ""]], merged=[(0, 0, 1, 1), (2, 1, 3, 2)]
    )
    assert fill_merged(s) == [["a", "a", "x"], ["a", "a", "y"], ["b", "c", "c"]]
    assert s.rows[1] == ["", "", "y"]  # the sheet itself is untouched


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "the file is empty"),
        (b"hello, world", "not an .xlsx workbook (nor .xls or .ods)"),
        (
            b"<html><table><tr><td>1</td></tr></table></html>",
            "not a real workbook: a web page or XML file saved as .xls; "
            "open it in Excel and save it as .xlsx",
        ),
    ],
)
def test_not_a_workbook(data, message):
    with pytest.raises(WorkbookError) as exc:
        read_workbook(data)
    assert str(exc.value) == message


def test_other_zip_documents_and_damaged_files():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    with pytest.raises(WorkbookError, match="^not an .xlsx workbook: a Word document$"):
        read_workbook(buf.getvalue())
    good = wb.EXAMPLE.read_bytes()
    with pytest.raises(WorkbookError, match="^not a readable workbook: the file is damaged"):
        read_workbook(good[: len(good) // 2])


def test_password_protected_workbook():
    ole2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500 + "EncryptionInfo".encode("utf-16-le")
    with pytest.raises(WorkbookError, match="^the workbook is password-protected"):
        read_workbook(ole2)


def test_hidden_sheets_are_flagged(tmp_path):
    book = openpyxl.Workbook()
    book.active["A1"] = "台账"
    book.create_sheet("字典").sheet_state = "hidden"
    book.save(tmp_path / "h.xlsx")
    assert [(s.name, s.hidden) for s in read_workbook(tmp_path / "h.xlsx")] == [
        ("Sheet", False),
        ("字典", True),
    ]


def test_size_cap():
    with pytest.raises(WorkbookError, match=r"^workbook too large \(.* MiB > 0 MiB\)$"):
        read_workbook(wb.EXAMPLE.read_bytes(), max_bytes=1000)
    with pytest.raises(WorkbookError, match="^workbook too large"):
        read_workbook(wb.EXAMPLE, max_bytes=1000)


def test_zip_bomb_is_refused_before_parsing(monkeypatch):
    def must_not_parse(*args, **kwargs):
        raise AssertionError("calamine was reached")

    monkeypatch.setattr(
        xlsx.python_calamine.CalamineWorkbook, "from_filelike", must_not_parse, raising=False
    )
    bomb = wb.zip_bomb(210 * MiB)
    assert len(bomb) < 1 * MiB
    with pytest.raises(
        WorkbookError, match=r"^workbook too large when unpacked \(210 MiB > 200 MiB\)$"
    ):
        read_workbook(bomb)
    # The same bomb with a directory claiming 1000 bytes per entry: inflating tells the truth.
    with pytest.raises(WorkbookError, match=r"^workbook too large when unpacked \(over 200 MiB\)$"):
        read_workbook(wb.understate_sizes(bomb))


def test_check_archive_limits():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for i in range(6):
            z.writestr(f"part{i}.xml", "<x/>")
    with pytest.raises(WorkbookError, match=r"^workbook has too many parts \(6 > 5\)"):
        check_archive(buf.getvalue(), max_entries=5)
    check_archive(buf.getvalue(), max_entries=6)
    check_archive(wb.EXAMPLE.read_bytes())


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+86 531", "'+86 531"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd|' /C calc'!A0", "'\t=cmd|' /C calc'!A0"),
        ("\r=1", "'\r=1"),
        ("张三=李四", "张三=李四"),
        ("", ""),
        (-5, -5),
        (3.5, 3.5),
        (None, None),
        (D(2026, 6, 30), D(2026, 6, 30)),
    ],
)
def test_safe_cell(value, safe):
    assert safe_cell(value) == safe


def test_safe_cell_survives_openpyxl(tmp_path):
    book = openpyxl.Workbook()
    book.active["A1"] = safe_cell('=HYPERLINK("http://x")')
    book.save(tmp_path / "out.xlsx")
    cell = openpyxl.load_workbook(tmp_path / "out.xlsx").active["A1"]
    assert (cell.data_type, cell.value) == ("s", '\'=HYPERLINK("http://x")')


def test_row_error_shape():
    e = RowError(3, "完成时限", "x", "unrecognised date text")
    assert (e.row, e.column, e.value, e.reason, e.sheet) == (
        3,
        "完成时限",
        "x",
        "unrecognised date text",
        "",
    )
    assert (e.template, e.params) == ("", {})


def test_row_errors_carry_their_template_and_params():
    """Every reason is a template (parse's or the date readers') and params, for translation."""
    p = only(
        parse_workbook(
            [
                ledger(
                    task("1", "正常", deadline="2026-06-30"),
                    task("2", "", deadline="2026-02-30"),
                    task("2", "重复", deadline="6月31日"),
                    task("3", "目标", 目标值="约三十"),
                )
            ]
        )
    )
    assert p.errors
    for e in p.errors:
        assert e.template in parse.TEMPLATES or e.template in dates.TEMPLATES
        assert e.template % e.params == e.reason
    by_reason = {e.reason: e for e in p.errors}
    e = by_reason["impossible date 2026-02-30"]
    assert (e.template, e.params) == (dates.IMPOSSIBLE_DATE, {"date": "2026-02-30"})
    e = by_reason["duplicate No. 2 (also on row 4)"]
    assert (e.template, e.params) == (parse.DUPLICATE_NUMBER, {"no": "2", "row": 4})
    assert by_reason["title is missing"].template == parse.TITLE_MISSING
