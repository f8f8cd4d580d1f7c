"""What the rules need from the workbook: a task's start date and its % complete, under the
headers offices use, and the dry run saying which columns were kept as extra columns.

The % rule (parse.py, "% complete"): "55%", 55 and 0.55 all read 55; a number strictly between
0 and 1 is a fraction; a whole 1 is 100% only when every number in its column is 0-1 and the
header does not say "%", otherwise 1%."""

from __future__ import annotations

import datetime as dt
import io
import json

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import translation

from luoshi.ledger.importer import parse
from luoshi.ledger.importer.parse import RowError, parse_sheet
from luoshi.ledger.importer.service import Options, run, translate_reason
from luoshi.ledger.models import ImportBatch, Task

from .workbooks import TITLE, ledger

D = dt.date
UNIT = "甲局一处"
BASE = ["序号", "任务名称", "责任单位", "完成时限"]


def _parse(header: list[str], *rows: list[object]):
    """A sheet with BASE and `header` columns; each row is BASE's cells, then the others."""
    return parse_sheet(ledger(*rows, header=BASE + header))


def _row(no, *more, deadline="2026-12-31") -> list[object]:
    return [no, f"任务{no}", UNIT, deadline, *more]


def _xlsx(header: list[str], rows: list[list[object]], formats: dict[str, str] = ()) -> bytes:
    """A workbook with a title, BASE + header, rows; formats: header -> number format."""
    book = openpyxl.Workbook()
    ws = book.active
    ws.append([TITLE])
    ws.append(BASE + header)
    for row in rows:
        ws.append(row)
    for name, fmt in dict(formats).items():
        col = (BASE + header).index(name) + 1
        for r in range(3, 3 + len(rows)):
            ws.cell(row=r, column=col).number_format = fmt
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


# --- start date ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "计划开始时间",
        "开始时间",
        "开工时间",
        "计划开工时间",
        "开始日期",
        "计划开工日期",
        "计划开始时间（年月日）",
        "Start date",
    ],
)
def test_start_date_headers(header):
    p = _parse([header], _row(1, "2026-03-01"))
    assert p.errors == [] and p.extra_columns == []
    assert p.columns["start_date"] == header
    assert p.tasks[0].start_date == D(2026, 3, 1)


@pytest.mark.parametrize(
    "cell, start",
    [
        ("2026-03-01", D(2026, 3, 1)),
        ("2026年3月1日", D(2026, 3, 1)),
        (dt.datetime(2026, 3, 1), D(2026, 3, 1)),
        ("3月底前", D(2026, 3, 31)),
        ("一季度", D(2026, 3, 31)),
        ("", None),
    ],
)
def test_start_dates_are_read_as_deadlines_are(cell, start):
    p = _parse(["开始时间"], _row(1, cell))
    assert p.errors == []
    assert p.tasks[0].start_date == start


def test_start_after_the_deadline_is_an_error_for_that_row():
    p = _parse(["开始时间"], _row(1, "2026-07-01", deadline="6月底前"), _row(2, "2026-06-30"))
    assert p.errors == [
        RowError(
            3,
            "开始时间",
            "2026-07-01",
            "start 2026-07-01 is after the deadline 2026-06-30",
            "台账",
            parse.START_AFTER_DEADLINE,
            {"start": "2026-07-01", "deadline": "2026-06-30"},
        )
    ]
    assert p.tasks[1].start_date == D(2026, 6, 30)  # on the deadline is allowed


def test_a_start_date_must_be_a_date():
    p = _parse(["开始时间"], _row(1, "长期坚持"), _row(2, "下月"))
    assert [(e.row, e.column, e.value) for e in p.errors] == [
        (3, "开始时间", "长期坚持"),
        (4, "开始时间", "下月"),
    ]
    assert p.errors[0].reason == "a date is needed here, not ongoing work"
    assert p.errors[1].reason == "unrecognised date text"


# --- % complete ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header, field",
    [
        ("完成进度", "percent_or_progress"),
        ("完成比例", "percent"),
        ("完成率", "percent"),
        ("进度（%）", "percent"),
        ("进度(%)", "percent"),
        ("形象进度", "percent_or_progress"),
        ("完成%", "percent"),
        ("完成率（%）", "percent"),
        ("进度", "percent_or_progress"),
    ],
)
def test_percent_headers(header, field):
    p = _parse([header], _row(1, 55), _row(2, "55%"), _row(3, 0.55))
    assert p.errors == [] and p.extra_columns == []
    assert p.columns[field] == header
    assert [t.percent for t in p.tasks] == [55, 55, 55]


def test_the_three_forms_of_a_percent():
    p = _parse(
        ["完成比例"],
        _row(1, "55%"),
        _row(2, 55),
        _row(3, 0.55),
        _row(4, "０.５５"),
        _row(5, "５５％"),
        _row(6, "33.3%"),
        _row(7, 66.5),
        _row(8, "55 %"),
        _row(9, "-"),
        _row(10, ""),
    )
    assert p.errors == []
    assert [t.percent for t in p.tasks] == [55, 55, 55, 55, 55, 33, 67, 55, None, None]


