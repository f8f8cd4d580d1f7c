"""core.bulk writes plain rows set-based on both databases: the values come back as the ORM
reads them (dates, JSON, NULL), defaults fill the columns not named, and nothing else moves."""

import datetime as dt

import pytest
from django.db import transaction

from luoshi.core import bulk
from luoshi.core.actors import system_actor
from luoshi.ledger import services as ledger
from luoshi.ledger.models import ShownLight, Task
from luoshi.supervision.models import LightChange, TaskLight

D = dt.date


@pytest.fixture
def tasks(orgtree):
    actor = system_actor()
    plan = ledger.create_plan(actor=actor, name="批量写入", year=2026, owner_unit=orgtree.office)
    return [
        ledger.create_task(plan, actor=actor, title=f"任务{i}", responsible_units=[orgtree.a1])
        for i in range(3)
    ]


def test_inserted_rows_read_back_as_the_orm_wrote_them(tasks):
    reasons = [
        {"code": "deadline_overdue", "light": "red", "params": {"days": 3}, "text": "逾期3个工作日"}
    ]
    rows = [
        (tasks[0].pk, "red", "behind", reasons, D(2026, 2, 24), D(2026, 2, 20)),
        (tasks[1].pk, "green", None, [], D(2026, 2, 24), D(2026, 2, 24)),
        # Encoded once, written as it is.
        (
            tasks[2].pk,
            "yellow",
            "on",
            bulk.JsonText('[{"code": "x", "text": "黄灯"}]'),
            D(2026, 2, 24),
            D(2026, 1, 2),
        ),
    ]
    fields = ("task_id", "light", "pace", "reasons", "as_of", "since")
    with transaction.atomic():
        assert bulk.insert_rows(TaskLight, fields, rows) == 3
    got = {
        t.task_id: (t.light, t.pace, t.reasons, t.as_of, t.since)
        for t in TaskLight.objects.order_by("task_id")
    }
    assert got[tasks[0].pk] == ("red", "behind", reasons, D(2026, 2, 24), D(2026, 2, 20))
    assert got[tasks[1].pk] == ("green", None, [], D(2026, 2, 24), D(2026, 2, 24))
    assert got[tasks[2].pk] == (
        "yellow",
        "on",
        [{"code": "x", "text": "黄灯"}],
        D(2026, 2, 24),
        D(2026, 1, 2),
    )
    # Filtering on JSON content works: stored as JSON, not as a quoted string.
    assert TaskLight.objects.filter(reasons__0__code="x").count() == 1


def test_columns_not_named_take_their_default(tasks):
    with transaction.atomic():
        bulk.insert_rows(
            LightChange, ("task_id", "on", "now"), [(tasks[0].pk, D(2026, 3, 2), "red")]
        )
    change = LightChange.objects.get()
    assert (change.was, change.reasons, change.now, change.on) == (None, [], "red", D(2026, 3, 2))


def test_updates_set_only_the_named_columns_of_the_named_rows(tasks):
    a, b, c = tasks
    with transaction.atomic():
        n = bulk.update_rows(
            Task, ("progress", "problems"), [(a.pk, "已招标", "资金未到位"), (b.pk, "已开工", "")]
        )
    assert n == 2
    rows = {t.pk: t for t in Task.objects.all()}
    assert (rows[a.pk].progress, rows[a.pk].problems) == ("已招标", "资金未到位")
    assert (rows[b.pk].progress, rows[b.pk].problems) == ("已开工", "")
    assert (rows[c.pk].progress, rows[c.pk].problems) == (c.progress, c.problems)
    # Untouched: the title and the version (lights are computed state, not an edit).
    assert (rows[a.pk].title, rows[a.pk].version) == (a.title, a.version)


def test_updates_of_json_and_date_columns(tasks):
    fields = ("task_id", "light", "pace", "reasons", "as_of", "since")
    with transaction.atomic():
        bulk.insert_rows(
            TaskLight, fields, [(tasks[0].pk, "green", None, [], D(2026, 2, 2), D(2026, 2, 2))]
        )
    row = TaskLight.objects.get()
    with transaction.atomic():
        bulk.update_rows(
            TaskLight,
            ("reasons", "as_of"),
            [(row.pk, [{"code": "deadline_near", "params": {"days": 2}}], D(2026, 2, 3))],
        )
    row.refresh_from_db()
    assert row.reasons == [{"code": "deadline_near", "params": {"days": 2}}]
    assert (row.as_of, row.since) == (D(2026, 2, 3), D(2026, 2, 2))


def test_updating_twice_in_one_transaction(tasks):
    """PostgreSQL's temporary table is dropped after each call, so a second call in the same
    transaction (the lights pass writes chunk after chunk) works."""
    with transaction.atomic():
        for text in ("第一次", "第二次"):
            bulk.update_rows(Task, ("progress",), [(t.pk, text) for t in tasks])
    assert set(Task.objects.values_list("progress", flat=True)) == {"第二次"}


def test_nothing_to_write_runs_no_statement(tasks, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk.insert_rows(TaskLight, ("task_id",), []) == 0
        assert bulk.update_rows(Task, ("progress",), []) == 0
        assert bulk.upsert_rows(ShownLight, ("task_id", "light"), []) == 0


def test_an_unknown_field_is_refused(tasks):
    with pytest.raises(ValueError, match="no column"):
        bulk.update_rows(Task, ("colour",), [(tasks[0].pk, "red")])


def test_a_rolled_back_transaction_leaves_nothing(tasks):
    with pytest.raises(RuntimeError), transaction.atomic():
        bulk.update_rows(Task, ("progress",), [(tasks[0].pk, "回滚")])
        bulk.upsert_rows(ShownLight, ("task_id", "light"), [(tasks[0].pk, "red")])
        raise RuntimeError
    assert Task.objects.get(pk=tasks[0].pk).progress == tasks[0].progress
    assert not ShownLight.objects.exists()


def test_upsert_inserts_new_rows_and_updates_existing_ones(tasks):
    """The ledger's shown lights: the first pass makes each row, later passes update it; a
    column not named keeps its value (or takes its default on insert)."""
    a, b, c = tasks
    fields = ("task_id", "light", "reasons")
    with transaction.atomic():
        assert bulk.upsert_rows(ShownLight, fields, [(a.pk, "red", "逾期3个工作日")]) == 1
    with transaction.atomic():
        bulk.upsert_rows(ShownLight, fields, [(a.pk, "yellow", "临期"), (b.pk, "green", "")])
        # twice in one transaction, as chunk after chunk of a pass
        bulk.upsert_rows(ShownLight, ("task_id", "light"), [(b.pk, "done")])
    rows = dict(ShownLight.objects.values_list("task_id", "light"))
    assert rows == {a.pk: "yellow", b.pk: "done"}
    assert ShownLight.objects.get(task=b).reasons == ""
    assert ShownLight.objects.get(task=a).reasons == "临期"
    assert Task.objects.get(pk=c.pk).light == ""


def test_upsert_needs_the_primary_key_first(tasks):
    with pytest.raises(ValueError, match="primary key"):
        bulk.upsert_rows(ShownLight, ("light", "task_id"), [("red", tasks[0].pk)])
