"""The report form never loses what was typed: an attachment chosen on the page (htmx) keeps
the text as the draft first, in the same request, and a whole-page post with a file keeps it
too; a refusal shows its reason beside the text still typed. Long texts have a stated limit.
The form shows what the task asks: content, target, deadline as written."""

import base64
import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.dispatch import rules, services
from luoshi.dispatch.models import Attachment, Report, Slot
from luoshi.ledger import services as ledger

# A 1×1 PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)
LIMIT = rules.TEXT_LIMITS["progress"]


@pytest.fixture
def slot(orgtree):
    plan = ledger.create_plan(
        actor=system_actor(), name="留字计划", year=2026, owner_unit=orgtree.office
    )
    task = ledger.create_task(
        plan,
        actor=system_actor(),
        title="改扩建中小学校",
        content="新建、改扩建中小学校30所，新增学位2.4万个",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
        target=30,
        measure="所",
        deadline=dt.date(2026, 12, 31),
        deadline_text="年底前",
    )
    ledger.deploy_plan(plan, actor=system_actor())
    services.open_due_cycles()
    return Slot.objects.filter(task=task).order_by("due_at").first()


def _photo(name="现场.png", data=PNG):
    return SimpleUploadedFile(name, data, "image/png")


def _url(slot, tail=""):
    return f"/reports/slots/{slot.pk}/{tail}"


def test_the_form_shows_the_task_and_states_the_limits(orgtree, slot, client):
    client.force_login(orgtree.reporter_a)
    page = client.get(_url(slot)).content.decode()
    brief = page.split('id="task-brief"')[1].split("</dl>")[0]
    assert "新建、改扩建中小学校30所" in brief and "30 所" in brief
    assert "2026-12-31" in brief and "年底前" in brief
    box = re.search(r"<textarea[^>]*name=\"progress\"[^>]*>", page).group(0)
    assert f'maxlength="{LIMIT}"' in box and "data-counter" in box
    assert "dispatch/report_form.js" in page and "dispatch/dispatch.css" in page
    assert 'enctype="multipart/form-data"' in page and 'hx-post="' + _url(slot, "attach/") in page


def test_a_whole_page_post_with_a_photo_keeps_the_text_and_attaches(orgtree, slot, client):
    client.force_login(orgtree.reporter_a)
    resp = client.post(
        _url(slot),
        {"progress": "已完成主体施工", "next_steps": "验收", "attach": "1", "file": _photo()},
    )
    assert resp.status_code == 302 and resp.url == _url(slot)
    report = Report.objects.get(slot=slot)
    assert (report.progress, report.next_steps) == ("已完成主体施工", "验收")
    assert Attachment.objects.get(report=report).name == "现场.png"
    page = client.get(_url(slot)).content.decode()
    assert "已完成主体施工" in page and "现场.png" in page


def test_submitting_with_a_file_chosen_attaches_it_too(orgtree, slot, client):
    client.force_login(orgtree.reporter_a)
    resp = client.post(_url(slot), {"progress": "已完工", "submit": "1", "file": _photo()})
    assert resp.status_code == 302
    slot.refresh_from_db()
    assert slot.status == Slot.Status.SUBMITTED
    assert Attachment.objects.filter(report__slot=slot).count() == 1


def test_a_refused_file_keeps_the_typed_text_and_writes_nothing(orgtree, slot, client):
    client.force_login(orgtree.reporter_a)
    resp = client.post(
        _url(slot),
        {"progress": "打了很多字的进展", "attach": "1", "file": _photo(data=b"MZ not a png")},
    )
    assert resp.status_code == 400
    page = resp.content.decode()
    assert "打了很多字的进展" in page.split('name="progress"')[1].split("</textarea>")[0]
    assert 'id="attach-error"' in page
    assert not Report.objects.filter(slot=slot).exists()  # nothing half-written