@pytest.mark.parametrize(
    "header, cells, percents",
    [
        # Every number 0-1: a column of fractions, so 1 is 100%.
        ("完成比例", [0.5, 1, 0], [50, 100, 0]),
        ("完成比例", [1, 1], [100, 100]),
        # A number above 1 in the column: its numbers are percents, 1 is 1%.
        ("完成比例", [1, 55, 0.5], [1, 55, 50]),
        # A % sign is a percent whatever the column holds.
        ("完成比例", ["1%", 0.5], [1, 50]),
        # The header says "%": its numbers are percents (the export's own column).
        ("完成%", [1, 0.5], [1, 50]),
        ("进度（%）", [1, 0], [1, 0]),
    ],
)
def test_a_whole_one_is_a_fraction_only_in_a_column_of_fractions(header, cells, percents):
    p = _parse([header], *[_row(i + 1, c) for i, c in enumerate(cells)])
    assert p.errors == []
    assert [t.percent for t in p.tasks] == percents


def test_a_percent_outside_0_to_100_is_an_error_naming_the_cell():
    p = _parse(["完成率"], _row(1, 120), _row(2, "-5%"), _row(3, "150%"), _row(4, 100))
    assert [(e.row, e.column, e.value, e.reason) for e in p.errors] == [
        (3, "完成率", "120", "percent complete 120 is not between 0 and 100"),
        (4, "完成率", "-5%", "percent complete -5% is not between 0 and 100"),
        (5, "完成率", "150%", "percent complete 150% is not between 0 and 100"),
    ]
    assert p.tasks[3].percent == 100


def test_words_in_a_percent_column_are_an_error():
    p = _parse(["完成比例"], _row(1, "过半"))
    [error] = p.errors
    assert (error.row, error.column, error.value) == (3, "完成比例", "过半")
    assert error.reason == "percent complete is not a number: write 55%, 55 or 0.55"
    assert error.template == parse.PERCENT_NOT_NUMBER


def test_words_in_a_形象进度_column_are_progress_text():
    """形象进度 (and 完成进度, 进度) often says how far the work is in words: a number there is
    the % complete, words are kept as the task's progress text."""
    alone = _parse(["形象进度"], _row(1, "主体完工"), _row(2, "60%"))
    assert alone.errors == [] and alone.extra_columns == []
    assert [(t.percent, t.progress) for t in alone.tasks] == [(None, "主体完工"), (60, "")]
    beside = _parse(
        ["进展情况", "形象进度"], _row(1, "已完成招标", "主体完工"), _row(2, "已开工", 0.3)
    )
    assert beside.errors == []
    assert [(t.percent, t.progress) for t in beside.tasks] == [
        (None, "已完成招标\n形象进度：主体完工"),
        (30, "已开工"),
    ]
    # Out of range is an error there too.
    bad = _parse(["形象进度"], _row(1, "120%"))
    assert [(e.column, e.value) for e in bad.errors] == [("形象进度", "120%")]


def test_a_percent_column_beats_a_形象进度_one():
    p = _parse(["形象进度", "完成率"], _row(1, 30, 40), _row(2, 30, ""))
    assert [t.percent for t in p.tasks] == [40, 30]


def test_percent_formatted_cells_through_the_importer(orgtree):
    """Cells formatted as percentages hold fractions (0.55 shows as 55%, 1 as 100%)."""
    data = _xlsx(
        ["开工时间", "完成进度"],
        [
            _row(1, D(2026, 2, 1), 0.55),
            _row(2, D(2026, 3, 1), 1),
            _row(3, None, 0),
            _row(4, "2026/4/1", 0.305),
        ],
        formats={"完成进度": "0%"},
    )
    opts = Options(plan_name="进度台账", owner_unit=orgtree.office)
    report = run(data, opts, actor=orgtree.admin, commit=True)
    assert report.errors == [] and report.new == 4
    tasks = {t.no: t for t in Task.objects.filter(plan__name="进度台账")}
    assert {no: (t.start_date, t.percent) for no, t in tasks.items()} == {
        "1": (D(2026, 2, 1), 55),
        "2": (D(2026, 3, 1), 100),
        "3": (None, 0),
        "4": (D(2026, 4, 1), 31),
    }
    # Read again, nothing changes; a file without those columns leaves them as they are.
    again = run(data, opts, actor=orgtree.admin, commit=True)
    assert (again.new, again.changed, again.unchanged) == (0, 0, 4)
    bare = _xlsx([], [_row(1), _row(2), _row(3), _row(4)])
    assert run(bare, opts, actor=orgtree.admin).unchanged == 4
    run(bare, opts, actor=orgtree.admin, commit=True)
    assert Task.objects.get(plan__name="进度台账", no="2").percent == 100


