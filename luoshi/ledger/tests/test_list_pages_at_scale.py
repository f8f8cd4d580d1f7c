"""Ledger lists stay cheap at any size: a page's ids come first, from an index, and its rows
by id (core.pagination), with exactly the rows and order of the plain query; and the filters
people use most (status, open, overdue, unit subtree, section) are served by indexes, which the
query plans show (SQLite here; PostgreSQL's planner decides by statistics)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.core.pagination import late_page
from luoshi.ledger import services
from luoshi.ledger.filters import TaskFilter
from luoshi.ledger.models import Task

STATUSES = ["not_started", "in_progress", "done", "suspended", "cancelled"]


@pytest.fixture
def many(orgtree):
    """A plan of 130 tasks in two sections, every status, deadlines either side of today,
    units in both subtrees."""
    today = timezone.localdate()
    plan = services.create_plan(
        actor=system_actor(), name="分页计划", year=today.year, owner_unit=orgtree.office
    )
    cats = [services.create_category(plan, actor=system_actor(), name=n) for n in ("甲", "乙")]
    for i in range(130):
        services.create_task(
            plan,
            actor=system_actor(),
            title=f"任务{i}",
            category=cats[i % 2],
            status=STATUSES[i % 5],
            deadline=today + dt.timedelta(days=(i % 7) - 3),
            responsible_units=[(orgtree.a1, orgtree.b1, orgtree.a)[i % 3]],
        )
    services.deploy_plan(plan, actor=system_actor())
    return plan


QUERIES = [
    "",
    "?status=in_progress",
    "?status=open",
    "?overdue=true",
    "?sort=deadline",
    "?sort=-deadline&status=done&status=suspended",
    "?sort=unit",
]


@pytest.mark.parametrize("query", QUERIES)
def test_every_page_holds_the_rows_of_the_plain_query_in_its_order(many, orgtree, rf, query):
    request = rf.get("/tasks/" + query)
    f = TaskFilter(request.GET or None, queryset=Task.objects.order_by("plan_id", "sort_key"))
    plain = list(f.qs if f.is_bound else f.queryset)
    seen = []
    for number in (1, 2, 3, 4):
        page = late_page(f.qs if f.is_bound else f.queryset, number, 50, Task.objects.all)
        assert page.number == min(number, page.paginator.num_pages)
        if number <= page.paginator.num_pages:
            seen += [t.pk for t in page.object_list]
    assert page.paginator.count == len(plain)
    assert seen == [t.pk for t in plain]


def test_the_ledger_page_and_the_api_list_the_same_page(many, orgtree, client):
    client.force_login(orgtree.supervisor)
    api = APIClient()
    api.force_authenticate(orgtree.supervisor)
    for query in QUERIES:
        sep = "&" if query else "?"
        for number in (1, 2):
            page = client.get(f"/tasks/{query}{sep}page={number}").context["page"]
            if number > page.paginator.num_pages:
                continue
            body = api.get(f"/api/tasks/{query}{sep}page={number}").json()
            assert [t.pk for t in page.object_list] == [r["id"] for r in body["results"]], query
            assert page.paginator.count == body["count"]


def test_a_reporter_pages_only_their_own_tasks(many, orgtree, client):
    client.force_login(orgtree.reporter_a)
    page = client.get("/tasks/?status=open").context["page"]
    mine = {a.pk for a in Task.objects.filter(assignments__unit=orgtree.a1)}
    assert page.object_list and {t.pk for t in page.object_list} <= mine


def _plan(query: str) -> str:
    """SQLite's plan for the ids of a ledger page with these filters."""
    from django.test import RequestFactory

    request = RequestFactory().get("/tasks/" + query)
    f = TaskFilter(request.GET, queryset=Task.objects.order_by("plan_id", "sort_key"))
    sql, params = f.qs.values_list("pk", flat=True)[:50].query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return " | ".join(row[-1] for row in cur.fetchall())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")
@pytest.mark.parametrize(
    ("query", "index"),
    [
        ("?status=in_progress", "COVERING INDEX task_status_sort_idx (status=?)"),
        ("?status=open", "COVERING INDEX task_status_"),
        ("?overdue=true", "COVERING INDEX task_status_list_idx (status=? AND deadline<?)"),
        ("?status=done&overdue=false", "INDEX task_status_"),
    ],
)
def test_status_and_overdue_pages_are_served_by_an_index(many, query, index):
    plan = _plan(query)
    assert index in plan, plan
    assert "SCAN ledger_task" not in plan, plan


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's query plans")
def test_a_unit_subtree_reads_assignments_by_unit_not_every_assignment(many, orgtree):
    plan = _plan(f"?unit={orgtree.a.pk}")
    assert "INDEX ledger_assignment_unit_id" in plan and "(unit_id=?)" in plan, plan
    # Only the small unit table is read through; before, every assignment was.
    scans = [step for step in plan.split(" | ") if step.startswith("SCAN")]
    assert all("org_unit" in step for step in scans), plan
