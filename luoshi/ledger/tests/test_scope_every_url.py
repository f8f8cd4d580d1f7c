"""Scope on every URL: a reporter of unit A gets 403/404 or an empty list for unit B's objects.

The test walks every URL pattern the project has (pages and API). Each named pattern must be in
SCOPE_TABLE, so a new endpoint fails this test until someone states how its scope is checked."""

import io

import openpyxl
import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from luoshi.core.actors import system_actor
from luoshi.ledger import services
from luoshi.ledger.models import Assignment, ImportBatch, Milestone, Task

# name -> which of B's objects fills the pattern's kwargs ("list" needs none).
SCOPE_TABLE = {
    # pages
    "ledger:task_list": "list",
    "ledger:my_tasks": "list",
    "ledger:plan_list": "list",
    "ledger:plan_create": "form",
    "ledger:export": "export",
    "ledger:import_start": "form",
    "ledger:task_detail": "task",
    "ledger:task_edit": "task",
    "ledger:task_delete": "task",
    "ledger:milestone_add": "task",
    "ledger:milestone_edit": "milestone",
    "ledger:acknowledge": "assignment",
    "ledger:request_reassign": "assignment",
    "ledger:plan_detail": "plan",
    "ledger:plan_deploy": "plan",
    "ledger:task_create": "plan",
    "ledger:import_preview": "batch",
    "ledger:import_confirm": "batch",
    "org:unit_list": "list",
    "org:unit_detail": "unit",
    "org:people_list": "list",
    # API
    "api-root": "public",
    "openapi": "public",
    "token": "public",
    "unit-list": "list",
    "unit-detail": "unit",
    "person-list": "list",
    "person-detail": "person",
    "plan-list": "list",
    "plan-detail": "plan",
    "plan-history": "plan",
    "plan-deploy": "plan",
    "category-list": "list",
    "category-detail": "category",
    "task-list": "list",
    "task-detail": "task",
    "task-history": "task",
    "milestone-list": "list",
    "milestone-detail": "milestone",
    "assignment-list": "list",
    "assignment-acknowledge": "assignment",
    "assignment-reassign-request": "assignment",
    # framework pages that show no ledger data
    "dispatch:my_reports": "list",
    "dispatch:cycle_list": "list",
    "dispatch:report": "slot",
    "dispatch:review": "slot",
    "dispatch:attach": "slot",
    "dispatch:attachment": "attachment",
    "dispatch:cycle_detail": "cycle",
    "slot-list": "list",
    "slot-detail": "slot",
    "slot-report": "slot",
    "report-detail": "report",
    "report-submit": "report",
    "report-review": "report",
    "notify:inbox": "list",
    "notify:mark_read": "message",
    "notify:mark_all_read": "list",
    "login": "public",
    "logout": "public",
    "set_language": "public",
    "javascript-catalog": "public",
}


def walk(resolver, prefix="", ns=None):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            sub_ns = p.namespace if p.namespace else ns
            yield from walk(p, prefix + str(p.pattern), sub_ns)
        elif isinstance(p, URLPattern):
            name = f"{ns}:{p.name}" if ns and p.name else p.name
            yield name, prefix + str(p.pattern), p


@pytest.fixture
def b_world(orgtree):
    plan = services.create_plan(
        actor=system_actor(), name="乙计划", year=2026, owner_unit=orgtree.b
    )
    task = services.create_task(
        plan,
        actor=system_actor(),
        title="乙局机密任务",
        responsible_units=[orgtree.b1],
        owner=orgtree.reporter_b,
    )
    ms = services.create_milestone(task, actor=system_actor(), date="2026-05-01", name="乙节点")
    services.deploy_plan(plan, actor=system_actor())
    assignment = Assignment.objects.get(task=task)
    batch = ImportBatch.objects.create(
        plan_name="乙计划",
        filename="b.xlsx",
        stored_as="x.xlsx",
        sha256="0" * 64,
        uploaded_by=orgtree.reporter_b,
    )
    from luoshi.dispatch import services as dispatch

    dispatch.open_due_cycles()
    slot = task.slots.get()
    report, _ = dispatch.start_report(slot, actor=orgtree.reporter_b)
    attachment = dispatch.add_attachment(
        report, "乙附件.pdf", b"%PDF-1.4\n%%EOF\n", actor=orgtree.reporter_b
    )
    from luoshi.notify import services as notify

    [message] = notify.notify(
        orgtree.reporter_b, subject="乙局机密任务", body="乙节点", dedupe_key="scope:b"
    )
    return {
        "message": message,
        "slot": slot,
        "report": report,
        "cycle": slot.cycle,
        "attachment": attachment,
        "plan": plan,
        "task": task,
        "milestone": ms,
        "assignment": assignment,
        "unit": orgtree.b1,
        "person": orgtree.reporter_b,
        "batch": batch,
        "category": plan.categories.create(name="乙类别", order=1),
    }


