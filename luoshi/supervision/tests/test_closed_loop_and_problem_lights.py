"""The closed-loop check (page, API, command) and how open problems move a task's light."""

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.ledger import services as ledger
from luoshi.ledger.models import Task
from luoshi.supervision import closed_loop, services
from luoshi.supervision.models import Order, Problem, TaskLight

D = dt.date


def moment(day: dt.date, hour=12) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour)))


@pytest.fixture
def world(orgtree):
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name="闭环计划", year=2026, owner_unit=orgtree.office)

    def task(title, units=(orgtree.a1,), **data):
        return ledger.create_task(
            plan, actor=actor, title=title, responsible_units=list(units), **data
        )

    owned = task("有主任务", owner=orgtree.reporter_a, deadline=D(2026, 12, 31))
    no_owner = task("无责任人", deadline=D(2026, 12, 31))
    no_deadline = task("无时限", owner=orgtree.reporter_a)
    b_task = task("乙局任务", units=(orgtree.b1,), owner=orgtree.reporter_b)  # no deadline
    done = task(
        "已完成", deadline=D(2026, 1, 31), status="done", completed_on=D(2026, 1, 20), percent=100
    )
    ongoing = task("长期坚持", owner=orgtree.reporter_a, ongoing=True)
    ledger.deploy_plan(plan, actor=actor)
    return {
        "plan": plan,
        "owned": owned,
        "no_owner": no_owner,
        "no_deadline": no_deadline,
        "b_task": b_task,
        "done": done,
        "ongoing": ongoing,
    }


def problem(task, unit, person, *, level=1, raised_level=1, entered=D(2026, 3, 2), sla=None):
    now = moment(entered)
    return Problem.objects.create(
        task=task,
        unit=unit,
        title="资金未到位",
        raised_by=person,
        raised_at=now,
        raised_level=raised_level,
        level=level,
        level_entered_on=entered,
        sla_due_on=sla,
    )


def kinds(result):
    return sorted((i["kind"], i["id"]) for i in result["items"])


def test_a_healthy_ledger_shows_none(orgtree, world):
    Task.objects.filter(pk=world["no_owner"].pk).update(owner=orgtree.reporter_a)
    Task.objects.filter(pk__in=[world["no_deadline"].pk, world["b_task"].pk]).update(
        deadline=D(2026, 12, 31)
    )
    assert closed_loop.check(system_actor(), now=moment(D(2026, 3, 2))) == {
        "open_items": 0,
        "items": [],
    }


def test_tasks_without_owner_or_deadline_are_listed_with_their_unit(orgtree, world):
    result = closed_loop.check(system_actor(), now=moment(D(2026, 3, 2)))
    assert kinds(result) == sorted(
        [
            ("task_no_owner", world["no_owner"].pk),
            ("task_no_deadline", world["no_deadline"].pk),
            ("task_no_deadline", world["b_task"].pk),
        ]
    )
    assert result["open_items"] == 3
    item = next(i for i in result["items"] if i["kind"] == "task_no_owner")
    assert set(item) == {"kind", "id", "unit", "why"}
    assert item["unit"] == "甲局一处"
    assert "无责任人" in item["why"]
    # Grouped by unit.
    units = [i["unit"] for i in result["items"]]
    assert units == sorted(units)


def test_problems_and_orders_without_an_answer_in_time(orgtree, world):
    owned = world["owned"]
    p = problem(owned, orgtree.a1, orgtree.reporter_a, sla=D(2026, 3, 9))
    now_in_time = moment(D(2026, 3, 9))
    assert ("problem_unanswered", p.pk) not in kinds(
        closed_loop.check(system_actor(), now=now_in_time)
    )
    late = moment(D(2026, 3, 10))
    assert ("problem_unanswered", p.pk) in kinds(closed_loop.check(system_actor(), now=late))
    # An answer at its level is its next step; an answer before it climbed is not.
    Problem.objects.filter(pk=p.pk).update(answered_at=moment(D(2026, 3, 5)))
    assert ("problem_unanswered", p.pk) not in kinds(closed_loop.check(system_actor(), now=late))
    Problem.objects.filter(pk=p.pk).update(level=2, level_entered_on=D(2026, 3, 6))
    assert ("problem_unanswered", p.pk) in kinds(closed_loop.check(system_actor(), now=late))

    order = Order.objects.create(
        year=2026,
        number=1,
        unit=orgtree.a1,
        demand="限期整改",
        respond_by=D(2026, 3, 6),
        issued_by=orgtree.supervisor,
        issued_at=moment(D(2026, 3, 2)),
    )
    order.tasks.add(owned)
    result = closed_loop.check(system_actor(), now=late)
    assert ("order_unanswered", order.pk) in kinds(result)
    why = next(i["why"] for i in result["items"] if i["kind"] == "order_unanswered")
    assert "督办〔2026〕1号" in why


def test_scope_a_reporter_sees_only_their_units_items(orgtree, world):
    result = closed_loop.check(orgtree.reporter_b, now=moment(D(2026, 3, 2)))
    assert kinds(result) == [("task_no_deadline", world["b_task"].pk)]


