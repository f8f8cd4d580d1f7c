"""Overdue at a glance (逾期) and filters of several values, on the ledger page and in the API:
the 逾期 mark on rows and on the task page, ?overdue=true, ?status= repeated and the pseudo
status "open" (未完成), the 进展情况 column shortened and opened in place, and the links the
home page builds (status=open, overdue=true, light=red, unit=…, lead_leader=…)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.ledger import rules, services
from luoshi.ledger.models import Task

LONG_PROGRESS = "已完成主体结构施工，正在进行内部装修和设备安装调试工作，" * 3  # > 40 characters


@pytest.fixture
def tasks(orgtree):
    """Six tasks of a deployed plan, one per case that matters for 逾期 and 未完成."""
    today = timezone.localdate()
    past, future = today - dt.timedelta(days=10), today + dt.timedelta(days=30)
    plan = services.create_plan(
        actor=system_actor(), name="逾期计划", year=today.year, owner_unit=orgtree.office
    )

    def make(title, unit, **kw):
        return services.create_task(
            plan, actor=system_actor(), title=title, responsible_units=[unit], **kw
        )

    made = {
        "late": make(
            "逾期推进",
            orgtree.a1,
            deadline=past,
            status="in_progress",
            lead_leader=orgtree.leader_a,
        ),
        "late_not_started": make("逾期未启动", orgtree.b1, deadline=past),
        "done_late": make("逾期已完成", orgtree.a1, deadline=past, status="done"),
        "cancelled": make("逾期已取消", orgtree.a1, deadline=past, status="cancelled"),
        "future": make("未到期", orgtree.a1, deadline=future, status="in_progress"),
        "ongoing": make("长期任务", orgtree.b1, ongoing=True, status="suspended"),
    }
    services.deploy_plan(plan, actor=system_actor())
    services.record_lights([(made["late"].pk, "red", "已逾期")], actor=system_actor())
    services.record_progress(
        made["future"], actor=system_actor(), at=timezone.now(), progress=LONG_PROGRESS
    )
    services.record_progress(
        made["late"], actor=system_actor(), at=timezone.now(), progress="进展顺利"
    )
    return made


def _titles(client, query=""):
    page = client.get(reverse("ledger:task_list") + query).context["page"]
    # The paginator pages the matching ids (core.pagination); every match, not just this page.
    return sorted(
        Task.objects.filter(pk__in=page.paginator.object_list).values_list("title", flat=True)
    )


def _api_titles(api, query=""):
    resp = api.get("/api/tasks/" + query)
    assert resp.status_code == 200, resp.content
    return sorted(r["title"] for r in resp.json()["results"])


@pytest.fixture
def api(orgtree):
    client = APIClient()
    client.force_authenticate(orgtree.supervisor)
    return client


def test_the_overdue_rule():
    today = dt.date(2026, 6, 10)
    past = dt.date(2026, 6, 9)
    assert rules.is_overdue(past, "in_progress", today)
    assert rules.is_overdue(past, "not_started", today)
    assert rules.is_overdue(past, "suspended", today)
    assert not rules.is_overdue(past, "done", today)
    assert not rules.is_overdue(past, "cancelled", today)
    assert not rules.is_overdue(today, "in_progress", today)  # due today is not late yet
    assert not rules.is_overdue(None, "in_progress", today)  # ongoing: no deadline


OPEN = ["逾期推进", "逾期未启动", "未到期", "长期任务"]
OVERDUE = ["逾期推进", "逾期未启动"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=open", OPEN),
        ("?overdue=true", OVERDUE),
        ("?overdue=false", ["逾期已取消", "逾期已完成", "未到期", "长期任务"]),
        ("?status=not_started&status=in_progress", ["逾期推进", "逾期未启动", "未到期"]),
        ("?status=in_progress", ["逾期推进", "未到期"]),  # one value, as before
        ("?status=open&status=done", [*OPEN, "逾期已完成"]),
        ("?status=done&status=cancelled&overdue=true", []),
        ("?status=open&overdue=true&light=red", ["逾期推进"]),
        ("?status=open&overdue=true&unit={a}", ["逾期推进"]),
        ("?overdue=true&lead_leader={leader}", ["逾期推进"]),
        ("?status=in_progress&status=suspended&unit={b}", ["长期任务"]),
    ],
)
def test_filters_on_the_page_and_in_the_api_agree(orgtree, tasks, client, api, query, expected):
    query = query.format(a=orgtree.a.pk, b=orgtree.b.pk, leader=orgtree.leader_a.pk)
    client.force_login(orgtree.supervisor)
    assert _titles(client, query) == sorted(expected)
    assert _api_titles(api, query) == sorted(expected)


def test_a_wrong_status_is_refused_by_the_api_and_named_on_the_page(orgtree, tasks, client, api):
    resp = api.get("/api/tasks/?status=finished")
    assert resp.status_code == 400 and "status" in resp.json()
    client.force_login(orgtree.supervisor)
    resp = client.get(reverse("ledger:task_list") + "?status=finished")
    assert resp.status_code == 200 and "status" in resp.context["filter"].errors


def test_rows_and_the_task_page_carry_the_overdue_mark(orgtree, tasks, client):
    client.force_login(orgtree.supervisor)
    page = client.get(reverse("ledger:task_list")).context["page"]
    marked = sorted(t.title for t in page.object_list if t.overdue)
    assert marked == sorted(OVERDUE)
    body = client.get(reverse("ledger:task_list")).content.decode()
    assert body.count('class="badge text-bg-danger overdue-badge"') == 2
    late = client.get(reverse("ledger:task_detail", args=[tasks["late"].pk])).content.decode()
    assert 'id="task-overdue"' in late and "10" in late.split('id="task-overdue"')[1][:80]
    for name in ("done_late", "future", "ongoing"):
        page = client.get(reverse("ledger:task_detail", args=[tasks[name].pk])).content.decode()
        assert 'id="task-overdue"' not in page, name


def test_the_api_says_whether_a_task_is_overdue(tasks, api):
    rows = {r["title"]: r["overdue"] for r in api.get("/api/tasks/").json()["results"]}
    assert sorted(t for t, late in rows.items() if late) == sorted(OVERDUE)
    detail = api.get(f"/api/tasks/{tasks['late'].pk}/").json()
    assert detail["overdue"] is True


def test_the_progress_column_is_short_and_opens_in_place(orgtree, tasks, client):
    client.force_login(orgtree.supervisor)
    body = client.get(reverse("ledger:task_list")).content.decode()
    cell = body.split('class="progress-cell"')
    assert len(cell) == 1 + len(tasks)  # one cell per row
    long_cell = next(c for c in cell[1:] if "已完成主体结构施工" in c)
    details = long_cell.split("</td>")[0]
    assert "<details" in details and LONG_PROGRESS in details  # the whole text, opened in place
    short = details.split('class="short">')[1].split("</span>")[0]
    assert len(short) <= 40 and short.endswith(("…", "..."))  # the ellipsis as translated
    short_cell = next(c for c in cell[1:] if "进展顺利" in c).split("</td>")[0]
    assert "<details" not in short_cell  # short enough: shown whole


def test_the_filter_form_offers_open_and_overdue_and_keeps_link_filters(orgtree, tasks, client):
    client.force_login(orgtree.supervisor)
    url = reverse("ledger:task_list")
    resp = client.get(f"{url}?status=open&overdue=true&light=red&lead_leader={orgtree.leader_a.pk}")
    body = resp.content.decode()
    assert 'name="status" value="open" id="status-open" checked' in body
    assert 'name="overdue" value="true" id="filter-overdue" autocomplete="off" checked' in body
    assert 'name="light" value="red" id="light-red" checked' in body
    # A filter with no control of its own, brought by a link, stays in the form.
    assert f'<input type="hidden" name="lead_leader" value="{orgtree.leader_a.pk}">' in body
    assert [t.title for t in resp.context["page"]] == ["逾期推进"]


def test_the_openapi_schema_describes_the_new_filters(client):
    doc = client.get("/api/openapi.json").json()
    params = {p["name"]: p for p in doc["paths"]["/api/tasks/"]["get"]["parameters"]}
    status = params["status"]["schema"]
    assert status["type"] == "array" and "open" in status["items"]["enum"]
    assert "in_progress" in status["items"]["enum"]
    assert params["overdue"]["schema"]["type"] == "boolean"
    task = doc["components"]["schemas"]["Task"]["properties"]
    assert task["overdue"]["type"] == "boolean" and task["overdue"]["readOnly"] is True


def test_overdue_filter_is_one_query_whatever_the_rows(orgtree, tasks, client, api):
    """The filter is a condition in SQL (set-based), not a Python pass over the rows."""
    assert Task.objects.count() == 6
    qs = Task.objects.all()
    from luoshi.ledger.filters import TaskFilter

    f = TaskFilter({"overdue": "true", "status": ["open"]}, queryset=qs)
    sql = str(f.qs.query)
    assert "deadline" in sql and "status" in sql
