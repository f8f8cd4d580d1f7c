"""The REST API: token auth, scoped lists with filters, create/update through the audited path,
stale versions refused with 409, OpenAPI document."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.core.models import AuditRecord
from luoshi.ledger import services
from luoshi.ledger.models import Task


@pytest.fixture
def api(orgtree):
    client = APIClient(enforce_csrf_checks=True)
    token = Token.objects.create(user=orgtree.supervisor)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def plan(orgtree):
    return services.create_plan(
        actor=system_actor(), name="API计划", year=2026, owner_unit=orgtree.office
    )


def test_create_then_update_with_versions(api, plan, orgtree):
    resp = api.post(
        "/api/tasks/",
        {
            "plan": plan.pk,
            "title": "新建任务",
            "responsible_units": [orgtree.a1.pk],
            "cooperating_units": [orgtree.b1.pk],
            "deadline": "2026-06-30",
            "key_task": True,
        },
        format="json",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert body["no"] == "1" and body["version"] == 1
    assert body["responsible_units"] == [orgtree.a1.pk]
    assert body["cooperating_units"] == [orgtree.b1.pk]
    tid = body["id"]

    resp = api.patch(f"/api/tasks/{tid}/", {"title": "改名", "version": 1}, format="json")
    assert resp.status_code == 200 and resp.json()["version"] == 2
    # A client still holding version 1 is refused, and nothing is overwritten.
    resp = api.patch(f"/api/tasks/{tid}/", {"title": "旧版本覆盖", "version": 1}, format="json")
    assert resp.status_code == 409
    assert resp.json()["code"] == "stale_version" and resp.json()["current_version"] == 2
    assert Task.objects.get(pk=tid).title == "改名"
    # If-Match works as well as a body field.
    resp = api.patch(f"/api/tasks/{tid}/", {"notes": "x"}, format="json", HTTP_IF_MATCH='"2"')
    assert resp.status_code == 200

    history = api.get(f"/api/tasks/{tid}/history/").json()["results"]
    assert [h["action"] for h in history] == ["update", "update", "create"]
    assert history[1]["changes"]["title"] == ["新建任务", "改名"]


def test_validation_errors_name_the_field(api, plan, orgtree):
    resp = api.post("/api/tasks/", {"plan": plan.pk, "title": "无单位"}, format="json")
    assert resp.status_code == 400 and "responsible_units" in resp.json()
    resp = api.post(
        "/api/tasks/",
        {
            "plan": plan.pk,
            "title": "x",
            "deadline": "2026-02-30",
            "responsible_units": [orgtree.a1.pk],
        },
        format="json",
    )
    assert resp.status_code == 400 and "deadline" in resp.json()
    resp = api.post(
        "/api/tasks/",
        {
            "plan": plan.pk,
            "title": "x",
            "ongoing": True,
            "deadline": "2026-03-01",
            "responsible_units": [orgtree.a1.pk],
        },
        format="json",
    )
    assert resp.status_code == 400 and "deadline" in resp.json()


def test_list_filters_and_pagination(api, plan, orgtree):
    for i in range(3):
        services.create_task(
            plan,
            actor=system_actor(),
            title=f"甲任务{i}",
            responsible_units=[orgtree.a1],
            key_task=i == 0,
            deadline=f"2026-0{i + 3}-01",
        )
    services.create_task(plan, actor=system_actor(), title="乙任务", responsible_units=[orgtree.b1])
    assert api.get("/api/tasks/").json()["count"] == 4
    assert api.get(f"/api/tasks/?unit={orgtree.a.pk}").json()["count"] == 3  # with subunits
    assert api.get("/api/tasks/?key_task=true").json()["count"] == 1
    assert api.get("/api/tasks/?q=乙").json()["count"] == 1
    page = api.get("/api/tasks/?page_size=2&sort=deadline").json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]


def test_reporter_cannot_change_tasks(orgtree, plan):
    task = services.create_task(
        plan, actor=system_actor(), title="任务", responsible_units=[orgtree.a1]
    )
    services.deploy_plan(plan, actor=system_actor())  # the reporter reads it, may not change it
    client = APIClient()
    client.force_authenticate(orgtree.reporter_a)
    resp = client.patch(f"/api/tasks/{task.pk}/", {"title": "x", "version": 1}, format="json")
    assert resp.status_code == 403
    assert client.get(f"/api/tasks/{task.pk}/").status_code == 200


def test_unauthenticated_api_is_refused(client):
    assert client.get("/api/tasks/").status_code in (401, 403)


def test_openapi_document(client):
    resp = client.get("/api/openapi.json")
    assert resp.status_code == 200
    doc = resp.json()
    assert doc["openapi"].startswith("3.")
    for path in (
        "/api/tasks/",
        "/api/tasks/{id}/",
        "/api/units/",
        "/api/people/",
        "/api/plans/",
        "/api/categories/",
        "/api/milestones/",
    ):
        assert path in doc["paths"], path
    params = {p["name"] for p in doc["paths"]["/api/tasks/"]["get"]["parameters"]}
    assert {"plan", "unit", "lead_leader", "key_task", "status", "q", "page"} <= params


def test_every_api_write_is_audited(api, plan, orgtree):
    before = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    m = api.post(
        "/api/milestones/",
        {
            "task": services.create_task(
                plan, actor=system_actor(), title="t", responsible_units=[orgtree.a1]
            ).pk,
            "date": "2026-04-01",
            "name": "节点",
        },
        format="json",
    )
    assert m.status_code == 201
    assert (
        api.patch(
            f"/api/milestones/{m.json()['id']}/",
            {"reached_on": "2026-03-30", "version": 1},
            format="json",
        ).status_code
        == 200
    )
    # The delete names the version it read (2, after the change above).
    resp = api.delete(f"/api/milestones/{m.json()['id']}/", HTTP_IF_MATCH="2")
    assert resp.status_code == 204
    actions = list(AuditRecord.objects.filter(pk__gt=before).values_list("object_type", "action"))
    assert actions == [
        ("ledger.task", "create"),
        ("ledger.milestone", "create"),
        ("ledger.milestone", "update"),
        ("ledger.milestone", "delete"),
    ]
