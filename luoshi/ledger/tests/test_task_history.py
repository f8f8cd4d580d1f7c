"""A task's history: one query (the audit thread), shown the same by the task page and the API,
holding the task's own records and those of its milestones, hand-offs and reports."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from rest_framework.test import APIClient

from luoshi.core.audit import verify_chain
from luoshi.core.models import AuditRecord
from luoshi.dispatch import services as dispatch
from luoshi.dispatch.models import Slot
from luoshi.ledger import services
from luoshi.ledger.history import _label, present, task_history
from luoshi.ledger.importer.service import Options, run
from luoshi.ledger.models import Task

from .workbook_factory import workbook

UNIT = "甲局一处"


def _row(no, title, milestones=""):
    return [no, title, "", "", UNIT, "", "", "2026-12-31", milestones, "", "", "", "", ""]


def _history_html(body: str) -> str:
    return body.split('id="history"')[1]


def test_the_task_page_of_an_imported_task_with_milestones(orgtree, client):
    opts = Options(plan_name="导入计划", owner_unit=orgtree.office)
    rows = [["一、类别"], _row("1", "有节点的任务", "3月底前完成招标；6月底前开工")]
    run(workbook(rows), opts, actor=orgtree.supervisor, commit=True)
    # An edited copy changes the milestones: the history shows them before → after.
    rows[1] = _row("1", "有节点的任务", "3月底前完成招标；9月底前完工")
    run(workbook(rows), opts, actor=orgtree.supervisor, commit=True)
    task = Task.objects.get(title="有节点的任务")
    assert task.milestones.count() == 2

    client.force_login(orgtree.supervisor)
    resp = client.get(f"/tasks/{task.pk}/")
    assert resp.status_code == 200
    history = _history_html(resp.content.decode())
    # The milestones' row, by its label, with readable values (not column names or lists).
    assert "时间节点" in history and "milestones" not in history
    assert "2026-03-31 完成招标" in history
    assert "2026-06-30 开工" in history and "2026-09-30 完工" in history
    assert "[" not in history and "None" not in history
    assert "导入新建" in history and "导入修改" in history  # action labels, not codes


def test_the_api_history_holds_task_milestone_and_report_records(orgtree, client):
    actor = orgtree.supervisor
    plan = services.create_plan(actor=actor, name="调度计划", year=2026, owner_unit=orgtree.office)
    task = services.create_task(
        plan,
        actor=actor,
        title="报送任务",
        responsible_units=[orgtree.a1],
        owner=orgtree.reporter_a,
        lead_leader=orgtree.leader_a,
    )
    milestone = services.create_milestone(task, actor=actor, date="2026-12-01", name="开工")
    services.deploy_plan(plan, actor=actor)
    services.acknowledge(task.assignments.all(), actor=orgtree.unitadmin_a)  # the hand-off
    dispatch.open_due_cycles()
    slot = Slot.objects.get(task=task)
    report, _ = dispatch.start_report(slot, actor=orgtree.reporter_a)
    report = dispatch.save_report(
        report, actor=orgtree.reporter_a, version=report.version, progress="已完成设计", percent=20
    )
    report = dispatch.submit_report(report, actor=orgtree.reporter_a, version=report.version)
    dispatch.review_report(report, actor=orgtree.leader_a, accept=False, comment="请补充照片")
    report.refresh_from_db()
    report = dispatch.submit_report(
        report,
        actor=orgtree.reporter_a,
        version=report.version,
        percent=30,
        milestones_reached={str(milestone.pk): "2026-11-20"},
    )
    dispatch.review_report(report, actor=orgtree.leader_a, accept=True)
    # A record of another task stays out of this one's history.
    other = services.create_task(
        plan, actor=actor, title="别的任务", responsible_units=[orgtree.a1]
    )
    services.create_milestone(other, actor=actor, date="2026-10-01", name="别的节点")

    api = APIClient()
    api.force_authenticate(orgtree.supervisor)
    resp = api.get(f"/api/tasks/{task.pk}/history/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert resp.status_code == 200
    body = resp.json()
    assert {"count", "next", "previous", "results"} <= set(body)  # paginated
    items = body["results"]
    kinds = {(h["object_type"], h["action"]) for h in items}
    assert {
        ("ledger.task", "create"),
        ("ledger.task", "acknowledge"),
        ("ledger.milestone", "create"),
        ("dispatch.report", "update"),
        ("dispatch.report", "submit"),
        ("dispatch.report", "return"),
        ("dispatch.report", "accept"),
        ("ledger.task", "progress"),  # the accepted report, as the ledger shows it
        ("ledger.milestone", "update"),  # the milestone it reached
    } <= kinds
    assert all(h["thread"] == f"ledger.task:{task.pk}" for h in items)
    assert not any(h["object_repr"].endswith("别的节点") for h in items)
    assert [h["id"] for h in items] == sorted((h["id"] for h in items), reverse=True)
    assert body["count"] == AuditRecord.objects.filter(thread=f"ledger.task:{task.pk}").count()

    # Readable rows beside the raw fields: labels, names and choices, as the page shows them.
    by_kind = {(h["object_type"], h["action"]): h for h in items}
    ms = by_kind[("ledger.milestone", "create")]
    assert ms["object_id"] == str(milestone.pk) and ms["subject"].startswith("时间节点")
    assert {"field": "date", "label": "日期", "before": "—", "after": "2026-12-01"} in ms["rows"]
    returned = by_kind[("dispatch.report", "return")]
    assert returned["action_label"] == "已退回"
    assert {r["field"] for r in returned["rows"]} == {"status", "comment"}
    assert any(r["after"] == "请补充照片" for r in returned["rows"])
    created = by_kind[("ledger.task", "create")]
    leader = next(r for r in created["rows"] if r["field"] == "lead_leader")
    assert leader["label"] == "牵头领导" and leader["after"] == "甲领导"
    reached = [r for h in items for r in h["rows"] if r["field"] == "milestones_reached"]
    assert reached and (reached[0]["before"], reached[0]["after"]) == (
        "—",
        "2026-12-01 开工：2026-11-20",
    )
    assert reached[0]["label"] != "milestones_reached"  # the report's own field label

    # The page shows the same records and rows.
    client.force_login(orgtree.supervisor)
    page = client.get(f"/tasks/{task.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    history = _history_html(page.content.decode())
    assert "请补充照片" in history and "已退回" in history and "开工" in history
    for h in items:
        for r in h["rows"]:
            assert r["label"] in history, r
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:", history)
    assert verify_chain()[0]


def test_task_history_is_one_query_on_the_thread_index(orgtree):
    actor = orgtree.supervisor
    plan = services.create_plan(actor=actor, name="查询计划", year=2026, owner_unit=orgtree.office)
    task = services.create_task(plan, actor=actor, title="任务", responsible_units=[orgtree.a1])
    for day in ("2026-03-01", "2026-06-01", "2026-09-01"):
        services.create_milestone(task, actor=actor, date=day, name="节点")
    qs = task_history(task)
    sql = str(qs.query)
    assert "thread" in sql and "context" not in sql.split("WHERE")[1]
    with CaptureQueriesContext(connection) as queries:
        records = list(qs)
    assert len(queries) == 1
    assert [r.object_type for r in records] == ["ledger.milestone"] * 3 + ["ledger.task"]


def test_labels_never_fail():
    with translation.override("zh-hans"):
        assert _label("milestones") == "时间节点"  # a reverse relation: its explicit label
        assert _label("lead_leader") == "牵头领导"
        assert _label("assignments") == "assignments"  # a reverse relation with no label
        assert _label("no_such_field") == "no_such_field"


@pytest.mark.django_db
def test_present_shows_odd_records_without_failing():
    rec = AuditRecord(
        action="update",
        object_type="later.stage",
        object_id="1",
        object_repr="某事",
        changes={
            "assignments": [None, [1, 2]],
            "score": 5,
            "status": [["a"], "b"],
            # milestones as records written before they were stored as text
            "milestones": [None, [["2026-06-30", "开工", 50], ["2026-09-30", "完工", None]]],
        },
        context={"task": 1},
    )
    (shown,) = present([rec])
    assert shown["subject"] == "later.stage 某事"
    assert shown["fields"] == ["assignments", "score", "status", "milestones"]
    assert [tuple(r) for r in shown["rows"]] == [
        ("assignments", "—", "1；2"),
        ("score", "—", "5"),
        (_label("status"), "a", "b"),
        (_label("milestones"), "—", "2026-06-30 开工（50%）；2026-09-30 完工"),
    ]
