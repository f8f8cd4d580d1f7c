"""Evaluation's pages and API: the worklist, the completion form with evidence, acceptance (a
stale one answers 409, a missing version 428 in the API), the evaluation form, the answer, the
re-check and the close-out page and export; refusals for those who may not act."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from luoshi.evaluation import services
from luoshi.evaluation.models import Completion, Evaluation, Recheck
from luoshi.ledger.models import TaskStatus

from .test_services import build

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def world(orgtree):
    return build(orgtree)


def _submit(orgtree, task):
    return services.submit_completion(
        task, actor=orgtree.reporter_a, completed_on=timezone.localdate(), summary="已完成"
    )


def test_the_reporter_submits_completion_with_evidence(orgtree, world, login):
    client = login(orgtree.reporter_a)
    page = client.get(f"/tasks/{world.key.pk}/")
    assert 'id="submit-completion"' in page.content.decode()
    url = f"/evaluation/tasks/{world.key.pk}/complete/"
    assert client.get(url).status_code == 200
    bad = client.post(url, {"completed_on": timezone.localdate().isoformat(), "summary": ""})
    assert bad.status_code == 400
    resp = client.post(
        url,
        {
            "completed_on": timezone.localdate().isoformat(),
            "summary": "30所学校竣工",
            "actual": "30",
            "documents": [SimpleUploadedFile("报告.pdf", PDF, content_type="application/pdf")],
        },
    )
    c = Completion.objects.get(task=world.key)
    assert resp.status_code == 302 and resp.url == f"/evaluation/completions/{c.pk}/"
    detail = client.get(resp.url).content.decode()
    assert "30所学校竣工" in detail and "报告.pdf" in detail
    doc = c.documents.get()
    download = client.get(f"/evaluation/documents/{doc.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
    # The reporter may not accept their own submission.
    assert client.post(f"/evaluation/completions/{c.pk}/decide/", {"version": 1}).status_code == 403
    # Another unit's reporter sees none of it.
    other = login(orgtree.reporter_b)
    assert other.get(f"/evaluation/completions/{c.pk}/").status_code == 404
    assert other.get(f"/evaluation/documents/{doc.pk}/").status_code == 404


def test_the_leader_accepts_then_evaluates(orgtree, world, login):
    c = _submit(orgtree, world.key)
    client = login(orgtree.leader_a)
    home = client.get("/evaluation/").content.decode()
    assert world.key.title in home
    url = f"/evaluation/completions/{c.pk}/decide/"
    # Returned without reasons: refused, named.
    resp = client.post(url, {"version": c.version, "comment": "", "return": "1"})
    assert resp.status_code == 400
    # A stale version: 409 and nothing changes.
    resp = client.post(url, {"version": c.version + 5, "accept": "1"})
    assert resp.status_code == 409
    resp = client.post(url, {"version": c.version, "accept": "1"})
    assert resp.status_code == 302 and resp.url == f"/evaluation/tasks/{world.key.pk}/evaluate/"
    world.key.refresh_from_db()
    assert world.key.status == TaskStatus.DONE
    form = client.get(resp.url).content.decode()
    assert 'id="evaluate-form"' in form
    resp = client.post(resp.url, {"quality": "good", "effect": "新增学位"})
    assert resp.status_code == 302
    assert Evaluation.objects.get(task=world.key).quality == "good"
    panel = client.get(f"/tasks/{world.key.pk}/").content.decode()
    assert 'id="evaluation-state"' in panel


def test_the_answer_and_its_acknowledgement_through_the_pages(orgtree, world, login):
    c = _submit(orgtree, world.key)
    services.decide_completion(c, actor=orgtree.leader_a, version=c.version, accept=True)
    client = login(orgtree.supervisor)
    # The ledger's task page says the source still waits for its answer, to whoever reads it.
    for reader in (orgtree.reporter_a, orgtree.supervisor):
        page = login(reader).get(f"/tasks/{world.key.pk}/").content.decode()
        assert 'id="answer-awaited"' in page, reader
    resp = client.post(
        f"/evaluation/tasks/{world.key.pk}/answer/",
        {"issuer": orgtree.admin.pk, "outcome": "已办结"},
    )
    assert resp.status_code == 302
    answer = world.key.answers.get()
    assert 'id="answer-awaited"' not in client.get(f"/tasks/{world.key.pk}/").content.decode()
    admin = login(orgtree.admin)
    assert world.key.title in admin.get("/evaluation/?tab=answers").content.decode()
    assert "已办结" in admin.get(f"/evaluation/answers/{answer.pk}/").content.decode()
    resp = admin.post(
        f"/evaluation/answers/{answer.pk}/acknowledge/",
        {"version": answer.version, "rating": "satisfied"},
    )
    assert resp.status_code == 302
    answer.refresh_from_db()
    assert answer.status == "acknowledged"


def test_a_recheck_recorded_on_its_page(orgtree, world, login):
    c = _submit(orgtree, world.key)
    services.decide_completion(c, actor=orgtree.leader_a, version=c.version, accept=True)
    r = Recheck.objects.filter(task=world.key).order_by("round").first()
    client = login(orgtree.reporter_a)
    url = f"/evaluation/rechecks/{r.pk}/"
    assert 'id="recheck-form"' in client.get(url).content.decode()
    bad = client.post(url, {"version": r.version, "outcome": "regressed", "findings": "反弹"})
    assert bad.status_code == 400  # a regression needs the rectification's deadline
    deadline = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
    resp = client.post(
        url,
        {"version": r.version, "outcome": "regressed", "findings": "反弹", "deadline": deadline},
    )
    assert resp.status_code == 302
    r.refresh_from_db()
    assert r.rectification is not None
    assert r.rectification.title in client.get(url).content.decode()
    assert login(orgtree.reporter_b).get(url).status_code == 404


def test_the_closeout_page_and_its_export(orgtree, world, login):
    c = _submit(orgtree, world.key)
    services.decide_completion(c, actor=orgtree.leader_a, version=c.version, accept=True)
    client = login(orgtree.supervisor)
    page = client.get(f"/evaluation/plans/{world.plan.pk}/closeout/")
    assert page.status_code == 200
    assert 'data-outcome="on_time"' in page.content.decode()
    resp = client.get(f"/evaluation/plans/{world.plan.pk}/closeout.xlsx")
    assert resp.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(resp.content)).active
    values = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert world.key.title in values and world.plain.title in values


def test_api_completion_accept_needs_the_version(orgtree, world, client):
    client.force_login(orgtree.reporter_a)
    resp = client.post(
        "/api/completions/",
        {"task": world.key.pk, "completed_on": timezone.localdate().isoformat(), "summary": "完成"},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    pk = resp.json()["id"]
    client.force_login(orgtree.leader_a)
    url = f"/api/completions/{pk}/accept/"
    assert client.post(url, {}, content_type="application/json").status_code == 428
    stale = client.post(url, {"version": 99}, content_type="application/json")
    assert stale.status_code == 409
    ok = client.post(url, {"version": 1}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["status"] == "accepted"
    resp = client.post(
        "/api/evaluations/",
        {"task": world.key.pk, "quality": "excellent", "effect": "好"},
        content_type="application/json",
    )
    # Target 30, no actual value reported: 0 % attained.
    assert resp.status_code == 201 and Decimal(resp.json()["attainment"]) == 0
    again = client.post(
        "/api/evaluations/",
        {"task": world.key.pk, "quality": "good", "effect": "好"},
        content_type="application/json",
    )
    assert again.status_code == 428  # revising needs the version read
    client.force_login(orgtree.reporter_b)
    assert client.get("/api/completions/").json()["count"] == 0
    assert client.get(f"/api/completions/{pk}/").status_code == 404
