"""One user journey in a real Chromium: a supervisor imports the example workbook, finds a task in
the ledger, opens it, and exports the plan back to Excel.

Run: .venv/bin/pytest luoshi/ledger/tests/test_browser_import.py -q   (screenshots: test-artifacts/)
"""

import datetime as dt
import os
import re
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse
from playwright.sync_api import expect

from conftest import PASSWORD
from luoshi.ledger.exporter import LEDGER_HEADER
from luoshi.ledger.models import Plan, Task

from .browser import (
    ARTIFACTS,
    PHONE,
    login_through_form,
)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

EXAMPLE = Path(__file__).parent / "data" / "ledger-example.xlsx"
PLAN = "2026年市交通运输局重点工作任务台账"
TASKS = [  # (序号, 任务名称) as in the workbook, in ledger order
    ("1", "济南东站综合枢纽配套道路建设"),
    ("1.1", "完成施工招标"),
    ("1.2", "主体工程开工"),
    ("2", "新辟优化公交线路"),
    ("3", "农村客运公交化改造"),
    ("4", "交通运输领域安全生产专项整治"),
    ("5", "“放管服”改革事项办理时限压缩"),
]
NEW_UNITS = [
    "市公路事业发展中心",
    "市公共交通集团",
    "市城乡交通运输发展中心",
    "市交通运输执法支队",
    "市交通运输局行政审批处",
    "历城区交通运输局",
    "章丘区交通运输局",
]
NEW_PEOPLE = ["张建国", "李红梅", "刘志强", "王磊", "赵敏", "孙涛", "陈晨", "周洁"]


def _shot(page, name: str, full_page: bool = True) -> None:
    page.screenshot(path=str(ARTIFACTS / f"import-{name}.png"), full_page=full_page)


