"""The ledger table: filters, search, sort, pagination, "my tasks", and a pinned query count
so a change that queries per row fails here."""

import pytest
from django.urls import reverse

from luoshi.core.actors import system_actor
from luoshi.ledger import services


@pytest.fixture
def ledger(orgtree):
    plan = services.create_plan(
        actor=system_actor(), name="台账页计划", year=2026, owner_unit=orgtree.office
    )
    for i in range(60):
        unit = orgtree.a1 if i % 2 else orgtree.b1
        services.create_task(
            plan,
            actor=system_actor(),
            title=f"任务{i:02d}",
            responsible_units=[unit],
            cooperating_units=[orgtree.b1],
            lead_leader=orgtree.leader_a,
            owner=orgtree.reporter_a if i == 1 else None,
            key_task=i % 10 == 0,
            deadline=f"2026-{i % 12 + 1:02d}-01",
        )
    services.deploy_plan(plan, actor=system_actor())  # a draft is its managers' only
    return plan


def _list(query=""):
    return reverse("ledger:task_list") + query


def test_filters_search_sort_and_pages(orgtree, ledger, client):
    client.force_login(orgtree.supervisor)
    page = client.get(_list()).context["page"]
    assert page.paginator.count == 60 and len(page.object_list) == 50
    assert client.get(_list(f"?unit={orgtree.a.pk}")).context["page"].paginator.count == 30
    assert client.get(_list("?key_task=true")).context["page"].paginator.count == 6
    assert [t.title for t in client.get(_list("?q=任务07")).context["page"]] == ["任务07"]
    first = client.get(_list("?sort=deadline")).context["page"].object_list[0]
    assert str(first.deadline) == "2026-01-01"
    assert len(client.get(_list("?page=2")).context["page"].object_list) == 10


def test_htmx_request_returns_only_the_table(orgtree, ledger, client):
    client.force_login(orgtree.supervisor)
    resp = client.get(_list("?q=任务1"), HTTP_HX_REQUEST="true", HTTP_HX_TARGET="ledger-table")
    body = resp.content.decode()
    assert "<nav" not in body.split("pagination")[0] and "任务10" in body


def test_my_tasks_for_a_reporter(orgtree, ledger, client):
    client.force_login(orgtree.reporter_a)
    page = client.get(reverse("ledger:my_tasks")).context["page"]
    assert page.paginator.count == 30  # tasks of the reporter's unit (one also owned)


@pytest.mark.parametrize("who", ["supervisor", "reporter_a"])
def test_query_count_is_flat(orgtree, ledger, client, django_assert_max_num_queries, who):
    client.force_login(getattr(orgtree, who))
    client.get(_list())  # warm the session
    with django_assert_max_num_queries(13):  # 12 + the inbox badge
        client.get(_list())
    with django_assert_max_num_queries(12):
        client.get("/api/tasks/")


def test_a_large_scope_finds_units_as_the_user_types(orgtree, ledger, client, monkeypatch):
    """Past UNIT_OPTIONS_MAX units the unit filter lists only the chosen one and searches the
    units API (scoped as the page) for the rest; a small scope lists them all."""
    from luoshi.ledger import views

    client.force_login(orgtree.supervisor)
    page = client.get(_list()).content.decode()
    assert "data-unit-search" not in page and f'value="{orgtree.b1.pk}"' in page

    monkeypatch.setattr(views, "UNIT_OPTIONS_MAX", 2)
    page = client.get(_list(f"?unit={orgtree.a1.pk}")).content.decode()
    assert 'data-unit-search="/api/units/"' in page
    assert f'<option value="{orgtree.a1.pk}" selected>' in page
    assert f'value="{orgtree.b1.pk}"' not in page
    found = client.get("/api/units/", {"search": orgtree.b1.name[:2]}).json()["results"]
    assert orgtree.b1.pk in [u["id"] for u in found]
    client.force_login(orgtree.reporter_a)
    found = client.get("/api/units/", {"search": orgtree.b1.name}).json()["results"]
    assert orgtree.b1.pk not in [u["id"] for u in found]  # outside the reporter's scope
