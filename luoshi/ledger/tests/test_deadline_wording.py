"""Editing a deadline updates the wording kept beside it (deadline_text, as the workbook wrote
it): when the date changes and the wording no longer reads as it, the wording goes, so one
deadline shows, on the task page and in the export. The rule is rules.deadline_text_describes;
services.update_task applies it for the task form and the API alike."""

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.ledger import rules, services
from luoshi.ledger.history import task_history
from luoshi.ledger.models import Task

D = dt.date


@pytest.mark.parametrize(
    ("text", "deadline", "ongoing", "describes"),
    [
        ("6月底前", D(2026, 6, 30), False, True),
        ("6月底前", D(2026, 7, 31), False, False),
        ("2026年6月30日前", D(2026, 6, 30), False, True),
        ("年底前", D(2026, 12, 31), False, True),
        ("长期坚持", None, True, True),
        ("长期坚持", D(2026, 6, 30), False, False),
        ("6月底前", None, True, False),
        ("根据省里安排", D(2026, 6, 30), False, False),  # unreadable: cannot vouch for the date
        ("", D(2026, 6, 30), False, True),  # nothing kept, nothing to contradict
    ],
)
def test_the_rule(text, deadline, ongoing, describes):
    assert rules.deadline_text_describes(text, deadline, ongoing, year=2026) is describes


@pytest.fixture
def task(orgtree):
    plan = services.create_plan(
        actor=system_actor(), name="时限写法计划", year=2026, owner_unit=orgtree.office
    )
    return services.create_task(
        plan,
        actor=system_actor(),
        title="修路",
        responsible_units=[orgtree.a1],
        deadline=D(2026, 6, 30),
        deadline_text="6月底前",
    )


def test_a_new_date_clears_wording_that_described_the_old_one(task):
    services.update_task(task, actor=system_actor(), version=1, deadline=D(2026, 9, 30))
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.deadline, fresh.deadline_text, fresh.version) == (D(2026, 9, 30), "", 2)
    # The history shows the wording went with the old date.
    record = task_history(fresh).first()
    assert record.changes["deadline_text"] == ["6月底前", ""]


def test_wording_that_still_reads_as_the_date_is_kept(task):
    services.update_task(task, actor=system_actor(), version=1, deadline=D(2026, 6, 29))
    services.update_task(task, actor=system_actor(), version=2, deadline=D(2026, 6, 30))
    assert Task.objects.get(pk=task.pk).deadline_text == ""  # went at the first move
    task.refresh_from_db()
    services.update_task(
        task, actor=system_actor(), version=3, deadline_text="6月底前", title="修路（改）"
    )
    task.refresh_from_db()
    # Another field changed, the date did not: the wording stays.
    services.update_task(task, actor=system_actor(), version=4, title="修路")
    assert Task.objects.get(pk=task.pk).deadline_text == "6月底前"


def test_an_ongoing_task_loses_the_date_wording(task):
    services.update_task(task, actor=system_actor(), version=1, deadline=None, ongoing=True)
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.deadline, fresh.ongoing, fresh.deadline_text) == (None, True, "")


def test_a_caller_that_sets_the_wording_is_obeyed(task):
    services.update_task(
        task,
        actor=system_actor(),
        version=1,
        deadline=D(2026, 9, 30),
        deadline_text="三季度末",
    )
    assert Task.objects.get(pk=task.pk).deadline_text == "三季度末"


def test_editing_the_deadline_on_the_task_page_shows_one_deadline(orgtree, task, client):
    client.force_login(orgtree.supervisor)
    page = client.get(reverse("ledger:task_detail", args=[task.pk])).content.decode()
    assert "6月底前" in page
    form = client.get(reverse("ledger:task_edit", args=[task.pk])).context["form"]
    data = {
        k: v
        for k, v in form.initial.items()
        if v is not None and k not in ("responsible_units", "cooperating_units")
    }
    data.update(
        deadline="2026-08-31",
        responsible_units=[orgtree.a1.pk],
        version=task.version,
        category="",
        parent="",
    )
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    resp = client.post(reverse("ledger:task_edit", args=[task.pk]), data)
    assert resp.status_code == 302, resp.context["form"].errors if resp.context else resp
    fresh = Task.objects.get(pk=task.pk)
    assert (fresh.deadline, fresh.deadline_text) == (D(2026, 8, 31), "")
    page = client.get(reverse("ledger:task_detail", args=[task.pk])).content.decode()
    fields, history = page.split('id="history"')
    assert "6月底前" not in fields and "2026-08-31" in fields
    assert "6月底前" in history  # what it said before stays on record


def test_the_api_edit_clears_it_too(orgtree, task):
    api = APIClient()
    api.force_authenticate(orgtree.supervisor)
    resp = api.patch(
        f"/api/tasks/{task.pk}/", {"deadline": "2026-10-31", "version": 1}, format="json"
    )
    assert resp.status_code == 200, resp.content
    assert resp.json()["deadline_text"] == ""
