"""The leader opens the cockpit in a real Chromium, clicks the red slice of the light chart
(ECharts draws on a canvas: the test reads the slice's angles from the live chart and clicks
the pixel in its middle) and lands on exactly the red tasks. On a phone the cockpit is one
column that does not scroll sideways. Screenshots: test-artifacts/cockpit-*.png; with
LUOSHI_WRITE_DOCS=1, docs/cockpit.png and docs/cockpit-phone.png of the demo city.

Run: .venv/bin/pytest luoshi/cockpit/tests/test_browser_cockpit.py -q
"""

import io
import os
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from conftest import PASSWORD
from luoshi.ledger import access as ledger_access
from luoshi.ledger.tests.browser import ARTIFACTS, DESKTOP, PHONE, login_through_form

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # Playwright's sync API runs an event loop

DOCS = Path(__file__).resolve().parents[3] / "docs"

# The middle of a pie slice in page pixels, from the chart's own layout of it.
SLICE_POINT = """([id, name]) => {
  const chart = window.cockpitCharts[id];
  const data = chart.getModel().getSeriesByIndex(0).getData();
  const i = data.mapArray((idx) => data.getName(idx)).indexOf(name);
  const l = data.getItemLayout(i);
  const a = (l.startAngle + l.endAngle) / 2, r = (l.r0 + l.r) / 2;
  const box = document.getElementById(id).getBoundingClientRect();
  return {x: box.left + l.cx + r * Math.cos(a), y: box.top + l.cy + r * Math.sin(a), i};
}"""


def _open_cockpit(page, username, password=PASSWORD):
    page.context.clear_cookies()
    login_through_form(page, username, password)
    page.goto("/cockpit/")
    page.wait_for_function("() => window.cockpitCharts && window.cockpitCharts['chart-lights']")


@pytest.mark.browser
def test_leader_clicks_the_red_slice_and_lands_on_the_red_tasks(browser_page, world):
    page = browser_page
    leader = world.org.leader_a
    _open_cockpit(page, leader.username)
    red = list(
        ledger_access.tasks_for(leader)
        .filter(shown_light__light="red")
        .values_list("pk", flat=True)
    )
    assert red  # the world gives the leader's subtree a red task
    page.screenshot(path=str(ARTIFACTS / "cockpit-leader.png"), full_page=True)

    point = page.evaluate(SLICE_POINT, ["chart-lights", "红灯"])
    assert point["i"] >= 0
    page.mouse.click(point["x"], point["y"])
    expect(page).to_have_url(re.compile(r"/tasks/\?.*light=red"))
    page.wait_for_load_state()
    expect(page.locator("table.ledger-table")).to_be_visible()
    shown = {
        int(m.group(1))
        for href in page.locator("table.ledger-table a").evaluate_all(
            "els => els.map(e => e.getAttribute('href'))"
        )
        if (m := re.fullmatch(r"/tasks/(\d+)/", href or ""))
    }
    assert shown == set(red)
    assert page.luoshi_errors == []


@pytest.mark.browser
def test_cockpit_on_a_phone_is_one_column(browser_page, world):
    page = browser_page
    page.set_viewport_size(PHONE)
    _open_cockpit(page, world.org.supervisor.username)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the cockpit is {width}px wide on a phone"
    boxes = [page.locator(f"#{i}").bounding_box() for i in ("chart-lights", "chart-plans")]
    assert boxes[1]["y"] > boxes[0]["y"] + boxes[0]["height"]  # stacked, not side by side
    # The charts follow the window: back to a desktop, the light chart grows with its column.
    page.set_viewport_size(DESKTOP)
    page.wait_for_function(
        f"() => window.cockpitCharts['chart-lights'].getWidth() > {PHONE['width']}"
    )
    page.screenshot(path=str(ARTIFACTS / "cockpit-desktop.png"), full_page=True)
    assert page.luoshi_errors == []


@pytest.mark.browser
@pytest.mark.skipif(
    os.environ.get("LUOSHI_WRITE_DOCS") != "1", reason="writes docs/ only when asked"
)
def test_write_the_demo_city_screenshots(browser_page):
    from luoshi.demo.city import DEMO_PASSWORD

    call_command("demo", "--quiet", stdout=io.StringIO())
    page = browser_page
    _open_cockpit(page, "supervisor", DEMO_PASSWORD)
    page.wait_for_timeout(800)  # ECharts' entry animation
    page.screenshot(path=str(DOCS / "cockpit.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    page.wait_for_function("() => window.cockpitCharts && window.cockpitCharts['chart-lights']")
    page.wait_for_timeout(800)
    page.screenshot(path=str(DOCS / "cockpit-phone.png"), full_page=True)
    assert page.luoshi_errors == []
