"""On a phone-sized page in a real Chromium: the task form's unit pickers search and keep their
order (the lead unit first, reordered with ↑), saved and shown again in that order; the ledger's
进展情况 cell opens in place; the status filter takes several values and 逾期.

Run: .venv/bin/pytest luoshi/ledger/tests/test_browser_task_form.py -q
(screenshots: test-artifacts/task-form-*.png)
"""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from luoshi.core.actors import system_actor
from luoshi.ledger import services
from luoshi.ledger.models import Assignment, Task

from .browser import ARTIFACTS, DESKTOP, PHONE, login_through_form

PROGRESS = (
    "主体结构已封顶，正在进行内部装修和机电设备安装调试，预计下月完成竣工验收并交付使用。" * 2
)


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"task-form-{name}.png"), full_page=True)


def _units(task) -> list[str]:
    return list(
        Assignment.objects.filter(task=task, role=Assignment.Role.RESPONSIBLE)
        .order_by("position")
        .values_list("unit__name", flat=True)
    )


@pytest.fixture
def task(orgtree):
    today = timezone.localdate()
    plan = services.create_plan(
        actor=system_actor(), name="单位选择计划", year=today.year, owner_unit=orgtree.office
    )
    task = services.create_task(
        plan,
        actor=system_actor(),
        title="道路改造",
        responsible_units=[orgtree.a1, orgtree.b1],
        deadline=today - dt.timedelta(days=3),
        status="in_progress",
    )
    services.create_task(
        plan,
        actor=system_actor(),
        title="按期推进",
        responsible_units=[orgtree.a1],
        deadline=today + dt.timedelta(days=30),
    )
    services.record_progress(task, actor=system_actor(), at=timezone.now(), progress=PROGRESS)
    return Task.objects.get(pk=task.pk)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_unit_picker_searches_and_keeps_order_on_a_phone(browser_page, orgtree, task):
    page = browser_page
    page.set_viewport_size(PHONE)
    login_through_form(page, "supervisor", PASSWORD)

    page.goto(reverse("ledger:task_edit", args=[task.pk]))
    picker = page.locator(".unit-picker-lead")
    expect(picker).to_be_visible()
    items = picker.locator(".ts-control > .item")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text("甲局一处")  # in the saved order, the lead first
    expect(items.nth(1)).to_contain_text("乙局一处")
    # The native multi-select is replaced, not shown beside the picker.
    expect(page.locator("select[name=responsible_units]")).to_have_class(
        re.compile(r"\bts-hidden-accessible\b")
    )
    _shot(page, "1-opened")

    # Search: typing part of a name offers the units that match, and only those.
    picker.locator(".ts-control input").click()
    picker.locator(".ts-control input").press_sequentially("乙")
    dropdown = picker.locator(".ts-dropdown")
    expect(dropdown.locator(".option")).to_have_count(1)  # 乙局 (乙局一处 is chosen already)
    expect(dropdown).to_contain_text("乙局")
    _shot(page, "2-search")
    dropdown.locator(".option", has_text="乙局").click()
    expect(items).to_have_count(3)
    expect(items.nth(2)).to_contain_text("乙局")

    # Reorder on a phone: ↑ moves a unit one place earlier; twice makes 乙局 the lead.
    items.nth(2).locator(".ts-move").click()
    expect(items.nth(1)).to_contain_text("乙局")
    items.nth(1).locator(".ts-move").click()
    expect(items.nth(0)).to_contain_text("乙局")
    expect(items.nth(0)).not_to_contain_text("一处")
    expect(items.nth(0).locator(".ts-move")).to_be_hidden()  # the first has nowhere to go
    _shot(page, "3-reordered")

    page.locator("form button.btn-primary").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task.pk}/$"))
    assert _units(task) == ["乙局", "甲局一处", "乙局一处"]
    assert Task.objects.get(pk=task.pk).primary_unit == orgtree.b

    # Opened again, the picker shows the order saved.
    page.goto(reverse("ledger:task_edit", args=[task.pk]))
    expect(items).to_have_count(3)
    for i, name in enumerate(["乙局", "甲局一处", "乙局一处"]):
        expect(items.nth(i)).to_have_text(re.compile(rf"{name}(?!一处)|{name}$"))
    # Saving without touching the units leaves them (and their hand-off) as they are.
    page.locator("form button.btn-primary").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task.pk}/$"))
    assert _units(task) == ["乙局", "甲局一处", "乙局一处"]
    assert not page.luoshi_errors, page.luoshi_errors


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ledger_on_a_phone_progress_opens_in_place_and_filters_take_several_values(
    browser_page, orgtree, task
):
    page = browser_page
    page.set_viewport_size(PHONE)
    login_through_form(page, "supervisor", PASSWORD)
    page.goto(reverse("ledger:task_list"))
    rows = page.locator("#ledger-table tbody tr")
    expect(rows).to_have_count(2)

    late = rows.filter(has_text="道路改造")
    expect(late.locator(".overdue-badge")).to_be_visible()
    expect(rows.filter(has_text="按期推进").locator(".overdue-badge")).to_have_count(0)

    cell = late.locator(".progress-cell")
    full = cell.locator(".full")
    expect(full).to_be_hidden()  # shortened at first
    expect(cell.locator(".short")).to_be_visible()
    _shot(page, "4-ledger-phone")
    cell.locator("summary").click()
    expect(full).to_be_visible()
    expect(full).to_contain_text("预计下月完成竣工验收并交付使用")
    expect(cell.locator(".short")).to_be_hidden()
    # The whole text fits the phone's width: it wraps, nothing runs off the page.
    box = full.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    _shot(page, "5-progress-open")
    cell.locator("summary").click()
    expect(full).to_be_hidden()

    # The task page says it too.
    late.locator("a", has_text="道路改造").click()
    expect(page.locator("#task-overdue")).to_be_visible()
    _shot(page, "5b-task-page-phone")
    page.go_back()
    expect(rows).to_have_count(2)

    # 逾期 as one choice: the table follows (htmx) and the URL says so.
    page.locator("label[for=filter-overdue]").click()
    expect(rows).to_have_count(1)
    expect(page).to_have_url(re.compile(r"[?&]overdue=true(&|$)"))
    page.locator("label[for=filter-overdue]").click()
    expect(rows).to_have_count(2)

    # Several statuses: 未启动 and 推进中 together.
    page.locator("#filter-status summary").click()
    page.locator("label[for=status-not_started]").click()
    expect(rows).to_have_count(1)  # 按期推进 has not started
    page.locator("label[for=status-in_progress]").click()
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"status=not_started.*status=in_progress"))
    _shot(page, "6-status-filter")
    panel = page.locator("#filter-status .filter-multi-panel").bounding_box()
    assert panel and panel["x"] + panel["width"] <= PHONE["width"]  # on the screen
    page.locator("h1").click()  # a tap elsewhere closes the panel
    expect(page.locator("#filter-status .filter-multi-panel")).to_be_hidden()
    page.set_viewport_size(DESKTOP)
    page.goto(reverse("ledger:task_list") + "?status=open&overdue=true")
    expect(rows).to_have_count(1)
    expect(page.locator("#filter-status summary")).not_to_have_text(re.compile("^$"))
    _shot(page, "7-ledger-desktop")
    assert not page.luoshi_errors, page.luoshi_errors
