"""Completion, acceptance and evaluation in a real Chromium: the task's owner submits its
completion on a phone, with the evidence text, the actual value and a PDF; the lead leader finds
it in the worklist, tries to return it without a reason (refused, nothing changes), accepts it
(the task is done, its re-checks are scheduled) and evaluates it on the form that shows the
attainment and the timeliness; the task page's panel shows the evaluation.

Run: .venv/bin/pytest luoshi/evaluation/tests/test_browser_evaluation.py -q -m browser
(screenshots: test-artifacts/evaluation-*.png; three of them are kept in docs/)
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from conftest import PASSWORD
from luoshi.core.actors import system_actor
from luoshi.evaluation.models import Completion, Evaluation, Recheck
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Task, TaskStatus
from luoshi.ledger.tests.browser import ARTIFACTS, DESKTOP, PHONE, login_through_form

TITLE = "新建改扩建中小学校30所"
SUMMARY = "30所学校全部竣工验收，新增学位1.2万个，验收报告见附件"
EFFECT = "新增学位1.2万个，缓解城区入学难"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PDF_NAME = "竣工验收报告.pdf"
DOCS = ARTIFACTS.parent / "docs"


def _shot(page, name: str, *, keep: str | None = None) -> None:
    """A screenshot in test-artifacts/; `keep` also copies it into docs/. The page must not
    scroll sideways."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.viewport_size["width"]
    assert width <= viewport, f"{name}: the page is {width}px wide, it scrolls sideways"
    path = ARTIFACTS / f"evaluation-{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if keep:
        shutil.copyfile(path, DOCS / keep)


def _zh(text: str) -> str:
    """The text as the Chinese catalogue has it (the English msgid until it is translated)."""
    with translation.override("zh-hans"):
        return gettext(text)


