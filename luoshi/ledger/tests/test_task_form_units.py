"""The task form keeps the order of units as posted (the first responsible unit leads), also
when only the order changed, and renders the chosen units first, in the saved order, so the
picker (and a browser without script) shows and posts them back as saved."""

import re

import pytest
from django.urls import reverse

from luoshi.core.actors import system_actor
from luoshi.ledger import services
from luoshi.ledger.models import Assignment, Task


@pytest.fixture
def task(orgtree):
    plan = services.create_plan(
        actor=system_actor(), name="单位顺序计划", year=2026, owner_unit=orgtree.office
    )
    return services.create_task(
        plan,
        actor=system_actor(),
        title="排序任务",
        responsible_units=[orgtree.a1, orgtree.b1],
        cooperating_units=[orgtree.b, orgtree.a],
    )


def _order(task, role):
    return list(
        Assignment.objects.filter(task=task, role=role)
        .order_by("position")
        .values_list("unit__name", flat=True)
    )


def _post(client, task, responsible, cooperating):
    task.refresh_from_db()
    data = {
        "no": task.no,
        "title": task.title,
        "status": task.status,
        "version": task.version,
        "responsible_units": [u.pk for u in responsible],
        "cooperating_units": [u.pk for u in cooperating],
    }
    return client.post(reverse("ledger:task_edit", args=[task.pk]), data)


def _chosen_in_page(html, name):
    select = html.split(f'name="{name}"')[1].split("</select>")[0]
    return re.findall(r'<option value="\d+" selected>([^<]+)</option>', select)


def test_the_form_shows_the_chosen_units_first_in_saved_order(orgtree, task, client):
    client.force_login(orgtree.supervisor)
    html = client.get(reverse("ledger:task_edit", args=[task.pk])).content.decode()
    assert _chosen_in_page(html, "responsible_units") == ["甲局一处", "乙局一处"]
    assert _chosen_in_page(html, "cooperating_units") == ["乙局", "甲局"]
    select = html.split('name="responsible_units"')[1].split("</select>")[0]
    first_options = re.findall(r"<option[^>]*>([^<]+)</option>", select)[:2]
    assert first_options == ["甲局一处", "乙局一处"]  # before the units not chosen


def test_a_new_order_alone_is_saved_and_the_lead_follows(orgtree, task, client):
    client.force_login(orgtree.supervisor)
    resp = _post(client, task, [orgtree.b1, orgtree.a1], [orgtree.a, orgtree.b])
    assert resp.status_code == 302, resp.context["form"].errors
    assert _order(task, "responsible") == ["乙局一处", "甲局一处"]
    assert _order(task, "cooperating") == ["甲局", "乙局"]
    fresh = Task.objects.get(pk=task.pk)
    assert fresh.primary_unit == orgtree.b1 and fresh.version == 2
    # Posted again as shown, the order stays.
    resp = _post(client, task, [orgtree.b1, orgtree.a1], [orgtree.a, orgtree.b])
    assert resp.status_code == 302
    assert _order(task, "responsible") == ["乙局一处", "甲局一处"]
    assert _order(task, "cooperating") == ["甲局", "乙局"]


def test_a_unit_added_goes_where_it_was_put(orgtree, task, client):
    client.force_login(orgtree.supervisor)
    resp = _post(client, task, [orgtree.b, orgtree.a1, orgtree.b1], [])
    assert resp.status_code == 302, resp.context["form"].errors
    assert _order(task, "responsible") == ["乙局", "甲局一处", "乙局一处"]
    assert _order(task, "cooperating") == []
