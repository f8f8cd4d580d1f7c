"""Import reasons in the user's language: "reason" stays English (the --json contract), "message"
is the same reason translated when the report is made; every template is in the catalogue."""

import ast
import inspect
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from luoshi.ledger import dates
from luoshi.ledger.dates import DateParseError, Message, parse_deadline, parse_milestones
from luoshi.ledger.importer import messages, parse, service
from luoshi.ledger.importer.service import Options, run, translate_reason, workbook_reason
from luoshi.ledger.models import ImportBatch

from .workbook_factory import workbook
from .workbooks import task

GOOD_UNIT = "甲局一处"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


FAULTY = [
    ["一、测试类别(4项)"],
    task("1", "正常任务", GOOD_UNIT, "2026-06-30"),
    task("2", "", GOOD_UNIT, "2026-06-30"),
    task("3", "日期不存在", GOOD_UNIT, "2026-02-30"),
    task("4", "目标不是数", GOOD_UNIT, "2026-06-30", 目标值="约三十"),
    task("3", "序号重复", "无此单位", "2026-06-30"),
]


# --- the catalogue -------------------------------------------------------------------------


def test_every_template_is_in_the_catalogue_and_nothing_else():
    templates = [*dates.TEMPLATES, *parse.TEMPLATES, *service.TEMPLATES]
    assert len(templates) == len(set(templates))
    assert len(messages.CATALOGUE) == len(set(messages.CATALOGUE))
    assert set(messages.CATALOGUE) == set(templates)


# Where each module gives a reason: the call and the position of its reason argument.
REASON_ARG = {
    "DateParseError": 0,
    "Message": 0,
    "error": 3,
    "warn": 3,
    "_err": 3,
    "of": 3,
    "refuse": 3,
}


def _reason_args(module):
    tree = ast.parse(inspect.getsource(module))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        pos = REASON_ARG.get(name)
        if pos is not None and len(node.args) > pos:
            yield node.lineno, node.args[pos]


def _names(arg):
    if isinstance(arg, ast.IfExp):
        return [*_names(arg.body), *_names(arg.orelse)]
    return [arg.id] if isinstance(arg, ast.Name) else []


@pytest.mark.parametrize("module", [dates, parse, service], ids=lambda m: m.__name__)
def test_reasons_are_named_templates_never_inline_text(module):
    """An inline string or f-string would reach the user untranslated; a constant must be one
    of the module's TEMPLATES (and so, by the test above, in the catalogue)."""
    seen = 0
    for lineno, arg in _reason_args(module):
        inline = isinstance(arg, ast.JoinedStr | ast.BinOp) or (
            isinstance(arg, ast.Constant) and isinstance(arg.value, str)
        )
        assert not inline, f"{module.__name__}:{lineno}: inline reason text"
        for name in _names(arg):
            value = getattr(module, name, None)
            if name.isupper() and isinstance(value, str):
                assert value in module.TEMPLATES, f"{module.__name__}:{lineno}: {name}"
                seen += 1
    assert seen >= 7


def test_every_template_is_translated_with_the_same_placeholders():
    with translation.override("zh-hans"):
        for template in messages.CATALOGUE:
            translated = translation.gettext(template)
            assert translated != template, template
            assert re.search(r"[\u4e00-\u9fff]", translated), template
            names = PLACEHOLDER.findall(template)
            assert sorted(PLACEHOLDER.findall(translated)) == sorted(names), template
            translated % {name: "x" for name in names}  # fills without a stray %


# --- translating ---------------------------------------------------------------------------


def test_translate_reason_fills_the_translated_template():
    with translation.override("zh-hans"):
        assert translate_reason(dates.IMPOSSIBLE_DATE, {"date": "2026-02-30"}) == (
            "日期不存在：2026-02-30"
        )
        assert translate_reason(parse.TITLE_MISSING) == "缺少任务名称"
        assert translate_reason(dates.PERCENTAGE_OVER_100, {"pct": "120"}) == (
            "完成百分比120%超过了100%"
        )
    with translation.override("en"):
        assert translate_reason(dates.IMPOSSIBLE_DATE, {"date": "2026-02-30"}) == (
            "impossible date 2026-02-30"
        )
    assert translate_reason("") == ""


def test_wrapped_reasons_are_translated_inside_and_out():
    with pytest.raises(DateParseError) as milestone:
        parse_milestones("6月31日完成招标", year=2026)
    with pytest.raises(DateParseError) as frequency:
        parse_deadline("每月25日前", year=2026)
    assert str(milestone.value) == "milestone '6月31日完成招标': impossible date 2026-06-31"
    assert str(frequency.value) == (
        "'每月25日前' is a reporting frequency (monthly), not a deadline"
    )
    with translation.override("zh-hans"):
        m, f = milestone.value.message, frequency.value.message
        assert translate_reason(m.template, m.params) == (
            "时间节点“6月31日完成招标”：日期不存在：2026-06-31"
        )
        assert translate_reason(f.template, f.params) == (
            "“每月25日前”是报送频次（每月），不是完成时限"
        )


