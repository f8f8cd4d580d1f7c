"""A problem's whole loop in a real Chromium: a reporter raises it from a progress report (on a
phone); time moves past its SLA and the task turns yellow and shows in the closed-loop check;
the worker's escalation job climbs it to the lead leader, who is told, responds and resolves it;
the light turns green again and the closed-loop check is clear; the raiser sees every step.

Time moves by moving the problem's dates back (its level began 8 working days ago), so the
pages, the worker's job and the lights all run on the real clock, as they do in production.

Run: .venv/bin/pytest luoshi/supervision/tests/test_browser_problem_loop.py -q
(screenshots: test-artifacts/problem-*.png)
"""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from luoshi.core.actors import system_actor
from luoshi.core.calendar import current_calendar
from luoshi.dispatch import services as dispatch
from luoshi.dispatch.models import Slot
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Task
from luoshi.ledger.tests.browser import ARTIFACTS, PHONE, login_through_form
from luoshi.notify.models import Message
from luoshi.supervision import closed_loop
from luoshi.supervision.models import Problem, ProblemStep, TaskLight
from luoshi.supervision.services import problems as problem_services

TITLE = "城区污水管网改造"
PROBLEMS_TEXT = "征地拆迁资金缺口约300万元，区级财政无法解决"
PROBLEM_TITLE = "征拆资金缺口300万元"
RESPONSE = "已协调市财政局，下周安排专项资金"
RESOLUTION = "市财政局已拨付专项资金300万元"


