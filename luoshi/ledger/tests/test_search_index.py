"""Searching the ledger (?q=) through the search index: the same tasks as LIKE finds
(search.like_q) for every kind of query, through every path that writes tasks, with the
index really used (luoshi/ledger/search.py, migration 0011)."""

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from luoshi.core.actors import system_actor
from luoshi.ledger import search, services
from luoshi.ledger.exporter import export_plans
from luoshi.ledger.importer.service import Options, run
from luoshi.ledger.models import Plan, Task

# (no, title, content, notes): Chinese, ASCII in both cases, FTS syntax, LIKE wildcards,
# letters beyond ASCII, 4-byte characters, words at a column's very end, and a word split
# across two columns (环 | 境), which LIKE does not find and the index must not either.
TEXTS = [
    ("1", "加强生态环境保护", "推进大气污染防治，PM2.5 浓度下降", ""),
    ("1.1", "环境", "", "备注：环"),
    ("2", "Road repair (phase 2)", 'use "quotes" and * stars - minus', "OR NEAR ^start"),
    ("2.1", "公交线路优化", "线路", "境"),
    ("3", "ÉCOLE 学校 École", "ß straße", "Kelvin \u212a sign"),
    ("12", "第12批", "100% 完成_率", "back\\slash"),
    ("3.2", "emoji 🚌 公交", "全角ＡＢＣ１２３", "tab\tand space"),
    ("4", "title ends with 环", "境 starts content", ""),
    ("5", "环境环境环境", "环 境", "ab AB aB"),
    ("6", "x", "", ""),
]

# fmt: off
QUERIES = [
    # 1, 2, 3 and 5 Chinese characters
    "环", "境", "路", "环境", "线路", "公交", "环境保", "生态环境保", "公交线路优",
    # ASCII words, any case; mixed; numbers; the No. (an equality, not a substring)
    "road", "ROAD", "Road repair", "pm2.5", "PM2", "ab", "AB", "k", "sign",
    "emoji 🚌", "第12", "1", "12", "1.1", "2", "6",
    # FTS5 and LIKE syntax, which must stay text
    '"quotes"', '"', "*", "* stars", "-", "- minus", "OR", "or", "NEAR", "OR NEAR", "^start",
    "^", "(phase", ":", "100%", "%", "_", "完成_率", "\\", "back\\slash",
    # letters beyond ASCII, wide and 4-byte characters, whitespace inside
    "é", "É", "école", "ÉCOLE", "ß", "STRASSE", "straße", "🚌", "🚌 公", "ＡＢＣ", "abc", "１",
    "\u212a", " and ", "t\tand", "环 境",
    # found nowhere; the pad the index uses
    "不存在", "鑫", "qq", "\x01", "环\x01",
]
# fmt: on


def _plan(orgtree, name="检索测试台账"):
    return services.create_plan(
        actor=system_actor(), name=name, year=2026, owner_unit=orgtree.office
    )


def _bulk(plan, texts=TEXTS):
    """Tasks written the importer's way: bulk_create, no service, no save()."""
    Task.objects.bulk_create(
        Task(plan=plan, no=no, key=no, sort_key=no.zfill(8), title=t, content=c, notes=n)
        for no, t, c, n in texts
    )


def _same(queries=QUERIES, qs=None):
    qs = Task.objects.all() if qs is None else qs
    for q in queries:
        want = set(qs.filter(search.like_q(q)).values_list("pk", flat=True))
        have = set(search.matching(qs, q).values_list("pk", flat=True))
        assert have == want, f"query {q!r}"


@pytest.fixture
def plan(orgtree):
    plan = _plan(orgtree)
    _bulk(plan)
    return plan


def test_the_index_finds_what_like_finds(plan):
    _same()
    # A few the table above must get right for the comparison to mean something.
    titles = lambda q: sorted(search.matching(Task.objects.all(), q).values_list("no", flat=True))  # noqa: E731
    assert titles("环境") == ["1", "1.1", "5"]  # not 4: 环 | 境 are two columns
    assert titles("环") == ["1", "1.1", "4", "5"]
    assert titles("road") == titles("ROAD") == ["2"]
    assert titles('"quotes"') == ["2"] and titles("OR NEAR") == ["2"]
    assert titles("1") == ["1", "12"]  # No. 1, and 第12批 / 100%: "1" inside a text
    assert titles("1.1") == ["1.1"]
    assert titles("%") == ["12"] and titles("_") == ["12"]


def test_the_search_within_a_scope_keeps_the_scope(plan, orgtree):
    other = _plan(orgtree, "另一台账")
    _bulk(other, [("1", "环境整治", "", "")])
    _same(qs=Task.objects.filter(plan=plan))
    assert search.matching(Task.objects.filter(plan=other), "环境").count() == 1


def test_a_common_word_and_a_rare_one_give_the_same_as_like(orgtree, monkeypatch):
    """Past ORDERED_FROM the SQLite path walks the list's order instead of fetching by id."""
    plan = _plan(orgtree)
    _bulk(plan, [(str(i), f"推进第{i}批工程", "", "") for i in range(1, 61)])
    for threshold in (1, 10**9):
        monkeypatch.setattr(search, "ORDERED_FROM", threshold)
        _same(["推进", "推进第", "第1", "第59批", "1"])
        page = search.matching(Task.objects.order_by("plan_id", "sort_key"), "推进")[:50]
        assert len(page) == 50