SECRETS = ["乙局机密任务", "乙计划", "乙节点", "乙类别", "乙填报", "乙附件", "%PDF"]


def _url_for(route: str, kind: str, world) -> str:
    import re

    obj = world.get(kind)
    url = "/" + route.lstrip("^").rstrip("$")
    url = re.sub(r"\(\?P<format>[^)]*\)", ".json", url)
    url = url.replace("\\.", ".").replace("/?", "/")
    url = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(obj.pk), url)
    url = re.sub(
        r"<(?:\w+:)?(\w+)>", lambda m: str(obj.pk) if m.group(1) != "format" else "json", url
    )
    return url


def test_every_url_is_in_the_scope_table():
    names = {name for name, _, _ in walk(get_resolver()) if name}
    missing = {n for n in names if n not in SCOPE_TABLE and not n.startswith("admin:")}
    assert not missing, f"new URL patterns need a scope entry (and a check): {sorted(missing)}"


def test_reporter_of_a_sees_nothing_of_b(orgtree, b_world, client):
    client.force_login(orgtree.reporter_a)
    checked = 0
    for name, route, _ in walk(get_resolver()):
        if name is None or name.startswith("admin:"):
            continue
        kind = SCOPE_TABLE[name]
        if kind in ("public", "form"):
            continue
        url = _url_for(route, kind, b_world)
        for method in ("get", "post", "put", "patch", "delete"):
            if method != "get" and kind in ("list", "export"):
                continue
            resp = (
                getattr(client, method)(url, content_type="application/json")
                if method in ("put", "patch")
                else getattr(client, method)(url)
            )
            checked += 1
            if resp.status_code in (403, 404, 405):
                continue
            assert resp.status_code == 200 or (method == "post" and kind == "list"), (
                f"{method.upper()} {url} ({name}) answered {resp.status_code}"
            )
            body = _text(resp)
            leaked = [s for s in SECRETS if s in body]
            assert not leaked, f"{method.upper()} {url} ({name}) shows {leaked}"
    assert checked > 60
    # Nothing of B's changed through any of those requests.
    task = Task.objects.get(pk=b_world["task"].pk)
    assert task.version == 1 and task.title == "乙局机密任务"
    assert Milestone.objects.filter(pk=b_world["milestone"].pk).exists()
    assert Assignment.objects.get(pk=b_world["assignment"].pk).ack == "pending"


def _text(resp) -> str:
    ctype = resp.get("Content-Type", "")
    if "spreadsheetml" in ctype:
        wb = openpyxl.load_workbook(io.BytesIO(resp.content), read_only=True)
        return " ".join(
            str(c)
            for ws in wb
            for row in ws.iter_rows(values_only=True)
            for c in row
            if c is not None
        )
    return resp.content.decode("utf-8", "replace")


def test_reporter_of_a_cannot_fetch_b_through_query_parameters(orgtree, b_world, client):
    client.force_login(orgtree.reporter_a)
    for url in [
        f"/?plan={b_world['plan'].pk}",
        f"/?unit={orgtree.b.pk}",
        f"/api/tasks/?plan={b_world['plan'].pk}",
        f"/api/milestones/?task={b_world['task'].pk}",
        "/?q=乙局",
        "/api/tasks/?q=乙局",
        f"/export/?plan={b_world['plan'].pk}",
    ]:
        resp = client.get(url)
        assert resp.status_code in (200, 404)
        if resp.status_code == 200:
            assert not [s for s in SECRETS if s in _text(resp)], url


def test_anonymous_gets_nothing(b_world, client):
    for name, route, _ in walk(get_resolver()):
        if name is None or name.startswith("admin:") or SCOPE_TABLE[name] in ("public",):
            continue
        resp = client.get(_url_for(route, SCOPE_TABLE[name], b_world))
        assert resp.status_code in (302, 401, 403, 404, 405), (name, resp.status_code)


def test_supervisor_and_b_reporter_do_see_b(orgtree, b_world, client):
    for person in (orgtree.supervisor, orgtree.reporter_b):
        client.force_login(person)
        assert "乙局机密任务" in client.get("/").content.decode()
        assert client.get(f"/tasks/{b_world['task'].pk}/").status_code == 200
        assert client.get("/api/tasks/").json()["count"] == 1