def _shot(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{name}: the page is {width}px wide, it scrolls sideways"
    page.screenshot(path=str(ARTIFACTS / f"problem-{name}.png"), full_page=True)


def _log_in(page, username: str) -> None:
    page.context.clear_cookies()
    login_through_form(page, username, PASSWORD)


def _light(task) -> str:
    return TaskLight.objects.get(task=task).light


def _open_items_for(task_pk: int, problem_pk: int) -> set[str]:
    items = closed_loop.items(system_actor())
    return {
        i.kind
        for i in items
        if (i.kind == "problem_unanswered" and i.id == problem_pk)
        or (i.kind.startswith("task_") and i.id == task_pk)
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_problem_raised_in_a_report_escalates_and_is_resolved(browser_page, orgtree):
    page = browser_page
    cal = current_calendar()
    today = timezone.localdate()

    # --- setup through the services: a deployed plan with a task led by leader_a ---------------
    plan = ledger.create_plan(
        actor=system_actor(), name="城建重点工作", year=today.year, owner_unit=orgtree.office
    )
    task = ledger.create_task(
        plan,
        actor=system_actor(),
        title=TITLE,
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
        deadline=today + dt.timedelta(days=200),
    )
    ledger.deploy_plan(plan, actor=system_actor())
    assert dispatch.open_due_cycles() >= 1
    slot = Slot.objects.filter(task=task, unit=orgtree.a1).order_by("due_at").first()
    from luoshi.supervision.services import recompute_lights

    recompute_lights(actor=system_actor())
    assert _light(task) == "green"

    # --- reporter, on a phone: writes the report's problems, raises one from the report ---------
    page.set_viewport_size(PHONE)
    _log_in(page, "reporter_a")
    page.goto(f"/reports/slots/{slot.pk}/")
    form = page.locator("#report-form")
    form.locator("textarea[name=progress]").fill("管网改造完成设计招标")
    form.locator("textarea[name=problems]").fill(PROBLEMS_TEXT)
    form.locator("input[name=percent]").fill("20")
    form.locator("button[name=save]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    raise_link = page.locator("#raise-problem")
    expect(raise_link).to_have_attribute("href", re.compile(r"\?report=\d+$"))
    _shot(page, "1-report-with-raise")
    raise_link.click()
    expect(page.locator("#from-report")).to_be_visible()
    expect(page.locator("#id_description")).to_have_value(re.compile("征地拆迁资金缺口"))
    page.locator("#id_title").fill(PROBLEM_TITLE)
    _shot(page, "2-raise-form")
    page.locator("#problem-submit").click()
    expect(page).to_have_url(re.compile(r"/supervision/problems/\d+/$"))
    expect(page.locator("#problem-level")).to_contain_text("1")
    _shot(page, "3-raised")
    problem = Problem.objects.get(task=task)
    assert problem.report is not None and problem.report.slot_id == slot.pk
    assert problem.raised_by == orgtree.reporter_a and problem.level == 1
    assert _light(task) == "green"  # within its SLA
    assert "problem_unanswered" not in _open_items_for(task.pk, problem.pk)

    # --- time moves: the problem's level began 8 working days ago, its 5-day SLA has passed -----
    entered = cal.add_working_days(today, -8)
    Problem.objects.filter(pk=problem.pk).update(
        level_entered_on=entered,
        sla_due_on=cal.add_working_days(entered, 5),
        raised_at=timezone.make_aware(dt.datetime.combine(entered, dt.time(10))),
    )
    recompute_lights(actor=system_actor())  # the worker's daily pass
    stored = TaskLight.objects.get(task=task)
    assert stored.light == "yellow"
    assert any("第1级（责任单位）超期未解决" in r["text"] for r in stored.reasons)
    assert "problem_unanswered" in _open_items_for(task.pk, problem.pk)
    page.goto("/supervision/closed-loop/")
    expect(page.locator("#closed-loop-items")).to_contain_text(PROBLEM_TITLE)
    _shot(page, "4-closed-loop-lists-it")

    # --- the worker's escalation job climbs it one level, to the lead leader --------------------
    result = problem_services.escalate_problems(actor=system_actor())
    assert result
    problem.refresh_from_db()
    assert problem.level == 2 and problem.assignee == orgtree.leader_a
    # The climb was audited, so the task's light was recomputed once the job committed.
    stored = TaskLight.objects.get(task=task)
    assert stored.light == "yellow"
    assert any("已升至第2级（牵头领导）" in r["text"] for r in stored.reasons)
    assert "problem_unanswered" not in _open_items_for(task.pk, problem.pk)  # a new SLA runs
    told = Message.objects.filter(recipient=orgtree.leader_a, channel="inbox").order_by("-pk")
    assert told.exists()
    assert Message.objects.filter(recipient=orgtree.reporter_a, channel="inbox").exists()

    # --- lead leader, on a desktop: the inbox, the problem, respond, resolve --------------------
    page.set_viewport_size({"width": 1366, "height": 900})
    _log_in(page, "leader_a")
    page.goto("/inbox/")
    item = page.locator("main .list-group-item").filter(has_text=PROBLEM_TITLE).first
    expect(item).to_be_visible()
    _shot(page, "5-leader-inbox")
    url = f"/supervision/problems/{problem.pk}/"
    item.locator(f"button[name=next][value='{url}']").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(url)}$"))
    expect(page.locator("#problem-assignee")).to_contain_text(orgtree.leader_a.display_name)
    page.locator("#id_text").fill(RESPONSE)
    page.locator("#problem-respond").click()
    expect(page.locator("#problem-steps")).to_contain_text(RESPONSE)
    page.locator("#id_resolution").fill(RESOLUTION)
    _shot(page, "6-leader-responds")
    page.locator("#problem-resolve").click()
    expect(page.locator("#problem-resolution")).to_contain_text(RESOLUTION)
    problem.refresh_from_db()
    assert problem.status == Problem.Status.RESOLVED

    # --- the light is green again, the closed-loop check is clear for this task ----------------
    assert _light(task) == "green"
    assert Task.objects.get(pk=task.pk).light == "green"
    assert _open_items_for(task.pk, problem.pk) == set()
    page.goto(f"/tasks/{task.pk}/")
    expect(page.locator("#light-history")).to_contain_text("黄灯")
    _shot(page, "7-task-green-again")

    # --- the raiser sees every step --------------------------------------------------------------
    page.set_viewport_size(PHONE)
    _log_in(page, "reporter_a")
    page.goto(url)
    steps = page.locator("#problem-steps")
    for text in (RESPONSE, RESOLUTION):
        expect(steps).to_contain_text(text)
    kinds = list(ProblemStep.objects.filter(problem=problem).values_list("kind", flat=True))
    assert kinds == ["raised", "escalated", "response", "resolved"]
    _shot(page, "8-raiser-sees-every-step")
    assert not page.luoshi_errors, page.luoshi_errors
