"""The OpenAPI document matches what the API answers (issue #12: unit ids typed as strings while
the API sends integers, Slot.report not nullable, 400/404/409 undocumented): real responses,
errors included, validate against the schema the document gives for their status."""

import jsonschema
import pytest

from luoshi.core.actors import system_actor
from luoshi.dispatch import services as dispatch
from luoshi.ledger import services as ledger


def _json_schema(node):
    """OpenAPI 3.0's `nullable` as JSON Schema's null type, recursively."""
    if isinstance(node, list):
        return [_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _json_schema(v) for k, v in node.items()}
    if node.pop("nullable", False):
        node = {"anyOf": [node, {"type": "null"}]}
    return node


@pytest.fixture
def document(client, db):
    return client.get("/api/openapi.json").json()


def check(document, path, method, response):
    """The response's body is valid under the schema documented for its status code."""
    documented = document["paths"][path][method]["responses"]
    code = str(response.status_code)
    assert code in documented, f"{method.upper()} {path} answered {code}, not documented"
    schema = documented[code]["content"]["application/json"]["schema"]
    resolver_root = {"components": _json_schema(document["components"]), **_json_schema(schema)}
    jsonschema.validate(response.json(), resolver_root)


@pytest.fixture
def world(orgtree):
    plan = ledger.create_plan(
        actor=system_actor(), name="契约计划", year=2026, owner_unit=orgtree.a
    )
    task = ledger.create_task(
        plan,
        actor=system_actor(),
        title="契约任务",
        responsible_units=[orgtree.a1],
        cooperating_units=[orgtree.b1],
    )
    ledger.deploy_plan(plan, actor=system_actor())
    dispatch.open_due_cycles()
    return task


def test_successes_match_their_schemas(document, world, orgtree, login):
    client = login(orgtree.supervisor)
    tasks = client.get("/api/tasks/")
    check(document, "/api/tasks/", "get", tasks)
    row = tasks.json()["results"][0]
    assert row["responsible_units"] == [orgtree.a1.pk] and row["cooperating_units"] == [
        orgtree.b1.pk
    ]
    slots = client.get("/api/slots/")
    assert slots.json()["results"][0]["report"] is None  # no report yet: null, documented
    check(document, "/api/slots/", "get", slots)


def test_errors_are_documented_with_their_bodies(document, world, orgtree, login):
    client = login(orgtree.supervisor)
    path = "/api/tasks/{id}/"
    url = f"/api/tasks/{world.pk}/"
    check(document, path, "get", client.get("/api/tasks/999999/"))  # 404
    check(document, "/api/tasks/", "get", client.get("/api/tasks/", {"owner": "x"}))  # 400
    patch = client.patch(url, {"title": "改"}, content_type="application/json")
    assert patch.status_code == 428
    check(document, path, "patch", patch)
    stale = client.patch(url, {"title": "改", "version": 99}, content_type="application/json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 1
    check(document, path, "patch", stale)
    bad = client.patch(url, {"title": "", "version": 1}, content_type="application/json")
    assert bad.status_code == 400
    check(document, path, "patch", bad)
    check(document, path, "get", login(orgtree.reporter_b).get(url))  # out of scope: 404
    client.logout()
    check(document, "/api/tasks/", "get", client.get("/api/tasks/"))  # 401 or 403
