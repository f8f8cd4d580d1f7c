"""The leader opens the cockpit: every rate and count against the small world, and the
invariant — each chart element's number is the count of the list it links to."""

from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from luoshi.cockpit import access

pytestmark = pytest.mark.django_db


def _page(client, url):
    r = client.get(url)
    assert r.status_code == 200, url
    return r


def _ledger_count(client, url):
    r = _page(client, url)
    return r.context["page"].paginator.count


def _check_every_link(client, charts):
    """Each chart element: GET its link; a ledger list shows exactly that many tasks, a cycle
    page lists the reports not submitted."""
    checked = 0
    tasks = reverse("ledger:task_list")
    for chart_id, spec in charts.items():
        if spec["kind"] == "pie":
            elements = [(d["value"], d["url"]) for d in spec["data"]]
        else:
            elements = [(d["value"], d["url"]) for s in spec["series"] for d in s["data"]]
        for value, url in elements:
            if url is None:
                continue
            if url.startswith(tasks) and chart_id != "chart-rollup":
                assert _ledger_count(client, url) == value, (chart_id, url)
                checked += 1
            else:
                _page(client, url)  # the ranking's breakdowns, the cycle pages, the roll-up lists
    return checked


def test_supervisor_figures(world, login):
    client = login(world.org.supervisor)
    r = _page(client, reverse("cockpit:cockpit"))
    data = r.context["data"]
    total = data["total"]
    assert (total["due"], total["done"], total["on_time"], total["late"]) == (5, 3, 2, 1)
    assert (total["completion_rate"], total["on_time_rate"]) == (60.0, 66.7)
    assert (total["overdue"], total["red"], total["unlit"]) == (2, 2, 1)
    assert {s["light"]: s["count"] for s in data["lights"]} == {
        "red": 2,
        "yellow": 1,
        "green": 1,
        "done": 2,
        "done_late": 1,
        "off": 1,
    }
    plans = {
        p["label"]: (p["due"], p["done"], p["on_time"], p["completion_rate"])
        for p in data["by_plan"]
    }
    assert plans == {"交通重点工作": (4, 2, 1, 50.0), "百日行动": (1, 1, 1, 100.0)}
    # The deployed plan with the most tasks completed is the focus of the plan's own sections.
    assert data["focus_plan"]["name"] == "交通重点工作"
    cats = {c["label"]: (c["due"], c["done"], c["open"]) for c in data["by_category"]}
    assert cats == {"道路建设": (3, 2, 1), "公共交通": (1, 0, 1)}
    units = {u["label"]: (u["due"], u["done"], u["on_time"], u["late"]) for u in data["by_unit"]}
    assert units == {"甲局": (3, 2, 1, 1), "乙局": (2, 1, 1, 0)}
    assert [t["id"] for t in data["overdue_top"]] == [world.t.overdue_a.pk, world.t.overdue_b.pk]
    assert data["overdue_top"][0]["days_overdue"] == 35
    [cycle] = data["cycles"]
    assert (cycle["on_time"], cycle["late"], cycle["missing"], cycle["timely_rate"]) == (
        1,
        1,
        1,
        33.3,
    )
    assert [(x["category"], x["rate"]) for x in data["rollup"]] == [("道路建设", 80.0)]
    assert "驾驶舱" in r.content.decode()

    # Every chart element, and every number of the tables, opens exactly its tasks.
    assert _check_every_link(client, r.context["charts"]) >= 20
    assert _ledger_count(client, total["due_url"]) == 5
    assert _ledger_count(client, total["done_url"]) == 3
    assert _ledger_count(client, total["overdue_url"]) == 2
    assert _ledger_count(client, total["red_url"]) == 2
    # The cycle page lists the one report not submitted.
    assert _page(client, cycle["url"]).context["missing"].paginator.count == 1


def test_plan_filter_narrows_every_figure(world, login):
    client = login(world.org.supervisor)
    r = _page(client, reverse("cockpit:cockpit") + f"?plan={world.other.pk}")
    data = r.context["data"]
    assert (data["total"]["due"], data["total"]["done"]) == (1, 1)
    assert data["focus_plan"]["name"] == "百日行动"
    assert all(
        parse_qs(urlsplit(s["url"]).query)["plan"] == [str(world.other.pk)] for s in data["lights"]
    )
    _check_every_link(client, r.context["charts"])
    assert client.get(reverse("cockpit:cockpit") + "?plan=999999").status_code == 404


