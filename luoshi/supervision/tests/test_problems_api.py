"""The problems API: raise, read with every step, answer with the version read (428 without,
409 stale), filters, and scope (another unit's reporter gets 404)."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.supervision.models import Problem
from luoshi.supervision.services import problems as services

from .test_problems_services import MONDAY, at, world  # noqa: F401  (the fixture)


@pytest.fixture
def api():
    def _as(person):
        client = APIClient(enforce_csrf_checks=True)
        client.force_authenticate(person)
        return client

    return _as


@pytest.fixture
def problem(world):  # noqa: F811
    return services.raise_problem(
        world.task, actor=world.org.reporter_a, title="资金缺口", now=at(MONDAY)
    )


def test_create_and_read_with_steps(world, api):  # noqa: F811
    org = world.org
    resp = api(org.reporter_a).post(
        "/api/problems/",
        {"task": world.task.pk, "title": "用地未落实", "description": "需协调"},
        format="json",
    )
    assert resp.status_code == 201, resp.content
    data = resp.json()
    assert data["level"] == 1 and data["level_name"] == "第1级（责任单位）"
    assert data["assignee"] == org.unitadmin_a.pk and data["unit"] == org.a1.pk
    assert [s["kind"] for s in data["steps"]] == ["raised"]
    assert AuditRecord.objects.filter(
        object_type="supervision.problem", object_id=str(data["id"]), action="create"
    ).exists()


def test_create_refusals_name_the_field(world, api):  # noqa: F811
    org = world.org
    client = api(org.reporter_a)
    resp = client.post("/api/problems/", {"task": world.task.pk, "title": " "}, format="json")
    assert resp.status_code == 400 and "title" in resp.json()
    resp = client.post(
        "/api/problems/",
        {"task": world.shared.pk, "title": "x", "unit": org.b1.pk},
        format="json",
    )
    assert resp.status_code == 400 and "unit" in resp.json()
    # Another unit's task: not even visible.
    resp = api(org.reporter_b).post(
        "/api/problems/", {"task": world.task.pk, "title": "x"}, format="json"
    )
    assert resp.status_code == 400 and "task" in resp.json()
    # Visible but not theirs to raise on: the lead leader.
    resp = api(org.leader_a).post(
        "/api/problems/", {"task": world.task.pk, "title": "x"}, format="json"
    )
    assert resp.status_code == 403
    assert not Problem.objects.exists()


def test_respond_needs_the_version(world, problem, api):  # noqa: F811
    client = api(world.org.unitadmin_a)
    url = f"/api/problems/{problem.pk}/respond/"
    resp = client.post(url, {"text": "已协调"}, format="json")
    assert resp.status_code == 428
    resp = client.post(url, {"text": "已协调", "version": problem.version + 5}, format="json")
    assert resp.status_code == 409 and resp.json()["code"] == "stale_version"
    assert problem.steps.count() == 1
    resp = client.post(url, {"text": "已协调", "version": problem.version}, format="json")
    assert resp.status_code == 200, resp.content
    data = resp.json()
    assert [s["kind"] for s in data["steps"]] == ["raised", "response"]
    assert data["version"] == problem.version + 1 and data["answered_at"]
    resp = client.post(url, {"text": " ", "version": data["version"]}, format="json")
    assert resp.status_code == 400 and "text" in resp.json()


def test_resolve_and_unsolvable(world, problem, api):  # noqa: F811
    org = world.org
    resp = api(org.reporter_a).post(
        f"/api/problems/{problem.pk}/resolve/",
        {"resolution": "好了", "version": problem.version},
        format="json",
    )
    assert resp.status_code == 403  # the raiser does not close it
    client = api(org.supervisor)
    resp = client.post(
        f"/api/problems/{problem.pk}/unsolvable/", {"version": problem.version}, format="json"
    )
    assert resp.status_code == 400 and "reasons" in resp.json()
    resp = client.post(
        f"/api/problems/{problem.pk}/resolve/",
        {"resolution": "追加预算", "version": problem.version},
        format="json",
    )
    assert resp.status_code == 200
    assert resp.json()["status"] == "resolved" and resp.json()["steps"][-1]["kind"] == "resolved"
    resp = client.post(
        f"/api/problems/{problem.pk}/unsolvable/",
        {"reasons": "晚了", "version": resp.json()["version"]},
        format="json",
    )
    assert resp.status_code == 400  # already closed


def test_scope_another_units_reporter_gets_404(world, problem, api):  # noqa: F811
    client = api(world.org.reporter_b)
    assert client.get(f"/api/problems/{problem.pk}/").status_code == 404
    for action in ("respond", "resolve", "unsolvable"):
        resp = client.post(
            f"/api/problems/{problem.pk}/{action}/",
            {"version": problem.version, "text": "x", "resolution": "x", "reasons": "x"},
            format="json",
        )
        assert resp.status_code == 404
    assert client.get("/api/problems/").json()["count"] == 0
    problem.refresh_from_db()
    assert problem.version == 1 and problem.steps.count() == 1


def test_filters_and_the_assignee_outside_the_task_scope(world, problem, api):  # noqa: F811
    org = world.org
    client = api(org.supervisor)
    services.raise_problem(world.task_b, actor=org.reporter_b, title="乙问题", now=at(MONDAY))

    def ids(**params):
        return sorted(p["id"] for p in client.get("/api/problems/", params).json()["results"])

    assert len(ids()) == 2
    assert ids(task=world.task.pk) == [problem.pk]
    assert ids(unit=org.a1.pk) == [problem.pk]
    assert ids(status="resolved") == []
    services.escalate_problems(actor=system_actor(), today=dt.date(2026, 3, 10))
    assert ids(level=2) == sorted(Problem.objects.values_list("pk", flat=True))
    # The lead leader now holds it and reads it with its steps.
    data = api(org.leader_a).get(f"/api/problems/{problem.pk}/").json()
    assert [s["kind"] for s in data["steps"]] == ["raised", "escalated"]
    assert data["level_name"] == "第2级（牵头领导）"
