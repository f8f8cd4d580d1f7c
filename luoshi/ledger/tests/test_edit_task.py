"""Creating and editing tasks on the pages: validation, CSRF, stale saves refused."""

import pytest
from django.test import Client

from luoshi.core.actors import system_actor
from luoshi.ledger import services
from luoshi.ledger.models import Task


@pytest.fixture
def plan(orgtree):
    return services.create_plan(
        actor=system_actor(), name="页面计划", year=2026, owner_unit=orgtree.office
    )


def _form(task, orgtree, **over):
    data = {
        "no": task.no,
        "title": task.title,
        "responsible_units": [orgtree.a1.pk],
        "status": task.status,
        "version": task.version,
        "content": "",
        "measure": "",
        "source_kind": "",
        "source_ref": "",
        "notes": "",
        "frequency": "",
    }
    data.update(over)
    return data


def test_create_task_on_the_page(orgtree, plan):
    client = Client(enforce_csrf_checks=True)
    client.force_login(orgtree.supervisor)
    page = client.get(f"/plans/{plan.pk}/tasks/new/")
    assert page.status_code == 200
    token = page.cookies["csrftoken"].value
    resp = client.post(
        f"/plans/{plan.pk}/tasks/new/",
        {
            "csrfmiddlewaretoken": token,
            "title": "页面新建",
            "responsible_units": [orgtree.a1.pk],
            "status": "not_started",
            "deadline": "2026-06-30",
        },
    )
    assert resp.status_code == 302
    task = Task.objects.get(title="页面新建")
    assert task.no == "1" and str(task.deadline) == "2026-06-30"
    # Without the CSRF token the same post is refused.
    resp = client.post(f"/plans/{plan.pk}/tasks/new/", {"title": "x"})
    assert resp.status_code == 403


def test_validation_errors_are_shown_and_nothing_saved(orgtree, plan, client):
    client.force_login(orgtree.supervisor)
    resp = client.post(
        f"/plans/{plan.pk}/tasks/new/",
        {"title": "", "responsible_units": [], "status": "not_started", "deadline": "2026-02-30"},
    )
    assert resp.status_code == 200
    errors = resp.context["form"].errors
    assert {"title", "responsible_units", "deadline"} <= set(errors)
    assert Task.objects.count() == 0


def test_stale_edit_is_refused_with_a_clear_message(orgtree, plan, client):
    task = services.create_task(
        plan, actor=system_actor(), title="原标题", responsible_units=[orgtree.a1]
    )
    client.force_login(orgtree.supervisor)
    stale = _form(task, orgtree, title="我的修改")
    services.update_task(task, actor=system_actor(), version=1, title="别人的修改")
    resp = client.post(f"/tasks/{task.pk}/edit/", stale)
    assert resp.status_code == 409
    assert "Reload" in resp.content.decode() or "重新" in resp.content.decode()
    task.refresh_from_db()
    assert task.title == "别人的修改" and task.version == 2
    resp = client.post(f"/tasks/{task.pk}/edit/", _form(task, orgtree, title="重新保存"))
    assert resp.status_code == 302
    task.refresh_from_db()
    assert task.title == "重新保存" and task.version == 3


def test_task_page_shows_fields_subtasks_milestones_history(orgtree, plan, client):
    parent = services.create_task(
        plan,
        actor=system_actor(),
        title="父任务",
        responsible_units=[orgtree.a1],
        deadline="2026-12-31",
    )
    services.create_task(
        plan, actor=system_actor(), parent=parent, title="子任务", responsible_units=[orgtree.a1]
    )
    services.create_milestone(parent, actor=system_actor(), date="2026-06-30", name="过半")
    services.update_task(
        parent,
        actor=system_actor(),
        version=parent.version,
        title="父任务（改）",
        lead_leader=orgtree.leader_a,
    )
    services.deploy_plan(plan, actor=system_actor())  # a lead leader reads deployed plans only
    client.force_login(orgtree.leader_a)
    body = client.get(f"/tasks/{parent.pk}/").content.decode()
    for text in ("父任务（改）", "子任务", "过半", "2026-12-31", "甲局一处"):
        assert text in body, text
    assert "父任务" in body and "→" in body  # the history shows before → after
    history = body.split('id="history"')[1]
    # Labels and names, not column names and ids.
    assert "牵头领导" in history and "甲领导" in history and "lead_leader" not in history


def test_delete_needs_manage_rights(orgtree, plan, client):
    task = services.create_task(
        plan, actor=system_actor(), title="将删除", responsible_units=[orgtree.a1]
    )
    services.create_task(
        plan, actor=system_actor(), parent=task, title="子", responsible_units=[orgtree.a1]
    )
    services.deploy_plan(plan, actor=system_actor())  # the reporter reads it, may not delete it
    client.force_login(orgtree.reporter_a)
    assert client.post(f"/tasks/{task.pk}/delete/", {"version": 1}).status_code == 403
    client.force_login(orgtree.supervisor)
    assert client.post(f"/tasks/{task.pk}/delete/", {"version": 1}).status_code == 302
    assert Task.objects.count() == 0
