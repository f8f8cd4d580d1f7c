"""Supervision order pages and API: scope, issue / respond / verify through them, 409 on a stale
page, the printable document, the task page's panel, and GET writing nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from luoshi.core.calendar import current_calendar
from luoshi.core.models import AuditRecord
from luoshi.notify.models import Message
from luoshi.supervision.models import Order, OrderCounter, OrderStep
from luoshi.supervision.services import orders as services

from .test_orders import build_world


@pytest.fixture
def world(orgtree):
    w = build_world(orgtree)
    cal = current_calendar()
    today = timezone.localdate()
    w.due = cal.add_working_days(today, 3)
    w.a_order = services.issue_order(
        actor=orgtree.supervisor,
        unit=orgtree.a1,
        tasks=[w.t1],
        demand="限期完成整改并书面报告",
        respond_by=w.due,
    )
    # Issued six weeks ago, due two working days later, never answered: overdue now.
    past = timezone.now() - dt.timedelta(days=42)
    w.late_order = services.issue_order(
        actor=orgtree.supervisor,
        unit=orgtree.a1,
        tasks=[w.t1],
        demand="逾期未报",
        respond_by=cal.add_working_days(timezone.localtime(past).date(), 2),
        now=past,
    )
    w.b_order = services.issue_order(
        actor=orgtree.supervisor,
        unit=orgtree.b1,
        tasks=[w.tb],
        demand="乙局督办",
        respond_by=w.due,
    )
    return w


def _rows():
    return (
        Order.objects.count(),
        OrderStep.objects.count(),
        OrderCounter.objects.values_list("year", "last").order_by("year").first(),
        AuditRecord.objects.count(),
        Message.objects.count(),
    )


# --- list and detail, scoped -------------------------------------------------------------------


def test_the_list_shows_labels_and_flags_overdue(orgtree, world, login):
    c = login(orgtree.supervisor)
    html = c.get(reverse("supervision:order_list")).content.decode()
    for o in (world.a_order, world.late_order, world.b_order):
        assert o.label in html
    assert html.count("order-overdue") == 1
    html = c.get(reverse("supervision:order_list"), {"overdue": "true"}).content.decode()
    assert world.late_order.label in html and world.a_order.label not in html
    html = c.get(reverse("supervision:order_list"), {"unit": orgtree.b.pk}).content.decode()
    assert world.b_order.label in html and world.a_order.label not in html
    html = c.get(reverse("supervision:order_list"), {"status": "closed"}).content.decode()
    assert world.b_order.label not in html and "暂无督办单。" in html


def test_a_reporter_sees_only_its_units_orders(orgtree, world, login):
    c = login(orgtree.reporter_b)
    html = c.get(reverse("supervision:order_list")).content.decode()
    assert world.b_order.label in html
    assert world.a_order.label not in html and world.late_order.label not in html
    for name in ("order_detail", "order_print"):
        assert c.get(reverse(f"supervision:{name}", args=[world.a_order.pk])).status_code == 404
    assert c.get(reverse("supervision:order_detail", args=[world.b_order.pk])).status_code == 200
    assert c.get(reverse("supervision:order_new")).status_code == 403


def test_detail_shows_the_respond_form_to_the_unit_and_no_verify_form(orgtree, world, login):
    html = (
        login(orgtree.reporter_a)
        .get(reverse("supervision:order_detail", args=[world.a_order.pk]))
        .content.decode()
    )
    assert world.a_order.label in html and "限期完成整改并书面报告" in html
    assert 'id="order-respond"' in html and 'id="id_response"' in html
    assert 'id="order-close"' not in html
    assert world.t1.title in html and world.t2.title not in html


def test_an_order_on_a_shared_task_is_read_not_answered_by_the_cooperating_unit(
    orgtree, world, login
):
    shared = services.issue_order(
        actor=orgtree.supervisor,
        unit=orgtree.a1,
        tasks=[world.t1, world.t2],
        demand="共同督办",
        respond_by=world.due,
    )
    c = login(orgtree.reporter_b)  # B1 cooperates on t2, so it sees the order on it
    html = c.get(reverse("supervision:order_detail", args=[shared.pk])).content.decode()
    # ... and only the tasks of it B1 may see: t1 is A1's alone (scope holds on every page).
    assert world.t2.title in html and world.t1.title not in html
    assert 'id="order-respond"' not in html
    url = reverse("supervision:order_respond", args=[shared.pk])
    assert c.post(url, {"version": 1, "response": "x"}).status_code == 403
    assert Order.objects.get(pk=shared.pk).status == Order.Status.ISSUED


def test_the_print_page_is_a_document_with_the_label(orgtree, world, login):
    resp = login(orgtree.reporter_a).get(
        reverse("supervision:order_print", args=[world.a_order.pk])
    )
    html = resp.content.decode()
    assert resp.status_code == 200
    assert "督办单" in html and world.a_order.label in html
    assert "@media print" in html and "navbar" not in html
    assert world.t1.no in html and "2026-06-30" in html  # No. and deadline of the task
    assert str(orgtree.a1) in html


def test_get_writes_nothing(orgtree, world, login):
    before = _rows()
    for who in ("supervisor", "reporter_a", "reporter_b", "leader_a"):
        c = login(getattr(orgtree, who))
        c.get(reverse("supervision:order_list"))
        c.get(reverse("supervision:order_list"), {"overdue": "true", "unit": orgtree.a.pk})
        c.get(reverse("supervision:order_new"), {"task": world.t1.pk})
        c.get(reverse("supervision:order_new"), {"unit": orgtree.a1.pk})
        for o in (world.a_order, world.late_order, world.b_order):
            c.get(reverse("supervision:order_detail", args=[o.pk]))
            c.get(reverse("supervision:order_print", args=[o.pk]))
            c.get(reverse("order-detail", args=[o.pk]))
            c.get(reverse("supervision:order_respond", args=[o.pk]))  # 405, not a write
        c.get(reverse("order-list"))
        c.get(reverse("ledger:task_detail", args=[world.t1.pk]))
    assert _rows() == before


# --- issue, respond, verify through the pages --------------------------------------------------


def test_issue_from_the_task_page(orgtree, world, login):
    c = login(orgtree.supervisor)
    task_page = c.get(reverse("ledger:task_detail", args=[world.t1.pk])).content.decode()
    assert 'id="issue-order"' in task_page and world.a_order.label in task_page
    link = reverse("supervision:order_new") + f"?task={world.t1.pk}"
    assert link in task_page
    html = c.get(link).content.decode()
    assert f'value="{world.t1.pk}" id="task-{world.t1.pk}" checked' in html
    assert f'name="unit" value="{orgtree.a1.pk}"' in html
    assert world.tb.title not in html  # not one of A1's tasks
    resp = c.post(
        reverse("supervision:order_new"),
        {
            "unit": orgtree.a1.pk,
            "tasks": [world.t1.pk],
            "demand": "请于期限内答复",
            "respond_by": world.due.isoformat(),
        },
    )
    order = Order.objects.get(demand="请于期限内答复")
    assert resp.status_code == 302 and resp["Location"] == reverse(
        "supervision:order_detail", args=[order.pk]
    )
    assert order.number == world.b_order.number + 1


def test_issue_form_errors_name_the_field(orgtree, world, login):
    c = login(orgtree.supervisor)
    resp = c.post(
        reverse("supervision:order_new"),
        {
            "unit": orgtree.a1.pk,
            "tasks": [world.tb.pk],
            "demand": "x",
            "respond_by": timezone.localdate().isoformat(),
        },
    )
    assert resp.status_code == 200
    errors = resp.context["form"].errors
    assert "tasks" in errors and "respond_by" not in errors  # field validation first
    resp = c.post(
        reverse("supervision:order_new"),
        {
            "unit": orgtree.a1.pk,
            "tasks": [world.t1.pk],
            "demand": "x",
            "respond_by": timezone.localdate().isoformat(),
        },
    )
    assert "respond_by" in resp.context["form"].errors
    assert Order.objects.count() == 3


def test_a_reporter_may_not_open_or_post_the_issue_form(orgtree, world, login):
    c = login(orgtree.reporter_a)
    assert c.get(reverse("supervision:order_new")).status_code == 403
    resp = c.post(
        reverse("supervision:order_new"),
        {"unit": orgtree.a1.pk, "tasks": [world.t1.pk], "demand": "x", "respond_by": "2030-01-02"},
    )
    assert resp.status_code == 403
    assert Order.objects.count() == 3
    task_page = c.get(reverse("ledger:task_detail", args=[world.t1.pk])).content.decode()
    assert world.a_order.label in task_page and 'id="issue-order"' not in task_page


def test_respond_then_a_stale_page_gets_409(orgtree, world, login):
    c = login(orgtree.reporter_a)
    url = reverse("supervision:order_respond", args=[world.a_order.pk])
    resp = c.post(url, {"version": 1, "response": "已完成整改"})
    assert resp.status_code == 302
    order = Order.objects.get(pk=world.a_order.pk)
    assert order.status == Order.Status.RESPONDED and order.response == "已完成整改"
    resp = c.post(url, {"version": 1, "response": "第二次"}, HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 409
    assert "changed by someone else" in resp.content.decode()
    assert 'id="order-error"' in resp.content.decode()
    resp = c.post(url, {"response": "no version"}, HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 409
    assert "opened without the record" in resp.content.decode()
    assert Order.objects.get(pk=order.pk).response == "已完成整改"


def test_respond_refusals_on_the_page(orgtree, world, login):
    url = reverse("supervision:order_respond", args=[world.a_order.pk])
    assert login(orgtree.reporter_b).post(url, {"version": 1, "response": "x"}).status_code == 404
    # The leader reads A1's orders but does not answer for the unit.
    assert login(orgtree.leader_a).post(url, {"version": 1, "response": "x"}).status_code == 403
    resp = login(orgtree.reporter_a).post(url, {"version": 1, "response": " "})
    assert resp.status_code == 200 and "response" in resp.context["respond_form"].errors
    assert Order.objects.get(pk=world.a_order.pk).status == Order.Status.ISSUED


def test_verify_return_and_close_on_the_page(orgtree, world, login):
    pk = world.a_order.pk
    login(orgtree.reporter_a).post(
        reverse("supervision:order_respond", args=[pk]), {"version": 1, "response": "已报"}
    )
    c = login(orgtree.supervisor)
    html = c.get(reverse("supervision:order_detail", args=[pk])).content.decode()
    assert 'id="order-close"' in html and 'id="order-return"' in html
    url = reverse("supervision:order_verify", args=[pk])
    resp = c.post(url, {"version": 2, "return": "1", "comment": ""})
    assert resp.status_code == 200 and "comment" in resp.context["verify_form"].errors
    resp = c.post(url, {"version": 2, "return": "1", "comment": "材料不全"})
    assert resp.status_code == 302
    order = Order.objects.get(pk=pk)
    assert order.status == Order.Status.RETURNED
    assert order.respond_by == current_calendar().add_working_days(timezone.localdate(), 5)
    assert login(orgtree.reporter_a).post(url, {"version": 3, "accept": "1"}).status_code == 403
    login(orgtree.reporter_a).post(
        reverse("supervision:order_respond", args=[pk]), {"version": 3, "response": "补齐"}
    )
    c = login(orgtree.supervisor)
    assert c.post(url, {"version": 3, "accept": "1"}).status_code == 409  # a stale page
    resp = c.post(url, {"version": 4, "accept": "1", "comment": "核查属实"})
    assert resp.status_code == 302
    order = Order.objects.get(pk=pk)
    assert order.status == Order.Status.CLOSED and order.verification == "核查属实"
    html = c.get(reverse("supervision:order_print", args=[pk])).content.decode()
    assert "核查属实" in html and "补齐" in html and "材料不全" in html


# --- API ---------------------------------------------------------------------------------------


def test_api_list_is_scoped_and_filters(orgtree, world, login):
    c = login(orgtree.reporter_b)
    ids = [o["id"] for o in c.get(reverse("order-list")).json()["results"]]
    assert ids == [world.b_order.pk]
    assert c.get(reverse("order-detail", args=[world.a_order.pk])).status_code == 404
    c = login(orgtree.supervisor)
    data = c.get(reverse("order-list"), {"overdue": "true"}).json()
    assert [o["id"] for o in data["results"]] == [world.late_order.pk]
    assert data["results"][0]["overdue"] is True
    data = c.get(reverse("order-list"), {"unit": orgtree.b1.pk}).json()
    assert [o["id"] for o in data["results"]] == [world.b_order.pk]
    data = c.get(reverse("order-list"), {"status": "issued"}).json()
    assert data["count"] == 3


def test_api_detail_has_label_tasks_steps_and_overdue(orgtree, world, login):
    data = login(orgtree.reporter_a).get(reverse("order-detail", args=[world.a_order.pk])).json()
    assert data["label"] == world.a_order.label
    assert [t["id"] for t in data["tasks"]] == [world.t1.pk]
    assert data["tasks"][0]["no"] == world.t1.no
    assert [s["kind"] for s in data["steps"]] == ["issued"]
    assert data["overdue"] is False and data["version"] == 1


def test_api_issue_respond_verify(orgtree, world, login):
    c = login(orgtree.supervisor)
    body = {
        "unit": orgtree.a1.pk,
        "tasks": [world.t1.pk],
        "demand": "API督办",
        "respond_by": world.due.isoformat(),
    }
    resp = c.post(reverse("order-list"), body, content_type="application/json")
    assert resp.status_code == 201, resp.content
    order = resp.json()
    assert order["label"].startswith("督办〔") and order["status"] == "issued"
    bad = c.post(
        reverse("order-list"),
        {**body, "respond_by": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "respond_by" in bad.json()
    bad = c.post(
        reverse("order-list"), {**body, "tasks": [world.tb.pk]}, content_type="application/json"
    )
    assert bad.status_code == 400 and "tasks" in bad.json()

    r = login(orgtree.reporter_a)
    respond = reverse("order-respond", args=[order["id"]])
    assert r.post(respond, {"response": "x"}, content_type="application/json").status_code == 428
    resp = r.post(respond, {"response": "已落实", "version": 1}, content_type="application/json")
    assert resp.status_code == 200 and resp.json()["status"] == "responded"
    stale = r.post(respond, {"response": "again", "version": 1}, content_type="application/json")
    assert stale.status_code == 409
    assert (
        login(orgtree.reporter_b)
        .post(respond, {"response": "x", "version": 2}, content_type="application/json")
        .status_code
        == 404
    )

    c = login(orgtree.supervisor)
    verify = reverse("order-verify", args=[order["id"]])
    resp = c.post(
        verify, {"accept": False, "comment": "", "version": 2}, content_type="application/json"
    )
    assert resp.status_code == 400 and "comment" in resp.json()
    resp = c.post(
        verify, {"accept": True, "comment": "属实", "version": 2}, content_type="application/json"
    )
    assert resp.status_code == 200
    data = resp.json()
    assert data["status"] == "closed" and [s["kind"] for s in data["steps"]] == [
        "issued",
        "responded",
        "closed",
    ]


def test_api_a_reporter_cannot_issue(orgtree, world, login):
    resp = login(orgtree.reporter_a).post(
        reverse("order-list"),
        {
            "unit": orgtree.a1.pk,
            "tasks": [world.t1.pk],
            "demand": "x",
            "respond_by": world.due.isoformat(),
        },
        content_type="application/json",
    )
    assert resp.status_code == 403
    assert Order.objects.count() == 3


# --- query costs -------------------------------------------------------------------------------


def _count(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm per-process caches
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]])


@pytest.mark.parametrize("who", ["supervisor", "reporter_a"])
def test_lists_cost_the_same_queries_for_more_orders(orgtree, world, login, who):
    c = login(getattr(orgtree, who))
    urls = [reverse("supervision:order_list"), reverse("order-list")]
    before = [_count(c, u) for u in urls]
    for i in range(4):
        o = services.issue_order(
            actor=orgtree.supervisor,
            unit=orgtree.a1,
            tasks=[world.t1, world.t2],
            demand=f"more {i}",
            respond_by=world.due,
        )
        services.respond_order(o, actor=orgtree.reporter_a, version=1, response="r")
    assert [_count(c, u) for u in urls] == before


@pytest.mark.parametrize("who", ["supervisor", "reporter_a"])
def test_the_task_panel_reads_little(orgtree, world, rf, who, django_assert_max_num_queries):
    from luoshi.ledger import access as ledger_access
    from luoshi.ledger.models import Task
    from luoshi.supervision.views.orders import task_panel

    person = getattr(orgtree, who)
    ledger_access.tasks_for(person)  # the task page has read the person's scope already
    request = rf.get("/")
    request.user = person
    task = Task.objects.select_related("plan__owner_unit").get(pk=world.t2.pk)
    with django_assert_max_num_queries(1):  # no answer past its date: no calendar
        html = task_panel(request, task)
    assert ("issue-order" in html) == (who == "supervisor")
    task = Task.objects.select_related("plan__owner_unit").get(pk=world.t1.pk)
    with django_assert_max_num_queries(3):  # the orders, and the calendar's two reads
        html = task_panel(request, task)
    assert world.a_order.label in html and world.late_order.label in html
    assert html.count("order-overdue") == 1