def test_command_prints_the_json_and_the_page_groups_by_unit(orgtree, world, client):
    out = StringIO()
    call_command("closed_loop_check", "--json", "--today", "2026-03-02", stdout=out)
    data = json.loads(out.getvalue())
    assert data["open_items"] == 3 and len(data["items"]) == 3
    assert all(set(i) == {"kind", "id", "unit", "why"} for i in data["items"])

    client.force_login(orgtree.supervisor)
    page = client.get("/supervision/closed-loop/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "甲局一处" in body and "乙局一处" in body and "无责任人" in body
    only_b = client.get(f"/supervision/closed-loop/?unit={orgtree.b1.pk}").content.decode()
    assert "乙局任务" in only_b and "无责任人" not in only_b

    api = client.get("/api/closed-loop/?limit=2").json()
    assert api["open_items"] == 3 and len(api["items"]) == 2
    assert api["items"][0]["url"].startswith("/tasks/")
    rest = client.get("/api/closed-loop/?limit=2&offset=2").json()
    assert len(rest["items"]) == 1
    assert client.get("/api/closed-loop/?kind=nonsense").status_code == 400


def test_paging_reads_across_kinds_without_gaps(orgtree, world):
    actor = system_actor()
    now = moment(D(2026, 3, 2))
    whole = closed_loop.items(actor, now=now)
    paged = [
        i for off in range(0, 3) for i in closed_loop.items(actor, now=now, offset=off, limit=1)
    ]
    assert paged == whole


# --- problems move the light ---------------------------------------------------------------


def light_of(task, today):
    services.recompute_lights(actor=system_actor(), today=today)
    return TaskLight.objects.get(task=task)


def test_a_problem_past_its_sla_turns_the_task_yellow_and_at_the_top_red(orgtree, world):
    owned = world["owned"]
    p = problem(owned, orgtree.a1, orgtree.reporter_a, entered=D(2026, 3, 2), sla=D(2026, 3, 9))
    assert light_of(owned, D(2026, 3, 9)).light == "green"  # within the 5 working days
    late = light_of(owned, D(2026, 3, 10))
    assert late.light == "yellow"
    assert [r["code"] for r in late.reasons] == ["problem_past_sla"]
    assert "第1级（责任单位）超期未解决" in late.reasons[0]["text"]

    # Climbed to level 2 (the problems job stored it): overdue, yellow, though its clock runs.
    Problem.objects.filter(pk=p.pk).update(level=2, level_entered_on=D(2026, 3, 10))
    climbed = light_of(owned, D(2026, 3, 11))
    assert climbed.light == "yellow"
    assert "已升至第2级（牵头领导）" in climbed.reasons[0]["text"]

    # At the top level past its SLA (15 working days): red.
    Problem.objects.filter(pk=p.pk).update(level=3, level_entered_on=D(2026, 3, 2))
    top = light_of(owned, D(2026, 3, 24))
    assert top.light == "red"
    assert "第3级（市级领导）" in top.reasons[0]["text"]

    # Resolved: the light goes back.
    Problem.objects.filter(pk=p.pk).update(status=Problem.Status.RESOLVED)
    assert light_of(owned, D(2026, 3, 24)).light == "green"


def test_problems_add_one_query_per_chunk_not_per_task(
    orgtree, world, django_assert_max_num_queries
):
    for t in (world["owned"], world["no_owner"], world["no_deadline"]):
        problem(t, orgtree.a1, orgtree.reporter_a, sla=D(2026, 3, 9))
    services.recompute_lights(actor=system_actor(), today=D(2026, 3, 10))
    with django_assert_max_num_queries(20):
        services.recompute_lights(actor=system_actor(), today=D(2026, 3, 11))


def test_task_page_shows_pace_and_light_history(orgtree, world, client):
    owned = world["owned"]
    services.recompute_lights(actor=system_actor(), today=D(2026, 3, 2))
    problem(owned, orgtree.a1, orgtree.reporter_a, entered=D(2026, 3, 2), sla=D(2026, 3, 9))
    services.recompute_lights(actor=system_actor(), today=D(2026, 3, 10))
    client.force_login(orgtree.reporter_a)
    body = client.get(f"/tasks/{owned.pk}/").content.decode()
    assert 'id="light-history"' in body
    assert "第1级（责任单位）超期未解决" in body
    api = client.get(f"/api/lights/{owned.pk}/").json()
    assert api["light"] == "yellow"
    assert [h["now"] for h in api["history"]] == ["yellow", "green"]
    client.force_login(orgtree.reporter_b)
    assert client.get(f"/api/lights/{owned.pk}/").status_code == 404


def test_a_change_that_can_move_a_light_recomputes_it_after_commit(
    orgtree, world, django_capture_on_commit_callbacks
):
    owned = world["owned"]
    services.recompute_lights(actor=system_actor())
    assert TaskLight.objects.get(task=owned).light == "green"
    yesterday = timezone.localdate() - dt.timedelta(days=30)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ledger.update_task(
            owned, actor=orgtree.supervisor, version=owned.version, deadline=yesterday
        )
    assert callbacks, "the change scheduled a recompute for after its commit"
    stored = TaskLight.objects.get(task=owned)
    assert stored.light == "red"
    assert Task.objects.get(pk=owned.pk).light == "red"
    # A change of something that cannot move a light schedules nothing.
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        ledger.create_category(world["plan"], actor=orgtree.supervisor, name="新类别")
    assert not callbacks


def test_openapi_documents_supervision(client):
    doc = client.get("/api/openapi.json").json()
    for path in (
        "/api/problems/",
        "/api/problems/{id}/respond/",
        "/api/orders/",
        "/api/orders/{id}/verify/",
        "/api/extensions/",
        "/api/appeals/",
        "/api/signals/",
        "/api/lights/",
        "/api/lights/{task}/",
        "/api/closed-loop/",
    ):
        assert path in doc["paths"], path
    params = {p["name"] for p in doc["paths"]["/api/closed-loop/"]["get"]["parameters"]}
    assert {"kind", "unit", "offset", "limit"} <= params
