"""A Content-Security-Policy on every response (issue #12: there was none): scripts only from
this server, so no template may carry an inline script or event handler; the pages' behaviours
(submit on change, confirm, print, back, tick all) come from luoshi/behaviours.js and work under
the policy in a real Chromium, which reports any violation as a console error."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from luoshi.core.actors import system_actor
from luoshi.ledger import services as ledger
from luoshi.ledger.tests.browser import login_through_form

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I)


def _templates():
    return [p for p in ROOT.rglob("templates/**/*.html") if ".venv" not in p.parts]


def test_no_template_has_an_inline_script_or_handler():
    found = []
    for path in _templates():
        text = path.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER):
            found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in pattern.finditer(text)]
    assert len(_templates()) > 50 and found == []


@pytest.mark.parametrize("url", ["/login/", "/api/openapi.json", "/no-such-page/"])
def test_every_response_carries_the_policy(client, db, url):
    policy = client.get(url)["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "'unsafe-eval'" not in policy


@pytest.mark.browser
def test_the_pages_behaviours_work_under_the_policy(browser_page, orgtree):
    plan = ledger.create_plan(
        actor=system_actor(), name="安全策略计划", year=2026, owner_unit=orgtree.office
    )
    task = ledger.create_task(
        plan, actor=system_actor(), title="待删除任务", responsible_units=[orgtree.a1]
    )
    page = browser_page
    login_through_form(page, "supervisor", PASSWORD)
    # Submit on change: the orders list's status filter.
    page.goto("/supervision/orders/")
    page.locator("select[name=status]").select_option("issued")
    expect(page).to_have_url(re.compile(r"status=issued"))
    # Confirm before submitting: dismissed keeps the task, accepted deletes it.
    page.goto(f"/tasks/{task.pk}/")
    page.once("dialog", lambda d: d.dismiss())
    page.locator("form[data-confirm] button").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task.pk}/$"))
    page.once("dialog", lambda d: d.accept())
    page.locator("form[data-confirm] button").click()
    expect(page).not_to_have_url(re.compile(rf"/tasks/{task.pk}/$"))
    # The language switch in the navigation bar, and "back" on an error page.
    for url in ("/", "/tasks/", "/cockpit/", "/supervision/problems/"):
        page.goto(url)
    page.goto("/no-such-page/")
    page.locator("[data-back]").click()
    expect(page).to_have_url(re.compile(r"/supervision/problems/$"))
    errors = [e for e in page.luoshi_errors if "/no-such-page/" not in e]
    assert errors == [], errors