def test_edited_percent_and_start_update_the_tasks_and_nothing_else(orgtree):
    opts = Options(plan_name="进度台账", owner_unit=orgtree.office)
    header = ["开始时间", "完成率", "进展情况"]
    run(
        _xlsx(header, [_row(1, "2026-01-05", "20%", "已启动"), _row(2, "", "", "已开工")]),
        opts,
        actor=orgtree.admin,
        commit=True,
    )
    edited = _xlsx(header, [_row(1, "2026-01-06", "20%", ""), _row(2, "", "35%", "")])
    report = run(edited, opts, actor=orgtree.admin, commit=True)
    changed = {o["no"]: o["changed"] for o in report.outcomes}
    assert changed == {"1": ["start_date"], "2": ["percent"]}
    tasks = {t.no: t for t in Task.objects.filter(plan__name="进度台账")}
    # An empty progress or % cell leaves the task's own as it was.
    assert (tasks["1"].start_date, tasks["1"].percent, tasks["1"].progress) == (
        D(2026, 1, 6),
        20,
        "已启动",
    )
    assert (tasks["2"].percent, tasks["2"].progress) == (35, "已开工")


def test_milestone_expected_percent_in_brackets_is_not_part_of_its_name():
    p = _parse(["时间节点"], _row(1, "2026-06-30 开工（完成30%）；9月底前 完成80%"))
    assert p.errors == []
    assert [(m.date, m.name, m.expected_pct) for m in p.tasks[0].milestones] == [
        (D(2026, 6, 30), "开工", 30.0),
        (D(2026, 9, 30), "完成80%", 80.0),
    ]


def test_new_reasons_are_translated():
    with translation.override("zh-hans"):
        assert translate_reason(parse.PERCENT_OUT_OF_RANGE, {"value": "120%"}) == (
            "完成百分比120%不在0到100之间"
        )
        assert translate_reason(parse.PERCENT_NOT_NUMBER) == (
            "完成百分比不是数字：请填写55%、55或0.55"
        )
        assert translate_reason(
            parse.START_AFTER_DEADLINE, {"start": "2026-07-01", "deadline": "2026-06-30"}
        ) == ("开始时间2026-07-01晚于完成时限2026-06-30")


# --- the columns kept as extra columns -----------------------------------------------------

# 佐证材料 is no field; 计划开工时间备注 and 完成时限说明 read as a second start date and a second
# deadline column, which are kept rather than read (the dry run shows it); one has no header.
EXTRA = ["开始时间", "完成率", "佐证材料", "计划开工时 间备注", "", "完成时限说明"]


def _with_extras() -> list[list[object]]:
    return [
        _row(1, "2026-02-01", "50%", "照片", "x", "", ""),
        _row(2, "", "", "", "", "无表头的值", ""),
    ]


def test_the_parser_lists_the_columns_it_kept():
    p = _parse(EXTRA, *_with_extras())
    assert p.errors == []
    # Headed columns are listed even when empty; a column without a header only with a value.
    assert p.extra_columns == ["佐证材料", "计划开工时间备注", "column I", "完成时限说明"]
    assert p.tasks[1].extra == {"column I": "无表头的值"}


def test_the_dry_run_report_and_json_list_the_kept_columns(orgtree, tmp_path, capsys):
    data = _xlsx(EXTRA, _with_extras())
    report = run(data, Options(plan_name="附加列", owner_unit=orgtree.office), actor=orgtree.admin)
    assert report.errors == []
    assert report.extra_columns == ["佐证材料", "计划开工时间备注", "column I", "完成时限说明"]
    assert report.summary()["extra_columns"] == report.extra_columns

    path = tmp_path / "ledger.xlsx"
    path.write_bytes(data)
    call_command("import_ledger", str(path), "--plan", "附加列", "--json")
    out = json.loads(capsys.readouterr().out)
    assert out["extra_columns"] == report.extra_columns
    assert {"rows", "new", "changed", "unchanged", "categories", "errors", "created"} <= set(out)
    call_command("import_ledger", str(path), "--plan", "附加列")
    text = capsys.readouterr().out
    assert "kept as extra columns: 佐证材料, 计划开工时间备注, column I, 完成时限说明" in text


def test_no_kept_columns_no_new_key(orgtree):
    data = _xlsx(["开始时间"], [_row(1, "2026-02-01")])
    report = run(
        data, Options(plan_name="无附加列", owner_unit=orgtree.office), actor=orgtree.admin
    )
    assert report.extra_columns == [] and "extra_columns" not in report.summary()


def test_the_preview_page_shows_the_kept_columns(orgtree, client):
    client.force_login(orgtree.supervisor)
    resp = client.post(
        "/import/",
        {
            "file": SimpleUploadedFile("extra.xlsx", _xlsx(EXTRA, _with_extras())),
            "plan_name": "附加列",
            "year": 2026,
            "owner_unit": orgtree.office.pk,
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert resp.status_code == 302, resp.content[:500]
    batch = ImportBatch.objects.get()
    html = client.get(f"/import/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'id="import-extra-columns"' in html
    assert "以下列作为附加列保留" in html
    assert "佐证材料、计划开工时间备注、column I、完成时限说明" in html