def test_a_translation_that_does_not_fit_falls_back_to_english(monkeypatch):
    monkeypatch.setattr(service, "gettext", lambda s: "坏的翻译 %(nope)s")
    assert translate_reason(dates.IMPOSSIBLE_DATE, {"date": "2026-02-30"}) == (
        "impossible date 2026-02-30"
    )


def test_workbook_errors_are_read_back_into_templates():
    reason = workbook_reason("not an .xlsx workbook: a Word document")
    assert reason == Message(
        "not an .xlsx workbook: %(kind)s", {"kind": Message("a Word document")}
    )
    assert str(reason) == "not an .xlsx workbook: a Word document"
    damaged = workbook_reason("not a readable workbook: the file is damaged (bad zip entry)")
    assert damaged.params == {"detail": "bad zip entry"}
    assert workbook_reason("something new (50%)") == "something new (50%)"
    with translation.override("zh-hans"):
        assert translate_reason(reason.template, reason.params) == (
            "不是 .xlsx 表格文件，而是Word 文档"
        )


@pytest.mark.parametrize(
    ("data", "english", "chinese"),
    [
        (b"", "the file is empty", "文件为空"),
        (b"<html><table></table></html>", "not a real workbook", "不是真正的表格文件"),
        (b"this is not a workbook", "not an .xlsx workbook", "不是 .xlsx 表格文件"),
    ],
)
def test_a_file_that_is_not_a_workbook_is_refused_in_chinese(orgtree, data, english, chinese):
    with translation.override("zh-hans"):
        report = run(data, Options(plan_name="p", owner_unit=orgtree.office), actor=orgtree.admin)
    [error] = report.errors
    assert error["reason"].startswith(english)
    assert error["message"].startswith(chinese)


# --- the report and the page -----------------------------------------------------------------


def _faulty(orgtree):
    opts = Options(plan_name="坏台账", owner_unit=orgtree.office)
    return run(workbook(FAULTY), opts, actor=orgtree.admin)


def test_faulty_workbook_errors_come_out_in_chinese_with_english_reasons(orgtree):
    with translation.override("zh-hans"):
        report = _faulty(orgtree)
    by_row = {}
    for e in report.errors:
        by_row.setdefault(e["row"], []).append(e)
    assert by_row[5][0]["reason"] == "title is missing"
    assert by_row[5][0]["message"] == "缺少任务名称"
    assert by_row[6][0]["reason"] == "impossible date 2026-02-30"
    assert by_row[6][0]["message"] == "日期不存在：2026-02-30"
    assert by_row[7][0]["message"] == "目标值不是数字"
    messages_8 = {e["message"] for e in by_row[8]}
    assert "序号3重复（第6行已使用）" in messages_8
    assert "系统中没有单位“无此单位”：请对应到已有单位，或新建该单位" in messages_8
    assert {e["reason"] for e in by_row[8]} == {
        "duplicate No. 3 (also on row 6)",
        "unknown unit “无此单位”: map it to an existing unit or create it",
    }
    [warning] = report.warnings
    assert warning["message"] == "分类标明4项任务，但其下实有5行"
    # The command line's --json keeps its English contract.
    summary = report.summary()
    assert all(set(e) == {"row", "column", "value", "reason"} for e in summary["errors"])
    assert "impossible date 2026-02-30" in {e["reason"] for e in summary["errors"]}


def test_messages_follow_the_active_language(orgtree):
    with translation.override("en"):
        report = _faulty(orgtree)
    assert all(e["message"] == e["reason"] for e in report.errors + report.warnings)


def test_preview_page_shows_the_reasons_in_chinese(orgtree, client):
    client.force_login(orgtree.supervisor)
    resp = client.post(
        "/import/",
        {
            "file": SimpleUploadedFile("bad.xlsx", workbook(FAULTY)),
            "plan_name": "坏台账",
            "year": 2026,
            "owner_unit": orgtree.office.pk,
        },
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert resp.status_code == 302, resp.content[:500]
    batch = ImportBatch.objects.get()
    page = client.get(f"/import/{batch.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert "日期不存在：2026-02-30" in html
    assert "缺少任务名称" in html
    assert "分类标明4项任务" in html
    assert "impossible date" not in html and "title is missing" not in html
    # The summary keeps the English reasons; showing the preview stored nothing.
    summary = page.context["report"].summary()
    assert "impossible date 2026-02-30" in {e["reason"] for e in summary["errors"]}
    batch.refresh_from_db()
    assert batch.report == {} and batch.mapping == {}
