"""GET /api/cockpit/: the page's figures as JSON, under the same scope rules."""

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/cockpit/"


def test_supervisor_reads_the_figures(world, login):
    r = login(world.org.supervisor).get(URL)
    assert r.status_code == 200
    body = r.json()
    assert (body["total"]["due"], body["total"]["completion_rate"]) == (5, 60.0)
    assert {s["light"]: s["count"] for s in body["lights"]}["red"] == 2
    page = login(world.org.supervisor).get("/cockpit/").context["data"]
    assert body["by_unit"] == page["by_unit"] and body["lights"] == page["lights"]


def test_plan_and_unit_filters(world, login):
    client = login(world.org.supervisor)
    body = client.get(URL, {"plan": world.plan.pk, "unit": world.org.a.pk}).json()
    assert (body["plan"], body["unit"]) == (world.plan.pk, world.org.a.pk)
    assert (body["total"]["due"], body["total"]["done"]) == (3, 2)
    assert client.get(URL, {"plan": 999999}).status_code == 404
    assert client.get(URL, {"unit": "x"}).status_code == 404


def test_scope_is_enforced(world, login):
    assert login(world.org.reporter_a).get(URL).status_code == 403
    assert login(world.org.reporter_a).get(URL, {"unit": world.org.b1.pk}).status_code == 403
    r = login(world.org.reporter_a).get(URL, {"unit": world.org.a1.pk})
    assert r.status_code == 200 and r.json()["total"]["due"] == 3
    assert login(world.org.leader_a).get(URL, {"unit": world.org.b.pk}).status_code == 403


def test_openapi_lists_the_endpoint(world, login):
    r = login(world.org.supervisor).get("/api/openapi.json")
    assert r.status_code == 200 and "/api/cockpit/" in r.json()["paths"]
