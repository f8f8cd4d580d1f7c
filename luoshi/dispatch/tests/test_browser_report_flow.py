"""One report round trip in a real Chromium at phone size: a reporter opens the reminder, fills
and submits the report; the leader returns it; the reporter fixes and resubmits; the leader
accepts; the ledger shows it.

Run: .venv/bin/pytest luoshi/dispatch/tests/test_browser_report_flow.py -q
(screenshots: test-artifacts/report-*.png)
"""

import os
import re
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import expect

from conftest import PASSWORD
from luoshi.core.actors import system_actor
from luoshi.dispatch import services
from luoshi.dispatch.models import ReviewEvent, Slot
from luoshi.dispatch.reminders import send_reminders
from luoshi.ledger import services as ledger
from luoshi.ledger.tests.browser import (
    ARTIFACTS,
    PHONE,
    login_through_form,
)
from luoshi.notify.models import Message

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

PLAN = "市教育局重点工作任务台账"
TITLE = "新建改扩建中小学校"
PROGRESS_1 = "已完成校址勘察"
COMMENT = "请补充完成学校数量"
PROGRESS_2 = "已完成校址勘察，完工学校12所"


def _label(status) -> str:
    """A slot status as the (Chinese) pages show it."""
    with translation.override("zh-hans"):
        return str(status.label)


def _phone_check(page, name: str) -> None:
    """Still the phone layout, nothing sticks out sideways; keep a screenshot to look at."""
    expect(page.locator(".navbar-toggler")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width}px wide, it scrolls sideways"
    page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"), full_page=True)


def _open_menu(page) -> None:
    """The phone navbar is collapsed behind the toggler."""
    menu = page.locator("#nav")
    expect(menu).to_be_hidden()
    page.locator(".navbar-toggler").click()
    expect(page.locator(".navbar-toggler")).to_have_attribute("aria-expanded", "true")
    # Bootstrap adds "show" when the slide-down transition has finished.
    expect(menu).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    expect(menu).to_be_visible()


def _go(page, href: str) -> None:
    """Through the menu, as a person on a phone does."""
    _open_menu(page)
    page.locator(f"#nav a.nav-link[href='{href}']").click()
    expect(page).to_have_url(re.compile(rf"^https?://[^/]+{re.escape(href)}$"))


def _log_out(page) -> None:
    _open_menu(page)
    page.locator("#nav form[action='/logout/'] button").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator("form[action='/logout/']")).to_have_count(0)


def _log_in(page, username: str) -> None:
    login_through_form(page, username, PASSWORD)
    expect(page).to_have_url(re.compile(r"^https?://[^/]+/$"))  # the home (工作台)


