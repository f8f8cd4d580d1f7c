"""In a real Chromium at phone size: a reporter types a report, attaches a photo (uploaded in
place) and the typed text is still there, and saved; the live counter counts; a long URL wraps
instead of widening the page; the submitted report reaches the reviewer's inbox.

Run: .venv/bin/pytest luoshi/dispatch/tests/test_browser_report_keeps_text.py -q
(screenshots: test-artifacts/keep-*.png)
"""

import base64
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import PASSWORD
from luoshi.core.actors import system_actor
from luoshi.dispatch import rules, services
from luoshi.dispatch.models import Attachment, Report, Slot
from luoshi.ledger import services as ledger
from luoshi.ledger.tests.browser import ARTIFACTS, PHONE, login_through_form
from luoshi.notify.models import Message

TITLE = "城区中小学校改扩建"
TYPED = "已完成3所学校主体施工，其余正在招标。"
URL_TEXT = " 详见 https://jyj.example.gov.cn/xxgk/2026/gongzuo-jinzhan/" + "a1b2c3d4" * 12
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def _shot(page, name):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{name}: the page is {width}px wide, it scrolls sideways"
    page.screenshot(path=str(ARTIFACTS / f"keep-{name}.png"), full_page=True)


def _log_out(page):
    page.context.clear_cookies()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_photo_attached_on_a_phone_keeps_the_typed_report(browser_page, orgtree):
    page = browser_page
    page.set_viewport_size(PHONE)
    plan = ledger.create_plan(
        actor=system_actor(),
        name="教育局台账",
        year=timezone.localdate().year,
        owner_unit=orgtree.office,
    )
    task = ledger.create_task(
        plan,
        actor=system_actor(),
        title=TITLE,
        content="新建、改扩建中小学校30所，新增学位2.4万个，" * 3,
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
        target=30,
        measure="所",
        deadline=timezone.localdate().replace(month=12, day=31),
        deadline_text="年底前",
    )
    ledger.deploy_plan(plan, actor=system_actor())
    services.open_due_cycles()
    slot = Slot.objects.filter(task=task).order_by("due_at").first()
    url = f"/reports/slots/{slot.pk}/"

    # --- the reporter types, then chooses a photo ---------------------------------------------
    login_through_form(page, "reporter_a", PASSWORD)
    page.goto(url)
    brief = page.locator("#task-brief")
    expect(brief).to_contain_text("30 所")
    expect(brief).to_contain_text("年底前")
    form = page.locator("#report-form")
    progress = form.locator("textarea[name=progress]")
    progress.fill(TYPED + URL_TEXT)
    limit = rules.TEXT_LIMITS["progress"]
    counter = form.locator(".char-counter").first
    expect(counter).to_contain_text(f"{len(TYPED + URL_TEXT)} / {limit}")
    form.locator("input[name=percent]").fill("10")
    expect(page.locator("#attach-button")).to_be_hidden()  # choosing the file uploads it
    _shot(page, "1-typed")

    page.locator("#id_file").set_input_files(
        {"name": "施工现场.png", "mimeType": "image/png", "buffer": PNG}
    )
    expect(page.locator("#attachment-list")).to_contain_text("施工现场.png")
    expect(page.locator("#attach-ok")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"{re.escape(url)}$"))  # never left the page
    expect(progress).to_have_value(TYPED + URL_TEXT)  # the typed text is still there
    expect(form.locator("input[name=percent]")).to_have_value("10")
    report = Report.objects.get(slot=slot)
    assert report.progress == TYPED + URL_TEXT and report.percent == 10  # and saved
    assert Attachment.objects.get(report=report).name == "施工现场.png"
    expect(form.locator("input[name=version]")).to_have_value(str(report.version))
    _shot(page, "2-attached")

    # --- more typing, then submit: the page's version followed the upload, nothing is stale ----
    progress.fill(TYPED + "另有2所已封顶。" + URL_TEXT)
    page.locator("#report-submit").click()
    expect(page).to_have_url(re.compile(r"/reports/$"))
    expect(page.locator(".alert-success")).to_be_visible()
    slot.refresh_from_db()
    assert slot.status == Slot.Status.SUBMITTED
    assert Report.objects.get(slot=slot).progress.startswith(TYPED + "另有2所已封顶。")
    _log_out(page)

    # --- the reviewer's inbox has the notice; the long URL wraps on its phone -----------------
    login_through_form(page, "leader_a", PASSWORD)
    page.goto("/inbox/")
    notice = page.locator("main .list-group-item").filter(has_text=TITLE)
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text(orgtree.a1.name)
    _shot(page, "3-leader-inbox")
    notice.locator(f"button[name=next][value='{url}']").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(url)}$"))
    expect(page.locator("#report-view")).to_contain_text("另有2所已封顶")
    expect(page.locator("#attachment-list")).to_contain_text("施工现场.png")
    _shot(page, "4-leader-review")
    assert (
        Message.objects.filter(
            recipient=orgtree.leader_a, channel="inbox", url=url, read_at__isnull=False
        ).count()
        == 1
    )

    assert page.luoshi_errors == []
