"""The ledger shows the lights supervision computes (through `ledger.services.record_lights`):
its page and API filter on them, the API and the export carry them, and the version stays."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.core.errors import OutOfScope
from luoshi.ledger import services as ledger
from luoshi.ledger.exporter import export_plans
from luoshi.ledger.models import Plan, Task

D = dt.date


@pytest.fixture
def plan(orgtree):
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name="台账亮灯", year=2026, owner_unit=orgtree.office)

    def task(title, **data):
        return ledger.create_task(
            plan, actor=actor, title=title, responsible_units=[orgtree.a1], **data
        )

    task("逾期任务", deadline=D(2026, 2, 10), percent=50)
    task("又一逾期", deadline=D(2026, 2, 12), percent=20)
    late_node = task("节点逾期", deadline=D(2026, 6, 30), percent=30)
    ledger.create_milestone(late_node, actor=actor, date=D(2026, 2, 13), name="完成招标")
    task("正常推进", deadline=D(2026, 12, 31), percent=10)
    task(
        "逾期完成", deadline=D(2026, 1, 30), status="done", completed_on=D(2026, 2, 4), percent=100
    )
    task("已暂停", deadline=D(2026, 1, 5), status="suspended")
    call_command("lights", "--today", "2026-02-24", stdout=io.StringIO())
    return plan


def test_the_ledger_page_filters_on_the_light(orgtree, plan, client):
    client.force_login(orgtree.supervisor)
    red = client.get(reverse("ledger:task_list") + "?light=red")
    assert sorted(t.title for t in red.context["page"]) == ["又一逾期", "逾期任务"]
    html = red.content.decode()
    assert "bg-danger" in html and "完成时限2026-02-10" in html  # the reasons as the title
    both = client.get(reverse("ledger:task_list") + "?light=red&light=yellow").context["page"]
    assert sorted(t.title for t in both) == ["又一逾期", "节点逾期", "逾期任务"]
    task = Task.objects.get(title="节点逾期")
    page = client.get(f"/tasks/{task.pk}/").content.decode()
    assert "时间节点「完成招标」逾期2个工作日" in page


def test_the_api_filters_on_and_returns_the_light(orgtree, plan):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=orgtree.supervisor)}")
    rows = api.get("/api/tasks/?light=yellow").json()["results"]
    assert [(r["title"], r["light"]) for r in rows] == [("节点逾期", "yellow")]
    assert rows[0]["light_reasons"] == "时间节点「完成招标」逾期2个工作日"
    assert {r["light"] for r in api.get("/api/tasks/").json()["results"]} == {
        "red",
        "yellow",
        "green",
        "done_late",
        "off",
    }


def test_the_export_has_the_light_columns(plan):
    data = export_plans(Plan.objects.filter(pk=plan.pk), Task.objects.all())
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    head = next(i for i, r in enumerate(rows) if "亮灯" in r)
    col = rows[head].index("亮灯")
    assert rows[head][col - 1] == "最近更新" and rows[head][col + 1] == "亮灯原因"
    lit = [(r[col], r[col + 1]) for r in rows[head + 1 :] if r[col]]
    assert sorted(light for light, _ in lit) == sorted(
        ["红灯", "红灯", "黄灯", "绿灯", "逾期完成", "已暂停或取消"]
    )
    assert ("黄灯", "时间节点「完成招标」逾期2个工作日") in lit


def test_lights_leave_the_version_and_only_supervisors_record_them(orgtree, plan):
    task = Task.objects.get(title="逾期任务")
    assert (task.light, task.version) == ("red", 1)
    with pytest.raises(OutOfScope):
        ledger.record_lights([(task.pk, "green", "")], actor=orgtree.reporter_a)
    assert ledger.record_lights([(task.pk, "green", "")], actor=orgtree.supervisor) == 1
    task.refresh_from_db()
    assert (task.light, task.light_reasons, task.version) == ("green", "", 1)
