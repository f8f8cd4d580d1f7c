"""Categories are created and changed through the audited service; a category never moves to
another plan (its tasks would be stranded there)."""

import pytest
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.ledger import services
from luoshi.ledger.models import Category, Plan, Task


@pytest.fixture
def plans(orgtree):
    actor = system_actor()
    one = services.create_plan(
        actor=actor,
        name="分类计划",
        year=2026,
        owner_unit=orgtree.office,
        numbering=Plan.Numbering.PER_SECTION,
    )
    two = services.create_plan(actor=actor, name="另一计划", year=2026, owner_unit=orgtree.office)
    return one, two


@pytest.fixture
def api(orgtree):
    client = APIClient(enforce_csrf_checks=True)
    client.force_authenticate(orgtree.supervisor)
    return client


def test_create_and_rename_are_audited_and_keys_follow(api, plans, orgtree):
    plan, _ = plans
    resp = api.post("/api/categories/", {"plan": plan.pk, "name": "基础设施"}, format="json")
    assert resp.status_code == 201, resp.content
    cid = resp.json()["id"]
    assert resp.json()["order"] == 1
    task = services.create_task(
        plan,
        actor=system_actor(),
        title="修路",
        category=Category.objects.get(pk=cid),
        responsible_units=[orgtree.a1],
    )
    assert task.key == "基础设施|1"
    resp = api.patch(f"/api/categories/{cid}/", {"name": "交通设施", "version": 1}, format="json")
    assert resp.status_code == 200, resp.content
    task.refresh_from_db()
    assert task.key == "交通设施|1"  # numbering restarts per section: the key names the section
    actions = list(
        AuditRecord.objects.filter(object_type="ledger.category", object_id=str(cid))
        .order_by("id")
        .values_list("action", "actor_id")
    )
    assert actions == [("create", orgtree.supervisor.pk), ("update", orgtree.supervisor.pk)]


def test_plan_of_a_category_is_read_only(api, plans, orgtree):
    plan, other = plans
    category = services.create_category(plan, actor=system_actor(), name="一类")
    task = services.create_task(
        plan, actor=system_actor(), title="任务", category=category, responsible_units=[orgtree.a1]
    )
    resp = api.patch(
        f"/api/categories/{category.pk}/",
        {"plan": other.pk, "version": category.version},
        format="json",
    )
    assert resp.status_code == 200  # a read-only field is ignored, as DRF does
    category.refresh_from_db()
    assert category.plan_id == plan.pk
    assert Task.objects.get(pk=task.pk).plan_id == plan.pk
    schema = api.get("/api/openapi.json").json()
    # Clients generated from the document cannot even send it.
    patch_request = schema["components"]["schemas"]["PatchedCategoryChangeRequest"]["properties"]
    assert "plan" not in patch_request and "name" in patch_request


def test_duplicate_name_is_refused_with_the_field(api, plans):
    plan, _ = plans
    services.create_category(plan, actor=system_actor(), name="一类")
    resp = api.post("/api/categories/", {"plan": plan.pk, "name": "一类"}, format="json")
    assert resp.status_code == 400 and "name" in resp.json()


def test_reporter_cannot_create_categories(orgtree, plans):
    plan, _ = plans
    client = APIClient(enforce_csrf_checks=True)
    client.force_authenticate(orgtree.reporter_a)
    resp = client.post("/api/categories/", {"plan": plan.pk, "name": "越权"}, format="json")
    assert resp.status_code in (400, 403)
    assert not Category.objects.filter(name="越权").exists()
