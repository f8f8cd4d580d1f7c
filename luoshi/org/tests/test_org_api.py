"""Units and people through the API: scoped lists, audited changes."""

from rest_framework.test import APIClient

from luoshi.core.models import AuditRecord


def _client(person):
    c = APIClient()
    c.force_authenticate(person)
    return c


def test_unit_admin_manages_own_subtree_only(orgtree):
    c = _client(orgtree.unitadmin_a)
    names = {u["name"] for u in c.get("/api/units/").json()["results"]}
    assert names == {"甲局", "甲局一处"}
    resp = c.post("/api/units/", {"name": "甲局二处", "parent": orgtree.a.pk, "kind": "division"})
    assert resp.status_code == 201
    assert c.post("/api/units/", {"name": "乙局二处", "parent": orgtree.b.pk}).status_code == 403
    resp = c.patch(f"/api/people/{orgtree.reporter_a.pk}/", {"title": "副科长", "version": 1})
    assert resp.status_code == 200 and resp.json()["title"] == "副科长"
    assert (
        c.patch(f"/api/people/{orgtree.reporter_b.pk}/", {"title": "x", "version": 1}).status_code
        == 404
    )
    rec = AuditRecord.objects.filter(object_type="org.person").order_by("-id").first()
    assert rec.changes == {"title": ["", "副科长"]}


def test_reporter_sees_own_unit_and_people(orgtree):
    c = _client(orgtree.reporter_a)
    assert [u["name"] for u in c.get("/api/units/").json()["results"]] == ["甲局一处"]
    people = {p["full_name"] for p in c.get("/api/people/").json()["results"]}
    assert "乙填报" not in people and "甲填报" in people
    assert (
        c.patch(f"/api/people/{orgtree.reporter_a.pk}/", {"title": "x", "version": 1}).status_code
        == 403
    )
