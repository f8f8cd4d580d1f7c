"""The API: list searched and filtered, paginated; create; PATCH with the version."""

from luoshi.consolidation.models import Practice


def test_list_searches_and_filters(orgtree, world, client):
    client.force_login(orgtree.reporter_a)
    data = client.get("/api/practices/", {"q": "网格"}).json()
    assert data["count"] == 1 and data["results"][0]["title"] == "推行网格化管理"
    assert data["results"][0]["task"] is None  # B's task: not for reporter_a
    assert data["results"][0]["tags"] == ["基层治理", "网格化"]
    assert client.get("/api/practices/", {"tag": "营商环境"}).json()["count"] == 1
    assert client.get("/api/practices/", {"unit": orgtree.a.pk}).json()["count"] == 2
    assert client.get("/api/practices/", {"unit": "x"}).json()["count"] == 0
    assert client.get("/api/practices/", {"kind": "mechanism"}).json()["count"] == 1
    assert client.get("/api/practices/").json()["count"] == 3


def test_create_and_patch_with_versions(orgtree, world, client):
    client.force_login(orgtree.unitadmin_a)
    resp = client.post(
        "/api/practices/",
        {"title": "河长制", "what": "每周巡河", "unit": orgtree.a1.pk, "tags": ["河湖"]},
        content_type="application/json",
    )
    assert resp.status_code == 201, resp.content
    pk = resp.json()["id"]
    url = f"/api/practices/{pk}/"
    assert (
        client.patch(url, {"title": "河湖长制"}, content_type="application/json").status_code == 428
    )
    ok = client.patch(url, {"title": "河湖长制", "version": 1}, content_type="application/json")
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = client.patch(url, {"title": "旧", "version": 1}, content_type="application/json")
    assert stale.status_code == 409
    assert Practice.objects.get(pk=pk).title == "河湖长制"
    bad = client.post(
        "/api/practices/",
        {"title": "", "what": "x", "unit": orgtree.a1.pk},
        content_type="application/json",
    )
    assert bad.status_code == 400
    outside = client.post(
        "/api/practices/",
        {"title": "乙", "what": "x", "unit": orgtree.b1.pk},
        content_type="application/json",
    )
    assert outside.status_code == 403


def test_a_task_outside_scope_cannot_be_linked(orgtree, world, client):
    client.force_login(orgtree.unitadmin_a)
    resp = client.post(
        "/api/practices/",
        {"title": "x", "what": "y", "unit": orgtree.a1.pk, "task": world.task_b.pk},
        content_type="application/json",
    )
    assert resp.status_code == 400


def test_openapi_documents_the_practices(client, orgtree):
    client.force_login(orgtree.admin)
    schema = client.get("/api/openapi.json").json()
    assert "/api/practices/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/practices/"]["get"]["parameters"]}
    assert {"q", "tag", "unit", "kind", "page"} <= params
