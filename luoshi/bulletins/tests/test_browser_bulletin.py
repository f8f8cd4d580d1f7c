"""A bulletin's journey in a real Chromium at phone size: the supervisor drafts it from the
data, the city leader approves it, the supervisor publishes it (with its PDF), and a visitor
without an account finds it on the public page. Screenshots: test-artifacts/bulletin-*.png

Run: .venv/bin/pytest luoshi/bulletins/tests/test_browser_bulletin.py -q
"""

import re
import shutil

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from luoshi.bulletins.models import Bulletin
from luoshi.ledger.tests.browser import ARTIFACTS, login_through_form

from .conftest import make_world

PHONE_375 = {"width": 375, "height": 812}


def _fits(page, name: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE_375["width"], f"{name}: the page is {width}px wide, it scrolls sideways"
    page.screenshot(path=str(ARTIFACTS / f"bulletin-{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(not shutil.which("soffice"), reason="publishing makes the PDF")
def test_draft_approve_publish_and_read_it_in_public(browser_page, orgtree):
    world = make_world(orgtree)
    page = browser_page
    page.set_viewport_size(PHONE_375)

    login_through_form(page, "supervisor", PASSWORD)
    page.goto("/bulletins/")
    page.locator("#id_plan").select_option(str(world.plan.pk))
    page.locator("#id_period").fill("2026-06")
    page.locator("#id_today").fill("2026-06-20")
    page.locator("#draft-form button").click()
    expect(page).to_have_url(re.compile(r"/bulletins/\d+/$"))
    expect(page.locator("#bulletin-document")).to_contain_text("甲红灯任务一")
    _fits(page, "draft")
    pk = Bulletin.objects.get().pk

    page.context.clear_cookies()
    login_through_form(page, "leader_city", PASSWORD)
    page.goto(f"/bulletins/{pk}/")
    page.locator("#bulletin-actions button", has_text="批准").click()
    expect(page.locator("#bulletin-actions")).to_contain_text("下载")

    page.context.clear_cookies()
    login_through_form(page, "supervisor", PASSWORD)
    page.goto(f"/bulletins/{pk}/")
    page.locator("#bulletin-actions button", has_text="编号并发布").click()
    number = Bulletin.objects.get(pk=pk).number
    expect(page.locator("#bulletin-hash")).to_contain_text(Bulletin.objects.get(pk=pk).sha256)
    assert number.startswith("督〔")

    page.context.clear_cookies()
    page.goto("/bulletins/public/")
    expect(page.locator("#public-bulletins")).to_contain_text(number)
    page.locator("#public-bulletins a", has_text="通报").first.click()
    expect(page.locator("#bulletin-document")).to_contain_text(number)
    _fits(page, "public")
    with page.expect_download() as download:
        page.locator("#bulletin-actions a", has_text="PDF").click()
    assert download.value.suggested_filename.endswith(".pdf")
    assert not page.luoshi_errors, page.luoshi_errors