def test_every_write_path_keeps_the_index_current(orgtree):
    actor = system_actor()
    plan = _plan(orgtree)
    # service: create
    task = services.create_task(
        plan, actor=actor, title="推进河道治理", content="清理淤泥", responsible_units=[orgtree.a1]
    )
    assert list(search.matching(Task.objects.all(), "河道")) == [task]
    # service: update (the old words leave the index, the new ones enter it)
    task = services.update_task(task, actor=actor, version=task.version, title="推进湖泊治理")
    assert not search.matching(Task.objects.all(), "河道").exists()
    assert list(search.matching(Task.objects.all(), "湖泊")) == [task]
    # a save that changes no text leaves the index as it was
    task = services.update_task(task, actor=actor, version=task.version, status="in_progress")
    assert list(search.matching(Task.objects.all(), "湖泊治理")) == [task]
    # bulk_create, bulk_update, queryset.update
    _bulk(plan, [("7", "老旧小区改造", "", ""), ("8", "背街小巷", "", "")])
    bulk = Task.objects.get(plan=plan, no="7")
    bulk.title = "城中村改造"
    Task.objects.bulk_update([bulk], ["title"])
    Task.objects.filter(plan=plan, no="8").update(notes="雨污分流")
    _same(["老旧", "城中村", "改造", "小巷", "雨污", "污", "推进", "治理"])
    found = search.matching(Task.objects.all(), "雨污分流")
    assert list(found.values_list("no", flat=True)) == ["8"]
    # service: delete
    services.delete_task(task, actor=actor, version=Task.objects.get(pk=task.pk).version)
    assert not search.matching(Task.objects.all(), "湖泊").exists()
    _same(["改造", "城中村", "小巷"])


def test_imported_tasks_are_found_and_a_reimport_updates_them(orgtree):
    actor = system_actor()
    source = _plan(orgtree, "导出台账")
    first = services.create_task(
        source, actor=actor, title="推进智慧交通建设", responsible_units=[orgtree.a1]
    )
    services.create_task(source, actor=actor, title="整治农村公路", responsible_units=[orgtree.a1])
    options = Options(plan_name="导入副本", owner_unit=orgtree.office)

    report = run(export_plans(Plan.objects.filter(pk=source.pk), Task.objects.all()), options,
                 actor=orgtree.admin, commit=True)  # fmt: skip
    assert report.committed
    copy = Task.objects.filter(plan__name="导入副本")
    assert search.matching(copy, "智慧交通").count() == 1
    assert search.matching(copy, "公路").count() == 1

    services.update_task(first, actor=actor, version=first.version, title="推进绿色交通建设")
    report = run(export_plans(Plan.objects.filter(pk=source.pk), Task.objects.all()), options,
                 actor=orgtree.admin, commit=True)  # fmt: skip
    assert report.committed and report.changed == 1
    assert not search.matching(copy, "智慧").exists()
    assert search.matching(copy, "绿色").count() == 1
    _same(["交通", "智慧", "绿色交通", "公路", "推进", "建"])


def _plan_of(qs) -> str:
    if connection.vendor == "postgresql":
        # Tiny tables read faster whole; forbid that to see what the planner can use.
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
            cur.execute("SET LOCAL enable_indexscan = off")
            cur.execute("SET LOCAL enable_indexonlyscan = off")
    return qs.explain()


@pytest.mark.parametrize("q", ["环", "环境", "生态环", "公交线路", "road"])
def test_the_index_serves_the_search(plan, q):
    explained = _plan_of(search.matching(Task.objects.order_by(), q))
    if connection.vendor == "sqlite":
        assert "ledger_task_search" in explained
        assert "SCAN ledger_task " not in explained  # no pass over every task
    elif connection.vendor == "postgresql":
        index = "ledger_task_bigram_idx" if len(q) < 3 else "ledger_task_trgm_idx"
        assert index in explained and "ledger_task_no_idx" in explained


@pytest.mark.skipif(connection.vendor != "sqlite", reason="the triggers are SQLite's")
def test_the_triggers_outlive_every_migration(db):
    """Django rebuilds a SQLite table for most field changes, dropping its triggers: a later
    migration that rebuilds ledger_task must create them again (see migration 0011)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'ledger_task'"
        )
        names = {row[0] for row in cur.fetchall()}
    assert {"ledger_task_search_ai", "ledger_task_search_au", "ledger_task_search_ad"} <= names


def test_the_ledger_page_and_the_api_search_through_it(plan, orgtree):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(orgtree.supervisor)
    services.deploy_plan(plan, actor=system_actor())
    page = client.get(reverse("ledger:task_list"), {"q": " 环境 "}).context["page"]
    assert sorted(t.no for t in page.object_list) == ["1", "1.1", "5"]
    body = client.get("/api/tasks/", {"q": "公交"}).json()
    rows = body["results"] if isinstance(body, dict) else body
    assert sorted(r["no"] for r in rows) == ["2.1", "3.2"]
