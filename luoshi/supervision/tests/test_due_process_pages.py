"""Due process on the pages and the API: the task page's panel and its links, the request
forms, the lists (scoped, pending first), the decide forms (409 when stale), and the API's
create and decide (428 without a version, 409 when stale)."""

import datetime as dt

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from luoshi.ledger.models import Assignment, Task
from luoshi.org.scope import scope_for
from luoshi.supervision.models import Appeal, Extension
from luoshi.supervision.services import due_process as services
from luoshi.supervision.views.due_process import task_panel

from .test_due_process import world  # noqa: F401  (the fixture)

D = dt.date


def api(person) -> APIClient:
    client = APIClient()
    client.force_authenticate(person)
    return client


def ask(o, task, **kw):
    return services.request_extension(
        task,
        actor=o.reporter_a,
        requested_deadline=kw.get("to", D(2026, 9, 30)),
        reason=kw.get("reason", "汛期无法施工"),
    )


# --- the task page's panel -------------------------------------------------------------------


def test_the_task_page_offers_the_reporter_both_links(world, client):  # noqa: F811
    o, task_a, _ = world
    ext = ask(o, task_a)
    client.force_login(o.reporter_a)
    html = client.get(f"/tasks/{task_a.pk}/").content.decode()
    assert 'id="due-process-panel"' in html
    assert f'href="/supervision/tasks/{task_a.pk}/appeal/new/"' in html
    assert 'id="appeal-light"' in html
    assert 'id="request-extension"' not in html  # one is already waiting
    assert "2026-06-30 → 2026-09-30" in html
    assert f'href="/supervision/extensions/{ext.pk}/"' in html
    services.decide_extension(ext, actor=o.leader_a, version=1, approve=False, reason="否")
    html = client.get(f"/tasks/{task_a.pk}/").content.decode()
    assert 'id="request-extension"' in html
    assert f'href="/supervision/tasks/{task_a.pk}/extension/new/"' in html


def test_the_lead_leader_sees_the_requests_but_no_links_to_ask(world, client):  # noqa: F811
    o, task_a, _ = world
    ask(o, task_a)
    client.force_login(o.leader_a)
    html = client.get(f"/tasks/{task_a.pk}/").content.decode()
    assert "2026-06-30 → 2026-09-30" in html
    assert 'id="request-extension"' not in html and 'id="appeal-light"' not in html


def test_a_decided_extension_shows_its_reasons_and_no_appeal_link_for_a_green_light(
    world,  # noqa: F811
    client,
):
    o, task_a, _ = world
    ext = ask(o, task_a)
    services.decide_extension(ext, actor=o.leader_a, version=1, approve=False, reason="不予延期")
    from luoshi.core.actors import system_actor
    from luoshi.ledger import services as ledger

    ledger.record_lights([(task_a.pk, "green", "")], actor=system_actor())
    client.force_login(o.reporter_a)
    html = client.get(f"/tasks/{task_a.pk}/").content.decode()
    assert "不予延期" in html
    assert 'id="appeal-light"' not in html and 'id="request-extension"' in html


def test_the_panel_costs_two_queries_on_the_task_page(world):  # noqa: F811
    o, task_a, _ = world
    ask(o, task_a)
    services.appeal_light(task_a, actor=o.reporter_a, reason="已完工")
    # As the ledger's task page hands it over: its light and units already loaded.
    task = Task.objects.select_related("plan__owner_unit", "shown_light").get(pk=task_a.pk)
    task.resp_units = list(Assignment.objects.filter(task=task).select_related("unit"))
    task.coop_units = []
    for person in (o.reporter_a, o.leader_a, o.supervisor):
        request = RequestFactory().get("/")
        request.user = person
        scope_for(person)
        with CaptureQueriesContext(connection) as queries:
            html = task_panel(request, task)
        assert len(queries) <= 2, [q["sql"] for q in queries]
        assert "2026-09-30" in html


# --- request forms -----------------------------------------------------------------------------


def test_ask_for_an_extension_on_the_page(world, client):  # noqa: F811
    o, task_a, _ = world
    client.force_login(o.reporter_a)
    url = f"/supervision/tasks/{task_a.pk}/extension/new/"
    page = client.get(url)
    assert page.status_code == 200 and 'id="extension-submit"' in page.content.decode()
    resp = client.post(url, {"requested_deadline": "2026-06-01", "reason": "提前"})
    assert resp.status_code == 200
    assert "requested_deadline" in resp.context["form"].errors  # the field is named
    resp = client.post(url, {"requested_deadline": "2026-09-30", "reason": ""})
    assert "reason" in resp.context["form"].errors
    assert not Extension.objects.exists()
    resp = client.post(url, {"requested_deadline": "2026-09-30", "reason": "汛期"})
    ext = Extension.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/supervision/extensions/{ext.pk}/"
    assert ext.requested_deadline == D(2026, 9, 30)


