"""The report pages and API: fill, save, submit, return, fix, accept; attachments checked by
content and served only in scope."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.dispatch import services
from luoshi.dispatch.models import Attachment, Slot
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Task


@pytest.fixture
def slot(orgtree):
    plan = ledger.create_plan(
        actor=system_actor(), name="页面调度", year=2026, owner_unit=orgtree.office
    )
    task = ledger.create_task(
        plan,
        actor=system_actor(),
        title="报送任务",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
    )
    ledger.create_milestone(task, actor=system_actor(), date="2026-12-01", name="开工")
    ledger.deploy_plan(plan, actor=system_actor())
    services.open_due_cycles()
    return Slot.objects.get(task=task)


def test_fill_submit_return_fix_accept_on_the_pages(orgtree, slot, client):
    client.force_login(orgtree.reporter_a)
    assert "报送任务" in client.get("/reports/").content.decode()
    page = client.get(f"/reports/slots/{slot.pk}/")
    assert page.status_code == 200
    ms = slot.task.milestones.get()
    resp = client.post(
        f"/reports/slots/{slot.pk}/",
        {
            "progress": "已完成设计",
            "problems": "",
            "next_steps": "招标",
            "percent": 20,
            "version": 1,
            f"milestone_{ms.pk}": "2026-11-20",
            "save": "1",
        },
    )
    assert resp.status_code == 302
    slot.refresh_from_db()
    assert slot.status == "draft"
    resp = client.post(
        f"/reports/slots/{slot.pk}/",
        {
            "progress": "已完成设计",
            "next_steps": "招标",
            "percent": 25,
            "version": 2,
            "submit": "1",
        },
    )
    assert resp.status_code == 302
    slot.refresh_from_db()
    assert slot.status == "submitted"

    client.force_login(orgtree.leader_a)
    assert "报送任务" in client.get("/reports/").content.decode()  # in the review queue
    client.post(f"/reports/slots/{slot.pk}/review/", {"return": "1", "comment": "请补充照片"})
    slot.refresh_from_db()
    assert slot.status == "returned"

    # The owner is told at once, in the inbox.
    from luoshi.notify.models import Message

    told = Message.objects.get(recipient=orgtree.reporter_a, dedupe_key__startswith="returned:")
    assert "报送任务" in told.subject and told.body == "请补充照片"
    client.force_login(orgtree.reporter_a)
    body = client.get(f"/reports/slots/{slot.pk}/").content.decode()
    assert "请补充照片" in body
    client.post(
        f"/reports/slots/{slot.pk}/",
        # Draft (2), submit with changes (3) and the submission itself (4).
        {"progress": "已完成设计，附照片", "percent": 30, "version": 4, "submit": "1"},
    )
    client.force_login(orgtree.leader_a)
    client.post(f"/reports/slots/{slot.pk}/review/", {"accept": "1"})
    task = Task.objects.get(pk=slot.task_id)
    assert (task.percent, task.progress) == (30, "已完成设计，附照片")
    assert str(task.milestones.get().reached_on) == "2026-11-20"
    # The exchange is kept on the task page's history.
    body = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "请补充照片" in body
    history = body.split('id="history"')[1]
    # Labels, not codes; local times, not ISO strings.
    assert "已退回" in history and "submitted →" not in history
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", history)


def test_stale_report_save_is_refused(orgtree, slot, client):
    client.force_login(orgtree.reporter_a)
    client.get(f"/reports/slots/{slot.pk}/")
    ok = client.post(f"/reports/slots/{slot.pk}/", {"progress": "一", "version": 1, "save": "1"})
    assert ok.status_code == 302
    stale = client.post(f"/reports/slots/{slot.pk}/", {"progress": "二", "version": 1, "save": "1"})
    assert stale.status_code == 409


def test_attachments_are_checked_by_content(orgtree, slot, client):
    client.force_login(orgtree.reporter_a)
    client.get(f"/reports/slots/{slot.pk}/")
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("照片.png", b"MZ\x90\x00 this is an exe", "image/png")
    client.post(f"/reports/slots/{slot.pk}/attach/", {"file": fake})
    assert Attachment.objects.count() == 0
    pdf = SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n1 0 obj\n%%EOF\n", "application/pdf")
    client.post(f"/reports/slots/{slot.pk}/attach/", {"file": pdf})
    att = Attachment.objects.get()
    assert att.content_type == "application/pdf"
    resp = client.get(f"/reports/attachments/{att.pk}/")
    assert resp.status_code == 200 and b"".join(resp.streaming_content).startswith(b"%PDF")
    assert resp["X-Content-Type-Options"] == "nosniff"
    client.force_login(orgtree.reporter_b)
    assert client.get(f"/reports/attachments/{att.pk}/").status_code == 404


def test_api_submit_and_review(orgtree, slot):
    reporter, leader = APIClient(), APIClient()
    reporter.force_authenticate(orgtree.reporter_a)
    leader.force_authenticate(orgtree.leader_a)
    report = reporter.post(f"/api/slots/{slot.pk}/report/").json()
    resp = reporter.post(
        f"/api/reports/{report['id']}/submit/",
        {"progress": "接口报送", "percent": 10, "version": report["version"]},
        format="json",
    )
    assert resp.status_code == 200, resp.content
    assert (
        leader.post(
            f"/api/reports/{report['id']}/review/", {"accept": False}, format="json"
        ).status_code
        == 400
    )  # a return needs a comment
    assert (
        leader.post(
            f"/api/reports/{report['id']}/review/", {"accept": True}, format="json"
        ).status_code
        == 200
    )
    assert Task.objects.get(pk=slot.task_id).progress == "接口报送"
    assert reporter.get("/api/slots/?status=accepted").json()["count"] == 1


def test_late_submission_shows_working_days_late(orgtree, slot):
    report, _ = services.start_report(slot, actor=orgtree.reporter_a)
    late = slot.due_at + dt.timedelta(days=3)
    services.submit_report(
        report, actor=orgtree.reporter_a, version=report.version, now=late, progress="迟报"
    )
    slot.refresh_from_db()
    due = timezone.localtime(slot.due_at).date()
    from luoshi.core.calendar import current_calendar

    assert slot.days_late == current_calendar().working_days_between(
        due, timezone.localtime(late).date()
    )
