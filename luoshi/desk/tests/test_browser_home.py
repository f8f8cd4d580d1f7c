"""Each role's home (工作台) in a real Chromium at phone size: the supervisor's counts match the
database and its 催报 reaches the unit's inbox once (a second press, from a page opened before the
first, is refused); the reviewer's home shows the waiting report; the reporter's and the unit
admin's homes show what they owe. Screenshots: test-artifacts/desk-*.png

Run: .venv/bin/pytest luoshi/desk/tests/test_browser_home.py -q
"""

import datetime as dt
import os
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from luoshi.core.actors import system_actor
from luoshi.desk.models import Urge
from luoshi.dispatch import services as dispatch
from luoshi.dispatch.models import Slot
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Task
from luoshi.ledger.tests.browser import ARTIFACTS, PHONE, login_through_form
from luoshi.notify.models import Message

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

HOME = "/"


def _phone_check(page, name: str) -> None:
    expect(page.locator(".navbar-toggler")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width}px wide, it scrolls sideways"
    page.screenshot(path=str(ARTIFACTS / f"desk-{name}.png"), full_page=True)


def _log_in(page, username: str) -> None:
    page.context.clear_cookies()
    login_through_form(page, username, PASSWORD)
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/$"))  # the home


def _world(orgtree):
    today = timezone.localdate()
    plan = ledger.create_plan(
        actor=system_actor(), name="市重点工作台账", year=today.year, owner_unit=orgtree.office
    )
    make = {
        "overdue": (
            "推进道路大修工程",
            [orgtree.a1],
            orgtree.reporter_a,
            today - dt.timedelta(days=20),
        ),
        "todo": ("编制公交线网优化方案", [orgtree.a1], orgtree.reporter_a, None),
        "b": ("建设城乡物流网点", [orgtree.b1], orgtree.reporter_b, None),
        "b2": ("完善农村客运站点", [orgtree.b1], orgtree.reporter_b, None),
    }
    tasks = {
        k: ledger.create_task(
            plan,
            actor=system_actor(),
            title=title,
            responsible_units=units,
            owner=owner,
            lead_leader=orgtree.leader_a,
            deadline=deadline,
        )
        for k, (title, units, owner, deadline) in make.items()
    }
    ledger.deploy_plan(plan, actor=system_actor())
    dispatch.open_due_cycles()
    slot = Slot.objects.filter(task=tasks["overdue"]).order_by("due_at").first()
    report, _ = dispatch.start_report(slot, actor=orgtree.reporter_a)
    dispatch.submit_report(
        report, actor=orgtree.reporter_a, version=report.version, progress="已完成路面铣刨"
    )
    return tasks, slot


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_each_roles_home_on_a_phone(browser_page, orgtree):
    page = browser_page
    page.set_viewport_size(PHONE)
    tasks, slot = _world(orgtree)
    today = timezone.localdate()

    # --- supervisor: counts match the database; 催报 once ----------------------------------------
    _log_in(page, "supervisor")
    overdue = Task.objects.filter(deadline__lt=today).exclude(status__in=("done", "cancelled"))
    expect(page.locator("#count-overdue .fs-3")).to_have_text(str(overdue.count()))
    table = page.locator("#unit-tally")
    cycle_id = int(page.locator("#cycle-link").get_attribute("href").rstrip("/").split("/")[-1])
    for unit in (orgtree.a1, orgtree.b1):
        slots = Slot.objects.filter(cycle_id=cycle_id, unit=unit)
        done = slots.filter(status__in=("submitted", "accepted")).count()
        row = table.locator(f"tr[data-unit='{unit.pk}']")
        expect(row.locator("[data-col=due]")).to_have_text(str(slots.count()))
        expect(row.locator("[data-col=done]")).to_have_text(str(done))
        expect(row.locator("[data-col=missing]")).to_have_text(str(slots.count() - done))
    _phone_check(page, "1-supervisor")

    # A second tab opened now still shows the button after the first press.
    stale = page.context.new_page()
    stale.set_viewport_size(PHONE)
    stale.goto(HOME)
    b_row = table.locator(f"tr[data-unit='{orgtree.b1.pk}']")
    b_row.locator(".urge-button").click()
    expect(page.locator(".alert-success")).to_contain_text(orgtree.b1.name)
    expect(page.locator(f"#unit-tally tr[data-unit='{orgtree.b1.pk}'] .urged")).to_be_visible()
    expect(page.locator(f"#unit-tally tr[data-unit='{orgtree.b1.pk}'] .urge-button")).to_have_count(
        0
    )
    _phone_check(page, "2-supervisor-urged")
    stale.locator(f"#unit-tally tr[data-unit='{orgtree.b1.pk}'] .urge-button").click()
    expect(stale.locator(".alert-danger")).to_contain_text(orgtree.b1.name)
    stale.screenshot(path=str(ARTIFACTS / "desk-3-supervisor-refused.png"), full_page=True)
    stale.close()
    urges = Message.objects.filter(
        recipient=orgtree.reporter_b, channel="inbox", dedupe_key__startswith="urge:"
    )
    assert urges.count() == 1
    assert Urge.objects.count() == 1

    # --- the unit's reporter: the urge in its inbox, the badge in the menu -----------------------
    _log_in(page, "reporter_b")
    badge = page.locator("#nav-unread")
    expect(badge).to_be_visible()  # on a phone, without opening the menu
    unread = Message.objects.filter(
        recipient=orgtree.reporter_b, channel="inbox", read_at__isnull=True
    ).count()
    expect(badge).to_contain_text(str(unread))
    expect(page.locator("#todo")).to_contain_text(tasks["b"].title)
    expect(page.locator("#count-todo")).to_have_text("2")
    _phone_check(page, "4-reporter-b")
    badge.click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    expect(page.locator("main")).to_contain_text(orgtree.supervisor.display_name)

    # --- reviewer (the lead leader): the waiting report ------------------------------------------
    _log_in(page, "leader_a")
    review = page.locator("#review-list")
    report_url = reverse("dispatch:report", args=[slot.pk])
    expect(review.locator(f"a[href='{report_url}']")).to_contain_text(tasks["overdue"].title)
    expect(page.locator("#count-review")).to_have_text("1")
    expect(page.locator("#count-led-overdue .fs-3")).to_have_text("1")
    _phone_check(page, "5-leader")

    # --- reporter A: sent and waiting, one to do -------------------------------------------------
    _log_in(page, "reporter_a")
    expect(page.locator("#count-waiting")).to_have_text("1")
    expect(page.locator("#todo")).to_contain_text(tasks["todo"].title)
    _phone_check(page, "6-reporter-a")

    # --- unit admin A: its unit's due and overdue ------------------------------------------------
    _log_in(page, "unitadmin_a")
    expect(page.locator("#count-unit-overdue")).to_have_text("1")
    expect(page.locator("#unit-overdue")).to_contain_text(tasks["overdue"].title)
    _phone_check(page, "7-unit-admin")
    assert page.luoshi_errors == [], page.luoshi_errors