def _ledger_rows(page):
    return page.locator("#ledger-table tbody tr")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_supervisor_imports_searches_opens_and_exports(browser_page, orgtree):  # noqa: F811
    page = browser_page

    # --- log in, plans, import ---------------------------------------------------------------
    login_through_form(page, "supervisor", PASSWORD)
    page.goto("/plans/")
    page.locator("#import-link").click()
    expect(page).to_have_url(re.compile(r"/import/$"))
    form = page.locator("#import-form")
    form.locator("input[name=file]").set_input_files(str(EXAMPLE))
    form.locator("input[name=plan_name]").fill(PLAN)
    form.locator("input[name=year]").fill("2026")
    form.locator("select[name=owner_unit]").select_option(label="督查室")
    page.locator("#import-upload").click()

    # --- preview: every name is unknown, so nothing may be confirmed yet ------------------------
    expect(page).to_have_url(re.compile(r"/import/\d+/$"))
    rows = page.locator("#import-rows tbody tr")
    expect(rows).to_have_count(7)
    expect(page.locator("#import-summary .fs-4").first).to_have_text("7")  # rows read
    for no, title in TASKS:
        expect(rows.filter(has_text=title).locator("td").nth(1)).to_have_text(no)
    # Unknown names are names to confirm (issue #8), not errors.
    expect(page.locator("#count-pending")).not_to_have_text("0")
    expect(page.locator("#pending-units")).to_contain_text("章丘区交通运输局")
    expect(page.locator("#import-confirm")).to_be_disabled()
    _shot(page, "1-preview-unknown-names")

    page.locator("#create-missing").click()
    expect(page).to_have_url(re.compile(r"/import/\d+/\?create=1$"))
    expect(page.locator("#count-errors")).to_have_text("0")
    expect(page.locator("#count-new")).to_have_text("7")
    expect(page.locator("#import-errors")).to_have_count(0)
    expect(rows).to_have_count(7)
    for name in NEW_UNITS + NEW_PEOPLE:
        expect(page.locator("main")).to_contain_text(name)  # "Will be created: …"
    expect(page.locator("#import-confirm")).to_be_enabled()
    assert not Plan.objects.filter(name=PLAN).exists()  # a preview writes nothing
    _shot(page, "2-preview")

    page.locator("#import-confirm").click()
    expect(page).to_have_url(re.compile(r"/plans/\d+/$"))
    expect(page.locator(".alert-success")).to_contain_text("7")
    plan = Plan.objects.get(name=PLAN, year=2026)
    assert page.url.rstrip("/").endswith(f"/plans/{plan.pk}")
    assert plan.owner_unit == orgtree.office
    db_tasks = list(Task.objects.filter(plan=plan).order_by("sort_key").values_list("no", "title"))
    assert db_tasks == TASKS

    # --- the ledger: search is live (htmx), then open the task ---------------------------------
    page.goto(reverse("ledger:task_list"))
    table = page.locator("#ledger-table")
    expect(_ledger_rows(page)).to_have_count(7)
    _shot(page, "3-ledger")

    # Live search: a typed key re-queries after a pause (keyup, delay 400ms); "5" finds task 5
    # by its No. (and its content "50%").
    search = page.locator("#id_q")
    search.press_sequentially("5")
    expect(_ledger_rows(page)).to_have_count(1)
    expect(table).to_contain_text("“放管服”改革事项办理时限压缩")
    # Playwright enters Chinese as inserted text (as a paste or some input methods do), without
    # the key events the live search listens for; Enter submits the filter form through htmx.
    search.fill("")
    search.press_sequentially("公交")
    search.press("Enter")
    expect(_ledger_rows(page)).to_have_count(2)
    expect(table).to_contain_text("新辟优化公交线路")
    expect(table).to_contain_text("农村客运公交化改造")
    expect(page).to_have_url(re.compile(r"[?&]q=%E5%85%AC%E4%BA%A4(&|$)"))  # pushed: q=公交

    search.fill("")
    search.press_sequentially("放管服")
    search.press("Enter")
    expect(_ledger_rows(page)).to_have_count(1)
    expect(table).to_contain_text("“放管服”改革事项办理时限压缩")
    expect(table).not_to_contain_text("农村客运公交化改造")
    expect(table).not_to_contain_text("新辟优化公交线路")
    expect(page).to_have_url(re.compile(r"[?&]q=%E6%94%BE%E7%AE%A1%E6%9C%8D(&|$)"))
    _shot(page, "4-ledger-search")

    table.get_by_role("link", name="“放管服”改革事项办理时限压缩").click()
    task5 = Task.objects.get(plan=plan, no="5")
    expect(page).to_have_url(re.compile(rf"/tasks/{task5.pk}/$"))
    expect(page.locator("h1")).to_contain_text("“放管服”改革事项办理时限压缩")
    fields = page.locator("dl.task-fields")
    assert task5.deadline == dt.date(2026, 9, 30)
    # The deadline's own field (the light's reasons, computed after the import, may quote it).
    expect(fields.locator("dd").filter(has_text=re.compile(r"^\s*2026-09-30"))).to_have_count(1)
    expect(fields).to_contain_text("市交通运输局行政审批处")
    expect(fields).to_contain_text("周洁")
    expect(fields).to_contain_text("承诺时限压缩50%")
    _shot(page, "5-task")

    # --- export the plan ---------------------------------------------------------------------
    page.goto(f"{reverse('ledger:task_list')}?plan={plan.pk}")
    expect(_ledger_rows(page)).to_have_count(7)
    export = page.locator("#export-link")
    expect(export).to_have_attribute("href", f"/export/?plan={plan.pk}")
    with page.expect_download() as info:
        export.click()
    download = info.value
    assert download.failure() is None
    assert download.suggested_filename.endswith(".xlsx")
    saved = ARTIFACTS / f"import-export-{download.suggested_filename}"
    download.save_as(saved)

    wb = openpyxl.load_workbook(saved)
    assert len(wb.worksheets) == 1
    ws = wb.worksheets[0]
    cells = [list(r) for r in ws.iter_rows()]
    assert cells[0][0].value == PLAN
    header_at = next(i for i, r in enumerate(cells) if r[0].value == "序号")
    header = [c.value for c in cells[header_at]]
    assert header[: len(LEDGER_HEADER)] == list(LEDGER_HEADER)
    deadline_col = header.index("完成时限")
    task_rows = [r for r in cells[header_at + 1 :] if r[1].value]  # category rows are merged
    assert [(r[0].value, r[1].value) for r in task_rows] == db_tasks == TASKS
    by_no = {r[0].value: r for r in task_rows}
    assert by_no["3"][deadline_col].value == dt.datetime(2026, 9, 30)
    assert by_no["3"][deadline_col].is_date
    assert by_no["4"][deadline_col].value == "长期坚持"
    assert by_no["5"][deadline_col].value == dt.datetime(2026, 9, 30)
    for row in cells:
        for c in row:
            assert c.data_type != "f" and not str(c.value or "").startswith("="), c.coordinate

    # --- the ledger on a phone --------------------------------------------------------------------
    page.set_viewport_size(PHONE)
    page.goto(f"{reverse('ledger:task_list')}?plan={plan.pk}")
    expect(_ledger_rows(page)).to_have_count(7)
    expect(page.locator("#ledger-table thead")).to_be_hidden()  # rows become cards
    expect(page.locator(".navbar-toggler")).to_be_visible()
    _shot(page, "6-ledger-phone")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the phone ledger scrolls sideways by {overflow}px"

    assert page.luoshi_errors == []