def test_ranking_links_each_unit_to_its_breakdown(world, assessed, login):
    client = login(world.org.supervisor)
    data = _page(client, reverse("cockpit:cockpit")).context["data"]
    assert data["assessment"]["id"] == assessed.pk
    ranked = {x["unit_id"]: x for x in data["ranking"]}
    assert set(ranked) == {world.org.a1.pk, world.org.b1.pk}
    for x in data["ranking"]:
        page = _page(client, x["url"])
        assert page.context["score"].unit_id == x["unit_id"]
        assert Decimal(str(x["score"])) == page.context["score"].score


def test_leader_sees_their_subtree(world, login):
    client = login(world.org.leader_a)
    r = _page(client, reverse("cockpit:cockpit"))
    data = r.context["data"]
    assert (data["total"]["due"], data["total"]["done"], data["total"]["overdue"]) == (3, 2, 1)
    assert [u["label"] for u in data["by_unit"]] == ["甲局一处"]
    _check_every_link(client, r.context["charts"])


def test_unit_dashboard_shows_only_its_subtree(world, login):
    client = login(world.org.supervisor)
    r = _page(client, reverse("cockpit:unit", args=[world.org.b.pk]))
    data = r.context["data"]
    assert (data["total"]["due"], data["total"]["done"]) == (2, 1)
    assert [t["id"] for t in data["overdue_top"]] == [world.t.overdue_b.pk]
    # B's completed task is in the other plan: that is the plan B's dashboard focuses on.
    assert data["focus_plan"]["name"] == "百日行动" and data["cycles"] == []
    assert data["rollup"] == []  # the roll-up has no unit filter: not on a unit's dashboard
    assert _check_every_link(client, r.context["charts"]) > 0
    assert "乙局" in r.content.decode()

    r = _page(client, reverse("cockpit:unit", args=[world.org.b.pk]) + f"?plan={world.plan.pk}")
    data = r.context["data"]
    assert (data["total"]["due"], data["total"]["done"]) == (1, 0)
    [cycle] = data["cycles"]  # only B's slot of the cycle
    assert (cycle["on_time"], cycle["late"], cycle["missing"]) == (0, 0, 1)
    assert [c["label"] for c in data["by_category"]] == ["公共交通"]
    _check_every_link(client, r.context["charts"])


def test_figures_are_computed_in_a_few_queries(world, login, django_assert_max_num_queries):
    person = world.org.supervisor
    # One counts the deployed plans' completed tasks to pick the focus (several are deployed);
    # the overdue list reads its ids, then its rows.
    with django_assert_max_num_queries(17):
        access.cockpit(person)


def test_the_focus_is_the_plan_being_worked_on():
    from types import SimpleNamespace as P

    new = P(pk=1, status="deployed")
    old = P(pk=2, status="deployed")
    draft = P(pk=3, status="draft")
    newest_first = [draft, new, old]
    assert access.focus_plan(newest_first, None, {2: 5, 1: 3}) is old
    assert access.focus_plan(newest_first, None, {}) is new  # a tie: the newest
    assert access.focus_plan(newest_first, draft, {2: 5}) is draft  # the chosen one
    assert access.focus_plan([draft], None) is draft
    assert access.focus_plan([], None) is None


def test_figures_are_kept_until_the_next_write(world, django_assert_max_num_queries):
    """The cockpit's figures are counted once per data version: a second view reads them back
    in a couple of queries, and any audited write (here a task completed) counts afresh."""
    from luoshi.core.actors import system_actor
    from luoshi.ledger import services as ledger
    from luoshi.ledger.models import Task

    person = world.org.supervisor
    first = access.cockpit(person, world.plan)
    with django_assert_max_num_queries(3):  # the plan list and the data version only
        again = access.cockpit(person, world.plan)
    assert again.total == first.total
    task = Task.objects.get(pk=world.t.overdue_b.pk)
    ledger.update_task(
        task, actor=system_actor(), version=task.version, status="done", completed_on=world.today
    )
    after = access.cockpit(person, world.plan)
    assert (after.total.due, after.total.done) == (first.total.due, first.total.done + 1)