def test_appeal_on_the_page(world, client):  # noqa: F811
    o, task_a, _ = world
    client.force_login(o.reporter_a)
    url = f"/supervision/tasks/{task_a.pk}/appeal/new/"
    page = client.get(url).content.decode()
    assert 'id="appeal-submit"' in page and "逾期3个工作日未完成" in page
    assert "reason" in client.post(url, {"reason": " "}).context["form"].errors
    resp = client.post(url, {"reason": "已于6月28日完工"})
    appeal = Appeal.objects.get()
    assert resp["Location"] == f"/supervision/appeals/{appeal.pk}/"
    assert appeal.light == "red"


def test_who_may_open_the_request_forms(world, client):  # noqa: F811
    o, task_a, _ = world
    for kind in ("extension", "appeal"):
        url = f"/supervision/tasks/{task_a.pk}/{kind}/new/"
        client.force_login(o.reporter_b)  # does not see task A
        assert client.get(url).status_code == 404
        assert (
            client.post(url, {"reason": "x", "requested_deadline": "2026-09-30"}).status_code == 404
        )
        client.force_login(o.leader_a)  # sees it, does not report on it
        assert client.get(url).status_code == 403
        assert (
            client.post(url, {"reason": "x", "requested_deadline": "2026-09-30"}).status_code == 403
        )
    assert not Extension.objects.exists() and not Appeal.objects.exists()


# --- lists and decisions -----------------------------------------------------------------------


def test_lists_are_scoped_and_pending_first(world, client):  # noqa: F811
    o, task_a, task_b = world
    old = ask(o, task_a)
    services.decide_extension(old, actor=o.leader_a, version=1, approve=False, reason="否")
    new = ask(o, task_a, to=D(2026, 8, 31))
    b = services.request_extension(
        task_b, actor=o.reporter_b, requested_deadline=D(2026, 10, 31), reason="乙局理由"
    )
    client.force_login(o.supervisor)
    page = client.get("/supervision/extensions/").context["page"]
    assert [e.pk for e in page][0] in (new.pk, b.pk) and [e.pk for e in page][-1] == old.pk
    client.force_login(o.reporter_a)
    resp = client.get("/supervision/extensions/")
    assert [e.pk for e in resp.context["page"]] == [new.pk, old.pk]
    assert "乙局理由" not in resp.content.decode() and "乙局建校" not in resp.content.decode()
    assert [
        e.pk for e in client.get("/supervision/extensions/?status=rejected").context["page"]
    ] == [old.pk]
    assert client.get(f"/supervision/extensions/{b.pk}/").status_code == 404
    appeal = services.appeal_light(task_b, actor=o.reporter_b, reason="乙局申诉")
    assert list(client.get("/supervision/appeals/").context["page"]) == []
    assert client.get(f"/supervision/appeals/{appeal.pk}/").status_code == 404
    client.force_login(o.reporter_b)
    assert [a.pk for a in client.get("/supervision/appeals/").context["page"]] == [appeal.pk]


def test_the_lead_leader_approves_on_the_page(world, client):  # noqa: F811
    o, task_a, _ = world
    ext = ask(o, task_a)
    url = f"/supervision/extensions/{ext.pk}/"
    client.force_login(o.reporter_a)
    html = client.get(url).content.decode()
    assert 'id="decide-approve"' not in html and 'id="original-deadline"' in html
    assert client.post(url, {"version": 1, "reason": "自批", "approve": "1"}).status_code == 403

    client.force_login(o.leader_a)
    html = client.get(url).content.decode()
    assert 'id="decide-approve"' in html and 'id="decide-reject"' in html
    resp = client.post(url, {"version": 1, "reason": "", "approve": "1"})
    assert resp.status_code == 200 and "reason" in resp.context["form"].errors
    assert client.post(url, {"version": 5, "reason": "同意", "approve": "1"}).status_code == 409
    assert client.post(url, {"reason": "同意", "approve": "1"}).status_code == 409  # no version
    assert Task.objects.get(pk=task_a.pk).deadline == D(2026, 6, 30)
    resp = client.post(url, {"version": 1, "reason": "同意延期", "approve": "1"})
    assert resp.status_code == 302
    assert Task.objects.get(pk=task_a.pk).deadline == D(2026, 9, 30)
    html = client.get(url).content.decode()
    assert "同意延期" in html and 'id="decide-approve"' not in html
    assert "2026-06-30" in html  # the original, kept
    # A second click from the page as it was: stale, and said so although the form is gone.
    again = client.post(url, {"version": 1, "reason": "再批", "approve": "1"})
    assert again.status_code == 409 and 'class="alert alert-danger"' in again.content.decode()


