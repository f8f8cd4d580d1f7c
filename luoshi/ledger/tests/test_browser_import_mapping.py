"""The import's name mapping in a real Chromium, desktop and phone: names to confirm counted,
a filter, a suggestion picked, the rest created in one step under a chosen unit, and the
printable activation links for the people the import created.

Run: .venv/bin/pytest luoshi/ledger/tests/test_browser_import_mapping.py -q  (test-artifacts/)
"""

import os
import re

import pytest
from playwright.sync_api import expect

from conftest import PASSWORD
from luoshi.core.actors import system_actor
from luoshi.ledger.models import Assignment, Task
from luoshi.org import services as org
from luoshi.org.models import Unit, UnitKind

from .browser import ARTIFACTS, PHONE, login_through_form
from .workbook_factory import workbook

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

UNKNOWN = [f"{d}区{o}" for d in ("东城", "西城", "南山") for o in ("城管局", "水务局", "园林中心")]


def _row(no, title, resp, coop="", owner=""):
    return [no, title, "", "", resp, coop, owner, "2026年6月底前", "", "否", "", "", "每月", ""]


def _shot(page, name: str) -> None:
    page.screenshot(path=str(ARTIFACTS / f"import-mapping-{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_mapping_page_on_desktop_and_phone(browser_page, orgtree, tmp_path):
    page = browser_page
    actor = system_actor()
    bureau = org.create_unit("市交通运输局", orgtree.city, actor=actor, kind=UnitKind.BUREAU)
    lc, zq = org.create_units(
        [
            {"name": "历城区", "parent": orgtree.city, "kind": UnitKind.DISTRICT},
            {"name": "章丘区", "parent": orgtree.city, "kind": UnitKind.DISTRICT},
        ],
        actor=actor,
    )
    org.create_units(
        [
            {"name": "历城区交通运输局", "parent": lc, "kind": UnitKind.BUREAU},
            {"name": "章丘区交通运输局", "parent": zq, "kind": UnitKind.BUREAU},
        ],
        actor=actor,
    )
    rows = [_row("1", "公交线路", "交通局", "各区县交通运输局", "王磊")]
    rows += [_row(str(i + 2), f"任务{i + 2}", n, owner=f"联络员{i}") for i, n in enumerate(UNKNOWN)]
    path = tmp_path / "台账.xlsx"
    path.write_bytes(workbook(rows))

    login_through_form(page, "supervisor", PASSWORD)
    page.goto("/import/")
    form = page.locator("#import-form")
    form.locator("input[name=file]").set_input_files(str(path))
    form.locator("input[name=plan_name]").fill("映射台账")
    form.locator("select[name=owner_unit]").select_option(label="督查室")
    page.locator("#import-upload").click()
    expect(page).to_have_url(re.compile(r"/import/\d+/$"))

    # 10 units and 10 people to confirm: counted, not errors.
    expect(page.locator("#count-pending")).to_have_text("20")
    expect(page.locator("#count-errors")).to_have_text("0")
    expect(page.locator("#pending-label")).to_contain_text("20")
    expect(page.locator("#collective-names")).to_contain_text("历城区交通运输局、章丘区交通运输局")
    suggestion = page.locator("#pending-units [data-name-row='交通局'] label.suggestion").first
    expect(suggestion).to_have_text("市交通运输局")
    _shot(page, "1-desktop")

    # The filter narrows the rows as one types.
    page.locator("#name-filter").fill("南山")
    expect(page.locator("#pending-units [data-name-row]:visible")).to_have_count(3)
    page.locator("#name-filter").fill("")

    # Phone: the same page, readable at 390 px.
    page.set_viewport_size(PHONE)
    _shot(page, "2-phone")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "import-mapping-2-phone-top.png"))
    page.locator("#bulk-create").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "import-mapping-2-phone-bulk.png"))
    page.locator("#import-rows").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "import-mapping-2-phone-rows.png"))
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"the page scrolls sideways on a phone ({width}px)"
    page.set_viewport_size({"width": 1366, "height": 900})

    # Pick the suggestion, and create everything else under 甲局 in the same step.
    suggestion.click()
    page.locator("#bulk-parent").select_option(label="甲局")
    page.locator("#bulk-create").click()
    expect(page.locator("#count-pending")).to_have_text("0")
    expect(page.locator("#created-under")).to_contain_text("东城区城管局")
    expect(page.locator("#created-under")).to_contain_text("甲局")
    expect(page.locator("#import-confirm")).to_be_enabled()
    _shot(page, "3-after-bulk")
    page.locator("#import-confirm").click()
    expect(page).to_have_url(re.compile(r"/plans/\d+/$"))
    task = Task.objects.get(no="1")
    assert list(
        Assignment.objects.filter(task=task)
        .order_by("role", "position")
        .values_list("unit__name", flat=True)
    ) == ["历城区交通运输局", "章丘区交通运输局", "市交通运输局"]
    assert task.primary_unit == bureau
    assert set(Unit.objects.filter(name__in=UNKNOWN).values_list("parent__name", flat=True)) == {
        "甲局"
    }

    # The unit admin of 甲局 prints activation links for the people created there.
    page.locator("form[action='/logout/'] button").click()
    login_through_form(page, "unitadmin_a", PASSWORD)
    page.goto("/org/people/")
    page.locator("#activation-link").click()
    page.locator("input[name=person]").first.check()
    page.locator("#issue-links").click()
    expect(page.locator("#activation-links tbody tr")).to_have_count(1)
    _shot(page, "4-activation-links")
    link = page.locator("#activation-links a").first.get_attribute("href")

    # The person opens the link on a phone, sets a password once, and logs in with it.
    page.locator("form[action='/logout/'] button").click()
    page.set_viewport_size(PHONE)
    page.goto(link)
    page.locator("input[name=new_password1]").fill("Luoshi-activate-2026!")
    page.locator("input[name=new_password2]").fill("Luoshi-activate-2026!")
    _shot(page, "5-set-password-phone")
    page.locator("#activate-form button").click()
    expect(page).to_have_url(re.compile(r"/login/"))
    login_through_form(page, "联络员0", "Luoshi-activate-2026!")
    page.context.clear_cookies()  # logged out (the phone's menu hides the button)
    page.goto(link)
    expect(page.locator("#activation-invalid")).to_be_visible()
    page.luoshi_errors[:] = [e for e in page.luoshi_errors if "410" not in e]  # the spent link
    assert page.luoshi_errors == []
