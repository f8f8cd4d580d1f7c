"""Every update through the API says which version it read: 428 without one, 400 when it is not
a number, 409 when it is stale; nothing is written in any of those cases."""

import pytest
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.ledger import services
from luoshi.ledger.models import Category, Milestone, Plan, Task
from luoshi.org.models import Person, Unit


@pytest.fixture
def api(orgtree):
    client = APIClient(enforce_csrf_checks=True)
    client.force_authenticate(orgtree.admin)
    return client


@pytest.fixture
def world(orgtree):
    actor = system_actor()
    plan = services.create_plan(actor=actor, name="版本计划", year=2026, owner_unit=orgtree.office)
    category = services.create_category(plan, actor=actor, name="一类")
    task = services.create_task(
        plan, actor=actor, title="任务", category=category, responsible_units=[orgtree.a1]
    )
    milestone = services.create_milestone(task, actor=actor, date="2026-05-31", name="开工")
    return {
        "plans": (plan, {"name": "改名计划"}),
        "categories": (category, {"name": "改名大类"}),
        "tasks": (task, {"title": "改名任务"}),
        "milestones": (milestone, {"name": "改名节点"}),
        "units": (orgtree.b1, {"short_name": "乙一"}),
        "people": (orgtree.reporter_b, {"title": "科长"}),
    }


MODELS = {
    "plans": Plan,
    "categories": Category,
    "tasks": Task,
    "milestones": Milestone,
    "units": Unit,
    "people": Person,
}


@pytest.mark.parametrize("route", list(MODELS))
def test_update_without_version_is_428_and_writes_nothing(api, world, route):
    obj, change = world[route]
    audited = AuditRecord.objects.count()
    resp = api.patch(f"/api/{route}/{obj.pk}/", change, format="json")
    assert resp.status_code == 428, resp.content
    assert "version" in resp.json()["detail"]
    fresh = MODELS[route].objects.get(pk=obj.pk)
    assert fresh.version == obj.version
    field, value = next(iter(change.items()))
    assert getattr(fresh, field) != value
    assert AuditRecord.objects.count() == audited


@pytest.mark.parametrize("route", list(MODELS))
def test_update_with_version_in_body_or_if_match(api, world, route):
    obj, change = world[route]
    resp = api.patch(f"/api/{route}/{obj.pk}/", {**change, "version": "x"}, format="json")
    assert resp.status_code == 400 and "version" in resp.json()
    resp = api.patch(
        f"/api/{route}/{obj.pk}/", change, format="json", HTTP_IF_MATCH=f'"{obj.version}"'
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["version"] == obj.version + 1
    # The same version again is now stale.
    resp = api.patch(f"/api/{route}/{obj.pk}/", {**change, "version": obj.version}, format="json")
    assert resp.status_code == 409


def test_delete_needs_the_version_too(api, world):
    task, _ = world["tasks"]
    assert api.delete(f"/api/tasks/{task.pk}/").status_code == 428
    milestone, _ = world["milestones"]
    assert api.delete(f"/api/milestones/{milestone.pk}/").status_code == 428
    assert Task.objects.filter(pk=task.pk).exists()
    resp = api.delete(f"/api/milestones/{milestone.pk}/", HTTP_IF_MATCH=str(milestone.version))
    assert resp.status_code == 204
    resp = api.delete(f"/api/tasks/{task.pk}/", {"version": task.version}, format="json")
    assert resp.status_code == 204
    assert not Task.objects.filter(pk=task.pk).exists()