def _log_in(page, username: str) -> None:
    page.context.clear_cookies()
    login_through_form(page, username, PASSWORD)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_completion_acceptance_and_evaluation(browser_page, orgtree):
    page = browser_page
    today = timezone.localdate()

    # --- setup through the services: a deployed plan with a key task led by leader_a ----------
    plan = ledger.create_plan(
        actor=system_actor(), name="教育重点工作", year=today.year, owner_unit=orgtree.office
    )
    task = ledger.create_task(
        plan,
        actor=system_actor(),
        title=TITLE,
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
        deadline=today + dt.timedelta(days=60),
        key_task=True,
        target=Decimal(30),
        measure="所",
    )
    ledger.deploy_plan(plan, actor=system_actor())

    # --- the owner, on a phone: the task page's panel, the completion form --------------------
    page.set_viewport_size(PHONE)
    _log_in(page, "reporter_a")
    page.goto(f"/tasks/{task.pk}/")
    panel = page.locator("#evaluation-panel")
    expect(panel).to_be_visible()
    panel.locator("#submit-completion").click()
    expect(page).to_have_url(re.compile(rf"/evaluation/tasks/{task.pk}/complete/$"))
    form = page.locator("#complete-form")
    form.locator("#id_completed_on").fill(today.isoformat())
    form.locator("#id_summary").fill(SUMMARY)
    form.locator("#id_actual").fill("30")
    form.locator("#id_documents").set_input_files(
        files=[{"name": PDF_NAME, "mimeType": "application/pdf", "buffer": PDF}]
    )
    _shot(page, "1-completion-phone", keep="evaluation-completion-phone.png")
    form.locator("#complete-submit").click()
    expect(page).to_have_url(re.compile(r"/evaluation/completions/\d+/$"))
    expect(page.locator("#completion-status")).to_be_visible()
    expect(page.locator("#completion-summary")).to_contain_text(SUMMARY)
    expect(page.locator("#completion-documents a")).to_have_text(PDF_NAME)
    expect(page.locator("#decide-form")).to_have_count(0)  # the owner does not accept
    _shot(page, "2-submitted-phone")
    completion = Completion.objects.get(task=task)
    assert completion.status == Completion.Status.SUBMITTED
    assert completion.submitted_by == orgtree.reporter_a
    assert completion.actual == Decimal(30) and completion.summary == SUMMARY
    assert [d.name for d in completion.documents.all()] == [PDF_NAME]
    assert Task.objects.get(pk=task.pk).status != TaskStatus.DONE  # not done until accepted
    expect(page.locator("#completion-status")).to_have_text(completion.get_status_display())

    # --- the lead leader, on a desktop: the worklist, the completion, a return without reason --
    page.set_viewport_size(DESKTOP)
    _log_in(page, "leader_a")
    page.goto("/evaluation/")
    expect(page.locator("#evaluation-tabs .nav-link.active")).to_have_attribute(
        "href", "?tab=accept"
    )
    row = page.locator("#worklist a").filter(has_text=TITLE)
    expect(row).to_have_count(1)
    _shot(page, "3-worklist")
    row.click()
    expect(page).to_have_url(re.compile(rf"/evaluation/completions/{completion.pk}/$"))
    expect(page.locator("#completion-documents a")).to_have_text(PDF_NAME)
    # The site speaks Chinese: the page is zh-hans and its buttons come from the catalogue.
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("#completion-accept")).to_have_text(_zh("Accept: the task is done"))
    expect(page.locator("#completion-return")).to_have_text(_zh("Return with reasons"))
    _shot(page, "4-acceptance", keep="evaluation-acceptance.png")
    page.locator("#completion-return").click()  # no reason given
    expect(page.locator("#decide-form .invalid-feedback")).to_be_visible()
    expect(page.locator("#id_comment")).to_be_visible()
    _shot(page, "5-return-refused")
    completion.refresh_from_db()
    assert completion.status == Completion.Status.SUBMITTED and completion.decided_by is None
    assert Task.objects.get(pk=task.pk).status != TaskStatus.DONE
    # The refusal answers 400, which the page collects (the response, and Chromium's console
    # line about it): expected here, and nothing else.
    decide_url = f"/evaluation/completions/{completion.pk}/decide/"
    assert f"HTTP 400 POST {page.url.split('/evaluation/')[0]}{decide_url}" in page.luoshi_errors

    def unexpected() -> list[str]:
        return [e for e in page.luoshi_errors if not ("400" in e and decide_url in e)]

    # --- accepts: the task is done, re-checks are scheduled, on to the evaluation form --------
    page.locator("#completion-accept").click()
    expect(page).to_have_url(re.compile(rf"/evaluation/tasks/{task.pk}/evaluate/$"))
    completion.refresh_from_db()
    task.refresh_from_db()
    assert completion.status == Completion.Status.ACCEPTED
    assert completion.decided_by == orgtree.leader_a and completion.days_late == 0
    assert task.status == TaskStatus.DONE and task.actual == Decimal(30)
    assert Recheck.objects.filter(task=task).count() == 2

    # --- the evaluation form: attainment and timeliness, a quality, the effect -----------------
    expect(page.locator("#evaluation-attainment")).to_have_text("100.0%")
    timeliness = page.locator("#evaluation-timeliness")
    expect(timeliness).to_contain_text(today.isoformat())
    expect(timeliness).to_contain_text(_zh("on time"))
    expect(page.locator("#evaluate-form input[name=quality]")).to_have_count(4)
    page.locator("#evaluate-form input[name=quality][value=excellent]").check()
    page.locator("#id_effect").fill(EFFECT)
    _shot(page, "6-evaluation-form", keep="evaluation-form.png")
    page.locator("#evaluate-save").click()
    expect(page).to_have_url(re.compile(rf"/tasks/{task.pk}/$"))
    state = page.locator("#evaluation-panel #evaluation-state")
    expect(state).to_contain_text(EFFECT)
    expect(state).to_contain_text("100.0%")
    expect(page.locator("#evaluation-panel #completion-state")).to_be_visible()
    expect(page.locator("#evaluation-panel .recheck-row")).to_have_count(2)
    _shot(page, "7-task-evaluated")
    ev = Evaluation.objects.get(task=task)
    assert (ev.quality, ev.effect, ev.evaluated_by) == ("excellent", EFFECT, orgtree.leader_a)
    assert ev.attainment == Decimal("100.0")

    # --- the owner sees the evaluation on the phone too -----------------------------------------
    page.set_viewport_size(PHONE)
    _log_in(page, "reporter_a")
    page.goto(f"/tasks/{task.pk}/")
    expect(page.locator("#evaluation-panel #evaluation-state")).to_contain_text(EFFECT)
    expect(page.locator("#evaluation-panel #submit-completion")).to_have_count(0)
    _shot(page, "8-owner-sees-it-phone")
    assert unexpected() == [], page.luoshi_errors
