"""A supervision order's round trip in a real Chromium: the supervisor issues one from the task
page, the unit's reporter answers it on a phone, the supervisor sends it back, the reporter
answers again, the supervisor closes it; the printable document shows the whole of it.

Run: .venv/bin/pytest luoshi/supervision/tests/test_orders_browser.py -q
(screenshots: test-artifacts/order-*.png)
"""

import os
import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from luoshi.ledger.tests.browser import ARTIFACTS, PHONE, login_through_form
from luoshi.supervision.models import Order

from .test_orders import build_world

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

DEMAND = "请于期限内报告整改进展并附佐证材料"


def _log_in(page, username: str) -> None:
    page.context.clear_cookies()
    login_through_form(page, username, PASSWORD)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_issue_respond_return_respond_close(browser_page, orgtree):
    world = build_world(orgtree)
    page = browser_page

    _log_in(page, "supervisor")
    page.goto(f"/tasks/{world.t1.pk}/")
    page.locator("#issue-order").click()
    expect(page.locator(f"#task-{world.t1.pk}")).to_be_checked()
    page.locator("#id_demand").fill(DEMAND)
    page.locator("#order-submit").click()
    expect(page).to_have_url(re.compile(r"/supervision/orders/\d+/$"))
    order = Order.objects.get()
    expect(page.locator("#order-label")).to_contain_text(order.label)
    expect(page.locator("#order-steps li")).to_have_count(1)

    _log_in(page, "reporter_a")
    page.set_viewport_size(PHONE)
    page.goto(f"/supervision/orders/{order.pk}/")
    page.locator("#id_response").fill("已完成整改")
    page.locator("#order-respond").click()
    expect(page.locator("#order-response")).to_contain_text("已完成整改")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the order page is {width}px wide on a phone"
    page.screenshot(path=str(ARTIFACTS / "order-responded-phone.png"), full_page=True)

    _log_in(page, "supervisor")
    page.goto(f"/supervision/orders/{order.pk}/")
    page.locator("#id_comment").fill("佐证材料不全")
    page.locator("#order-return").click()
    expect(page.locator("#respond-form")).to_be_attached()  # the supervisor may answer too
    assert Order.objects.get().status == Order.Status.RETURNED

    _log_in(page, "reporter_a")
    page.goto(f"/supervision/orders/{order.pk}/")
    page.locator("#id_response").fill("已补齐佐证材料")
    page.locator("#order-respond").click()
    expect(page.locator("#order-response")).to_contain_text("已补齐佐证材料")

    _log_in(page, "supervisor")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(f"/supervision/orders/{order.pk}/")
    page.locator("#id_comment").fill("核查属实")
    page.locator("#order-close").click()
    expect(page.locator("#order-status")).to_have_class(re.compile("text-bg-success"))
    assert Order.objects.get().status == Order.Status.CLOSED
    expect(page.locator("#order-steps li")).to_have_count(5)

    page.goto(f"/supervision/orders/{order.pk}/print/")
    expect(page.locator("h1")).to_have_text("督办单")
    expect(page.locator("#order-label")).to_have_text(order.label)
    expect(page.locator("body")).to_contain_text("核查属实")
    page.screenshot(path=str(ARTIFACTS / "order-print.png"), full_page=True)
    page.emulate_media(media="print")
    expect(page.locator(".toolbar")).to_be_hidden()
    assert not page.luoshi_errors, page.luoshi_errors
