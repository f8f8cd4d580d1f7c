"""The REST API: scoped list and detail, drafting, approving and publishing with the version
(428 without it, 409 stale)."""

from luoshi.bulletins import services
from luoshi.bulletins.models import Bulletin


def test_api_workflow(world, client):
    o = world.o
    client.force_login(o.supervisor)
    resp = client.post(
        "/api/bulletins/",
        {"plan": world.plan.pk, "period": "2026-06", "today": "2026-06-20"},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    data = resp.json()
    pk = data["id"]
    assert data["status"] == "draft" and data["content"]["totals"]["red"] == 3
    assert client.get("/api/bulletins/").json()["count"] == 1

    client.force_login(world.leader)
    url = f"/api/bulletins/{pk}/approve/"
    assert client.post(url, {}, content_type="application/json").status_code == 428
    resp = client.post(url, {"version": 9}, content_type="application/json")
    assert resp.status_code == 409 and resp.json()["current_version"] == 1
    resp = client.post(url, {}, content_type="application/json", HTTP_IF_MATCH='"1"')
    assert resp.status_code == 200 and resp.json()["status"] == "approved"

    client.force_login(o.supervisor)
    url = f"/api/bulletins/{pk}/publish/"
    assert client.post(url, {"pdf": False}, content_type="application/json").status_code == 428
    resp = client.post(url, {"version": 1, "pdf": False}, content_type="application/json")
    assert resp.status_code == 409
    resp = client.post(url, {"version": 2, "pdf": False}, content_type="application/json")
    assert resp.status_code == 200, resp.content
    assert resp.json()["number"].startswith("督〔") and len(resp.json()["sha256"]) == 64


def test_api_scope(world, client):
    o = world.o
    b = services.draft(actor=o.supervisor, plan=world.plan, today=world.today)
    client.force_login(o.reporter_a)
    assert client.get("/api/bulletins/").json()["count"] == 0
    assert client.get(f"/api/bulletins/{b.pk}/").status_code == 404
    resp = client.post(
        f"/api/bulletins/{b.pk}/approve/", {"version": 1}, content_type="application/json"
    )
    assert resp.status_code == 404
    resp = client.post("/api/bulletins/", {"plan": world.plan.pk}, content_type="application/json")
    assert resp.status_code == 403
    client.force_login(o.leader_a)
    resp = client.post("/api/bulletins/", {"unit": o.a.pk}, content_type="application/json")
    assert resp.status_code == 403
    assert Bulletin.objects.count() == 1