def test_choosing_a_file_saves_the_draft_and_returns_the_list_in_place(orgtree, slot, client):
    client.force_login(orgtree.reporter_a)
    resp = client.post(
        _url(slot, "attach/"),
        {"progress": "边写边传", "problems": "", "next_steps": "", "file": _photo()},
        headers={"HX-Request": "true", "HX-Target": "attachments"},
    )
    assert resp.status_code == 200
    body = resp.content.decode()
    report = Report.objects.get(slot=slot)
    assert report.progress == "边写边传"
    assert body.lstrip().startswith('<div id="attachments"') and "现场.png" in body
    # The form gets the report's new version, so its next save is not refused as stale.
    oob = re.search(r'<input[^>]*id="id_version"[^>]*>', body).group(0)
    assert f'value="{report.version}"' in oob and 'hx-swap-oob="true"' in oob
    resp = client.post(
        _url(slot),
        {"progress": "边写边传，再保存", "version": report.version, "save": "1"},
    )
    assert resp.status_code == 302
    assert Report.objects.get(slot=slot).progress == "边写边传，再保存"


def test_a_stale_page_attaching_is_refused_in_place(orgtree, slot, client):
    report, _ = services.start_report(slot, actor=orgtree.reporter_a)
    services.save_report(report, actor=orgtree.reporter_a, version=1, progress="同事写的")
    client.force_login(orgtree.reporter_a)
    resp = client.post(
        _url(slot, "attach/"),
        {"progress": "我写的", "version": 1, "file": _photo()},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 409
    assert 'id="attach-error"' in resp.content.decode()
    assert Report.objects.get(slot=slot).progress == "同事写的"
    assert not Attachment.objects.exists()


def test_a_text_over_the_limit_is_refused_naming_the_field(orgtree, slot, client):
    client.force_login(orgtree.reporter_a)
    too_long = "进" * (LIMIT + 1)
    resp = client.post(_url(slot), {"progress": too_long, "save": "1"})
    assert resp.status_code == 400
    assert too_long in resp.content.decode()  # still there to shorten
    assert not Report.objects.filter(slot=slot).exists()
    resp = client.post(
        _url(slot, "attach/"), {"progress": too_long, "file": _photo()}, headers={"HX-Request": "1"}
    )
    assert resp.status_code == 400 and "进展情况" in resp.content.decode()


def test_line_breaks_count_once_against_the_limit(orgtree, slot, client):
    client.force_login(orgtree.reporter_a)
    text = ("进" * 9 + "\r\n") * (LIMIT // 10)  # LIMIT characters as the browser counts them
    resp = client.post(_url(slot), {"progress": text, "save": "1"})
    assert resp.status_code == 302
    assert Report.objects.get(slot=slot).progress == text.replace("\r\n", "\n").rstrip("\n")


def test_the_api_refuses_a_text_over_the_limit(orgtree, slot):
    api = APIClient()
    api.force_authenticate(orgtree.reporter_a)
    report = api.post(f"/api/slots/{slot.pk}/report/").json()
    resp = api.patch(
        f"/api/reports/{report['id']}/",
        {"problems": "问" * (rules.TEXT_LIMITS["problems"] + 1), "version": report["version"]},
        format="json",
        headers={"If-Match": str(report["version"])},
    )
    assert resp.status_code == 400 and "problems" in resp.json()


def test_a_long_comment_is_kept_on_the_page_with_its_reason(orgtree, slot, client):
    report, _ = services.start_report(slot, actor=orgtree.reporter_a)
    services.submit_report(report, actor=orgtree.reporter_a, version=1, progress="已完工")
    client.force_login(orgtree.leader_a)
    comment = "请" * (rules.COMMENT_LIMIT + 1)
    resp = client.post(_url(slot, "review/"), {"comment": comment, "return": "1"})
    assert resp.status_code == 400 and comment in resp.content.decode()
    slot.refresh_from_db()
    assert slot.status == Slot.Status.SUBMITTED
