"""Playwright fixtures for browser tests (pytest -m browser).

Playwright cannot download its own browser here, so tests drive Debian's Chromium. The root
conftest registers this module as a plugin (pytest_plugins), so the session-wide browser is
defined once: importing the fixtures into several test modules would define several
session fixtures, and the second sync_playwright() would start inside the first one's loop.

Playwright's sync API runs an event loop in the test thread; Django refuses ORM calls from a
thread with a running loop unless DJANGO_ALLOW_ASYNC_UNSAFE is set, so importing this module sets
it (test processes only).
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("LUOSHI_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
# Screenshots for a human to look at; gitignored.
ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def browser_page(browser, live_server):
    """A fresh context (no cookies) at desktop size, base URL = the live server, Chinese locale.

    The context accepts downloads; every page error or failed same-origin request is collected
    in `page.luoshi_errors` so a test can assert the journey ran clean."""
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    context = browser.new_context(
        base_url=live_server.url,
        viewport=DESKTOP,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        accept_downloads=True,
    )
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))

    def _console(msg):
        # The site has no favicon yet; Chromium's own request for it is not the page's fault.
        if msg.type == "error" and not msg.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"console error: {msg.text} ({msg.location.get('url')})")

    page.on("console", _console)

    def _response(resp):
        if resp.url.startswith(live_server.url) and resp.status >= 400:
            errors.append(f"HTTP {resp.status} {resp.request.method} {resp.url}")

    page.on("response", _response)
    page.luoshi_errors = errors
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        yield page
    finally:
        context.close()


def login_through_form(page, username: str, password: str) -> None:
    """Log in the way a person does: the login page, two fields, the button."""
    from playwright.sync_api import expect

    page.goto("/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    page.locator("form:has(input[name=password]) button").click()
    expect(page).not_to_have_url(re.compile(r"/login/"))
    expect(page.locator("form[action='/logout/']")).to_be_attached()