def test_a_supervisor_rejects_an_appeal_on_the_page(world, client):  # noqa: F811
    o, task_a, _ = world
    appeal = services.appeal_light(task_a, actor=o.reporter_a, reason="已完工")
    url = f"/supervision/appeals/{appeal.pk}/"
    client.force_login(o.supervisor)
    assert 'id="decide-reject"' in client.get(url).content.decode()
    assert client.post(url, {"version": 2, "reason": "未见验收", "reject": "1"}).status_code == 409
    assert client.post(url, {"version": 1, "reason": "未见验收", "reject": "1"}).status_code == 302
    appeal.refresh_from_db()
    assert (appeal.status, appeal.decision_reason) == ("rejected", "未见验收")


# --- API ---------------------------------------------------------------------------------------


def test_api_create_and_decide_an_extension(world):  # noqa: F811
    o, task_a, task_b = world
    resp = api(o.reporter_a).post(
        "/api/extensions/",
        {"task": task_a.pk, "requested_deadline": "2026-09-30", "reason": "汛期"},
        format="json",
    )
    assert resp.status_code == 201, resp.content
    body = resp.json()
    assert (body["original_deadline"], body["requested_deadline"], body["status"]) == (
        "2026-06-30",
        "2026-09-30",
        "pending",
    )
    pk = body["id"]
    # Bad input names the field; someone else's task reads as missing.
    bad = api(o.reporter_a).post(
        "/api/extensions/",
        {"task": task_a.pk, "requested_deadline": "2026-10-30", "reason": ""},
        format="json",
    )
    assert bad.status_code == 400 and "reason" in bad.json()
    other = api(o.reporter_a).post(
        "/api/extensions/",
        {"task": task_b.pk, "requested_deadline": "2026-10-30", "reason": "x"},
        format="json",
    )
    assert other.status_code == 400 and "task" in other.json()
    refused = api(o.leader_a).post(
        "/api/extensions/",
        {"task": task_a.pk, "requested_deadline": "2026-10-30", "reason": "x"},
        format="json",
    )
    assert refused.status_code == 403

    url = f"/api/extensions/{pk}/decide/"
    decision = {"approve": True, "reason": "同意"}
    assert api(o.leader_a).post(url, decision, format="json").status_code == 428
    assert api(o.reporter_a).post(url, {**decision, "version": 1}, format="json").status_code == 403
    assert api(o.reporter_b).post(url, {**decision, "version": 1}, format="json").status_code == 404
    stale = api(o.leader_a).post(url, {**decision, "version": 3}, format="json")
    assert stale.status_code == 409 and stale.json()["current_version"] == 1
    no_reason = api(o.leader_a).post(
        url, {"approve": True, "reason": "", "version": 1}, format="json"
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    done = api(o.leader_a).post(url, decision, format="json", HTTP_IF_MATCH='"1"')
    assert done.status_code == 200
    assert (done.json()["status"], done.json()["version"]) == ("approved", 2)
    assert Task.objects.get(pk=task_a.pk).deadline == D(2026, 9, 30)
    assert api(o.reporter_a).get(f"/api/extensions/{pk}/").json()["decision_reason"] == "同意"
    assert api(o.reporter_b).get("/api/extensions/").json()["count"] == 0
    assert api(o.supervisor).get("/api/extensions/?status=approved").json()["count"] == 1


def test_api_appeals(world):  # noqa: F811
    o, task_a, task_b = world
    resp = api(o.reporter_b).post(
        "/api/appeals/", {"task": task_b.pk, "reason": "已报送"}, format="json"
    )
    assert resp.status_code == 201 and resp.json()["light"] == "yellow"
    pk = resp.json()["id"]
    assert api(o.reporter_a).get("/api/appeals/").json()["count"] == 0
    assert api(o.reporter_a).get(f"/api/appeals/{pk}/").status_code == 404
    url = f"/api/appeals/{pk}/decide/"
    assert (
        api(o.supervisor).post(url, {"uphold": True, "reason": "x"}, format="json").status_code
        == 428
    )
    assert (
        api(o.reporter_b)
        .post(url, {"uphold": True, "reason": "x", "version": 1}, format="json")
        .status_code
        == 403
    )
    ok = api(o.supervisor).post(
        url, {"uphold": True, "reason": "核实属实", "version": 1}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["status"] == "approved"
    again = api(o.supervisor).post(
        url, {"uphold": False, "reason": "改判", "version": 1}, format="json"
    )
    assert again.status_code == 409
    listed = api(o.supervisor).get(f"/api/appeals/?task={task_b.pk}").json()
    assert [a["id"] for a in listed["results"]] == [pk]


@pytest.mark.parametrize("path", ["/api/extensions/", "/api/appeals/"])
def test_anonymous_gets_nothing(world, client, path):  # noqa: F811
    assert client.get(path).status_code in (401, 403)