def _review_queue_entry(page, url: str):
    _go(page, "/reports/")
    entry = page.locator(f"#to-review a[href='{url}']")
    expect(entry).to_contain_text(TITLE)
    return entry


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_report_fill_return_fix_accept_on_a_phone(browser_page, orgtree):  # noqa: F811
    page = browser_page
    page.set_viewport_size(PHONE)

    # --- setup through the services: a deployed plan, the current cycle, a due reminder -----------
    plan = ledger.create_plan(
        actor=system_actor(), name=PLAN, year=timezone.localdate().year, owner_unit=orgtree.office
    )
    task = ledger.create_task(
        plan,
        actor=system_actor(),
        title=TITLE,
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
        target=30,
        measure="所",
    )
    ledger.deploy_plan(plan, actor=system_actor())
    assert services.open_due_cycles() >= 1
    # Normally one slot (the next due date); the earliest is the one being reminded of.
    slot = Slot.objects.filter(task=task, unit=orgtree.a1).order_by("due_at").first()
    assert slot is not None and slot.status == Slot.Status.PENDING
    assert send_reminders(now=slot.due_at) >= 1
    url = f"/reports/slots/{slot.pk}/"
    reminder = Message.objects.get(recipient=orgtree.reporter_a, channel="inbox", url=url)
    assert reminder.read_at is None

    # --- reporter: the inbox through the menu, the reminder, fill and submit ----------------------
    _log_in(page, "reporter_a")
    _open_menu(page)
    inbox_link = page.locator("#nav a.nav-link[href='/inbox/']")
    expect(inbox_link.locator(".badge")).to_contain_text("1")  # one unread
    _phone_check(page, "1-menu-open")
    inbox_link.click()
    expect(page).to_have_url(re.compile(r"/inbox/$"))
    item = page.locator("main .list-group-item").filter(has_text=TITLE)
    expect(item).to_have_count(1)
    _phone_check(page, "2-inbox")
    item.locator(f"button[name=next][value='{url}']").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(url)}$"))
    reminder.refresh_from_db()
    assert reminder.read_at is not None  # opening it reads it

    form = page.locator("#report-form")
    expect(form).to_be_visible()
    expect(page.locator("main")).to_contain_text("30 所")  # the target
    expect(page.locator("#return-comment")).to_have_count(0)
    form.locator("textarea[name=progress]").fill(PROGRESS_1)
    form.locator("input[name=percent]").fill("20")
    _phone_check(page, "3-form-filled")
    page.locator("#report-submit").click()
    expect(page).to_have_url(re.compile(r"/reports/$"))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(f"#to-fill a[href='{url}']")).to_have_count(0)  # nothing left to do
    _phone_check(page, "4-submitted")
    slot.refresh_from_db()
    assert slot.status == Slot.Status.SUBMITTED
    _log_out(page)

    # --- leader: the review queue, return with a comment ------------------------------------------
    _log_in(page, "leader_a")
    _review_queue_entry(page, url).click()
    expect(page).to_have_url(re.compile(rf"{re.escape(url)}$"))
    expect(page.locator("#report-form")).to_have_count(0)  # the leader reviews, not fills
    expect(page.locator("#report-view")).to_contain_text(PROGRESS_1)
    expect(page.locator("#slot-status")).to_have_text(_label(Slot.Status.SUBMITTED))
    review = page.locator("#review-form")
    review.locator("textarea[name=comment]").fill(COMMENT)
    _phone_check(page, "5-review")
    page.locator("#review-return").click()
    expect(page).to_have_url(re.compile(r"/reports/$"))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(f"#to-review a[href='{url}']")).to_have_count(0)
    slot.refresh_from_db()
    assert slot.status == Slot.Status.RETURNED
    _log_out(page)

    # --- reporter: sees the comment, fixes, resubmits ---------------------------------------------
    _log_in(page, "reporter_a")
    _go(page, "/reports/")
    entry = page.locator(f"#to-fill a[href='{url}']")
    expect(entry).to_contain_text(_label(Slot.Status.RETURNED))
    entry.click()
    expect(page).to_have_url(re.compile(rf"{re.escape(url)}$"))
    returned = page.locator("#return-comment")
    expect(returned).to_contain_text(COMMENT)
    expect(returned).to_contain_text(orgtree.leader_a.display_name)
    form = page.locator("#report-form")
    progress = form.locator("textarea[name=progress]")
    percent = form.locator("input[name=percent]")
    expect(progress).to_have_value(PROGRESS_1)  # the returned report, ready to fix
    expect(percent).to_have_value("20")
    progress.fill(PROGRESS_2)
    form.locator("input[name=actual]").fill("12")
    percent.fill("40")
    _phone_check(page, "6-returned-fixed")
    page.locator("#report-submit").click()
    expect(page).to_have_url(re.compile(r"/reports/$"))
    expect(page.locator(".alert-success")).to_be_visible()
    slot.refresh_from_db()
    assert slot.status == Slot.Status.SUBMITTED
    _log_out(page)

    # --- leader: accepts --------------------------------------------------------------------------
    _log_in(page, "leader_a")
    _review_queue_entry(page, url).click()
    view = page.locator("#report-view")
    expect(view).to_contain_text(PROGRESS_2)
    expect(view).to_contain_text("40")
    expect(page.locator("main")).to_contain_text(COMMENT)  # the exchange so far
    _phone_check(page, "7-accept")
    page.locator("#review-accept").click()
    expect(page).to_have_url(re.compile(r"/reports/$"))
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(f"#to-review a[href='{url}']")).to_have_count(0)

    # --- the ledger shows it: search for the task, then its page ----------------------------------
    _go(page, reverse("ledger:task_list"))
    search = page.locator("#id_q")
    search.fill(TITLE)
    search.press("Enter")  # filled text sends no key events; Enter submits through htmx
    expect(page).to_have_url(re.compile(rf"[?&]q={re.escape(quote(TITLE))}(&|$)"))
    rows = page.locator("#ledger-table tbody tr")
    expect(rows).to_have_count(1)
    row = rows.filter(has_text=TITLE)
    expect(row.locator("td[data-label='%']")).to_have_text("40")
    expect(page.locator("#ledger-table thead")).to_be_hidden()  # rows are cards on a phone
    _phone_check(page, "8-ledger")

    row.get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task.pk}/$"))
    fields = page.locator("dl.task-fields")
    expect(fields).to_contain_text(PROGRESS_2)
    expect(fields).to_contain_text("40%")
    expect(fields).to_contain_text("30 所")
    history = page.locator("#history")
    expect(history).to_contain_text(COMMENT)
    expect(history).to_contain_text(PROGRESS_2)
    _phone_check(page, "9-task")

    # --- the database agrees ----------------------------------------------------------------------
    task.refresh_from_db()
    assert (task.percent, task.actual, task.progress) == (40, Decimal("12"), PROGRESS_2)
    slot.refresh_from_db()
    assert slot.status == Slot.Status.ACCEPTED
    events = list(ReviewEvent.objects.filter(report__slot=slot).order_by("at", "id"))
    assert [e.action for e in events] == ["submit", "return", "submit", "accept"]
    assert [e.actor_id for e in events] == [
        orgtree.reporter_a.pk,
        orgtree.leader_a.pk,
        orgtree.reporter_a.pk,
        orgtree.leader_a.pk,
    ]
    assert events[1].comment == COMMENT

    assert page.luoshi_errors == []
