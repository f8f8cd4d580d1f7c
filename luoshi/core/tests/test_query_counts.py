"""Query counts of every list page and API list, pinned in query_counts.json (NetBox's idea).

Each endpoint in ENDPOINTS is requested by several roles over two datasets of the same shape,
a small one (3 tasks) and a bigger one (25 tasks, more plans, cycles, reports, units, people,
messages; see query_count_world.py). For each endpoint and role the test asserts that

1. the number of SQL queries is the same at both sizes: no query per row, and
2. it equals the number pinned in query_counts.json: a change that adds a query is seen.

A failure prints the captured SQL, and for a count that grows with the data the statements
that repeat, so the missing select_related / prefetch_related is obvious.

A second test walks the URL configuration: every DRF list route (a viewset's `list`, or any
other GET action on the collection) and every page without URL parameters must be in
ENDPOINTS and pinned, or, for a page that is not a list (a form, a download, a redirect), in
NOT_LISTS with the reason. A new list route fails until it is added.

Adding an endpoint, or accepting a changed count on purpose:

    add an Endpoint to ENDPOINTS (and query_count_world.py if it needs data), then
    LUOSHI_UPDATE_QUERY_COUNTS=1 .venv/bin/pytest luoshi/core/tests/test_query_counts.py
    and commit the rewritten query_counts.json (review its diff: every number that moved
    is a query added or removed).

The rewrite never hides a count that grows with the rows: that still fails.

One JSON serves SQLite and PostgreSQL: the same queries run on both (checked with
DATABASE_URL=postgres://… and --create-db). SAVEPOINT / RELEASE statements are not counted:
tests run inside a transaction, so a view's atomic() issues savepoints here that production
issues as BEGIN / COMMIT, differently per vendor; they are bookkeeping, not reads.

Each count is of the second of two identical requests (steady state: a per-process cache
warmed by the first would otherwise make the first size look dearer than the second). Run
time: about 40 s, most of it the ~600 requests (39 endpoints × up to 4 roles × 2 sizes × 2;
an endpoint only some roles may read lists them in `roles`)."""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from rest_framework.views import APIView

from .query_count_world import BIG, SMALL, World, build

COUNTS_FILE = Path(__file__).with_name("query_counts.json")
REL_PATH = "luoshi/core/tests/test_query_counts.py"
UPDATE_ENV = "LUOSHI_UPDATE_QUERY_COUNTS"
ROLES = ("admin", "supervisor", "leader_a", "reporter_a")
HTMX_TABLE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "ledger-table"}


@dataclass(frozen=True)
class Endpoint:
    key: str  # the JSON key: the URL name ("api:" + name for API routes), "[variant]" after it
    args: Callable[[World], list] = lambda w: []
    query: Callable[[World], str] = lambda w: ""
    headers: dict = field(default_factory=dict)
    # Roles that see the same rows at both sizes, and why (the growth check needs more rows).
    same_rows: dict[str, str] = field(default_factory=dict)
    # The roles measured: the others are refused (the scope test checks that they are).
    roles: tuple[str, ...] = ROLES

    @property
    def url_name(self) -> str:
        name = self.key.split(" [")[0]
        return name.removeprefix("api:")

    def url(self, world: World) -> str:
        url = reverse(self.url_name, args=self.args(world))
        q = self.query(world)
        return f"{url}?{q}" if q else url


def _june(w: World) -> int:
    from luoshi.assessment.models import Assessment

    return Assessment.objects.get(plan=w.plan, period="2026-06").pk


def _bulletin(w: World) -> int:
    from luoshi.bulletins.models import Bulletin

    return Bulletin.objects.get(plan=w.plan, status="published").pk


# Integrity signals are for supervisors (and administrators) only.
SUPERVISORS = ("admin", "supervisor")
# The cockpit's whole view is the leaders' and supervisors'.
LEADERS = ("admin", "supervisor", "leader_a")


def _filtered(w: World) -> str:
    return f"plan={w.plan.pk}&unit={w.unit.parent_id}&q=任务"


ENDPOINTS = [
    # pages: the home page (工作台), one section per role the person holds
    Endpoint("desk:home"),
    Endpoint("ledger:task_list"),
    Endpoint("ledger:task_list [filtered]", query=_filtered),
    Endpoint("ledger:task_list [htmx table]", headers=HTMX_TABLE),
    Endpoint("ledger:my_tasks"),
    Endpoint("ledger:plan_list"),
    Endpoint("ledger:plan_detail", args=lambda w: [w.plan.pk]),  # categories, pending hand-offs
    Endpoint("ledger:task_detail", args=lambda w: [w.parent_task.pk]),  # subtasks, history
    Endpoint("org:unit_list"),
    Endpoint("org:unit_detail", args=lambda w: [w.unit.pk]),  # its people and subunits
    Endpoint("org:people_list"),
    Endpoint("org:activation_list"),  # people of the user's units who cannot log in yet
    Endpoint("dispatch:my_reports"),  # reports to fill and the review queue
    Endpoint("dispatch:cycle_list"),
    Endpoint("dispatch:cycle_detail", args=lambda w: [w.cycle.pk]),  # who has not reported
    Endpoint("notify:inbox"),
    # API lists
    Endpoint("api:unit-list", same_rows={"reporter_a": "a reporter sees its own unit only"}),
    Endpoint("api:person-list"),
    Endpoint("api:plan-list"),
    Endpoint("api:plan-history", args=lambda w: [w.plan.pk]),
    Endpoint("api:category-list"),
    Endpoint("api:task-list"),
    Endpoint("api:task-list [filtered]", query=_filtered),
    Endpoint("api:task-history", args=lambda w: [w.parent_task.pk]),
    Endpoint("api:milestone-list"),
    Endpoint("api:assignment-list"),
    Endpoint("api:slot-list"),
    # supervision: pages (the task page's panels are in ledger:task_detail above)
    Endpoint("supervision:problem_list"),
    Endpoint("supervision:order_list"),
    Endpoint("supervision:extension_list"),
    Endpoint("supervision:appeal_list"),
    Endpoint("supervision:integrity", roles=SUPERVISORS),  # signals and counts per unit
    Endpoint("supervision:closed_loop"),
    # supervision: API lists
    Endpoint("api:light-list"),
    Endpoint("api:problem-list"),
    Endpoint("api:order-list"),
    Endpoint("api:extension-list"),
    Endpoint("api:appeal-list"),
    Endpoint("api:signal-list", roles=SUPERVISORS),
    Endpoint("api:signal-per-unit", roles=SUPERVISORS),
    Endpoint("api:closed-loop"),
    # assessment and the target roll-up
    Endpoint("assessment:list"),
    Endpoint("assessment:detail", args=lambda w: [_june(w)]),  # scores and items
    Endpoint("api:assessment-list"),
    Endpoint("rollup:rollup"),
    # bulletins: the scoped list, a published bulletin as it reads, the public list, the API
    Endpoint("bulletins:list"),
    Endpoint("bulletins:detail", args=lambda w: [_bulletin(w)]),
    Endpoint("bulletins:public_list"),
    Endpoint("api:bulletin-list"),
    # consolidation: the experience library, whole and searched (a word inside the text, a tag)
    Endpoint("consolidation:list"),
    Endpoint("consolidation:list [searched]", query=lambda w: "q=经验&tag=经验"),
    Endpoint("api:practice-list"),
    Endpoint("api:practice-list [searched]", query=lambda w: "q=经验&tag=经验"),
    # evaluation: the worklist's tabs, and the API lists
    Endpoint("evaluation:home"),
    Endpoint("evaluation:home [evaluate]", query=lambda w: "tab=evaluate"),
    Endpoint("evaluation:home [answers]", query=lambda w: "tab=answers"),
    Endpoint("evaluation:home [rechecks]", query=lambda w: "tab=recheck"),
    Endpoint("evaluation:closeout", args=lambda w: [w.plan.pk], roles=LEADERS),
    Endpoint("api:completion-list"),
    Endpoint("api:evaluation-list"),
    Endpoint("api:answer-list"),
    # the cockpit: a reporter gets its unit's dashboard at /cockpit/; a unit's dashboard and the
    # API without ?unit= are refused to it (403)
    Endpoint("cockpit:cockpit"),
    Endpoint("cockpit:unit", args=lambda w: [w.unit.parent_id], roles=LEADERS),
    Endpoint("api:cockpit", roles=LEADERS),
]

# Pages without URL parameters that are not lists, and why.
NOT_LISTS = {
    "ledger:plan_create": "a form",
    "ledger:import_start": "a form",
    "ledger:export": "a workbook download (tests/test_export_ledger.py times it)",
    "notify:mark_all_read": "POST only, redirects",
    "supervision:order_new": "a form",
    "consolidation:create": "a form",
    "supervision:integrity_scan": "POST only, redirects",
    "api:api-root": "DRF's index of routes, no data",
    "api:openapi": "the schema, no data",
    "api:token": "POST only: log-in",
    "login": "a form",
    "logout": "POST only, redirects",
    "set_language": "POST only, redirects",
    "javascript-catalog": "translations, no data",
    "health": "the process answers, no data (no query, tested in core)",
}


# --- enumerating the URL configuration -----------------------------------------------------------


def _walk(resolver, ns=None, groups=0):
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p, p.namespace or ns, groups + p.pattern.regex.groups)
        elif isinstance(p, URLPattern) and p.name:
            name = f"{ns}:{p.name}" if ns else p.name
            yield name, p, groups + p.pattern.regex.groups


def list_routes() -> set[str]:
    """Every route that lists: a DRF collection GET, or a page without URL parameters."""
    found = set()
    for name, p, groups in _walk(get_resolver()):
        if name.startswith("admin:"):
            continue
        actions = getattr(p.callback, "actions", None)
        if actions is not None:  # a DRF viewset route
            if "get" in actions and p.callback.initkwargs.get("detail") is False:
                found.add(name if name.startswith("api:") else f"api:{name}")
        elif groups == 0:
            found.add(f"api:{name}" if _is_api(p) and not name.startswith("api:") else name)
    return found


def _is_api(p: URLPattern) -> bool:
    """A DRF view (the project's own APIViews too, e.g. /api/closed-loop/)."""
    module = getattr(p.callback, "__module__", "") or ""
    cls = getattr(p.callback, "cls", None)
    return module.startswith(("rest_framework", "drf_spectacular")) or bool(
        isinstance(cls, type) and issubclass(cls, APIView)
    )


# --- measuring ------------------------------------------------------------------------------------

_BOOKKEEPING = re.compile(r"^\s*(SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK TO SAVEPOINT)\b", re.I)


# SQLite's text search reads the terms a 1-2 character query begins (ledger/search.py): one
# statement per search, never per row, which PostgreSQL's index does not need. Left out, both
# databases pin the same count.
_SQLITE_SEARCH_TERMS = re.compile(r"\bledger_task_search_terms\b")


def _statements(ctx) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        if not _BOOKKEEPING.match(q["sql"]) and not _SQLITE_SEARCH_TERMS.search(q["sql"])
    ]


@dataclass
class Measured:
    sql: list[str]
    size: int  # bytes of the response: the bigger dataset must show more


def _measure(client, person, ep: Endpoint, world: World) -> Measured:
    client.force_login(person)
    url = ep.url(world)
    client.get(url, **ep.headers)  # warm any per-process cache; the pinned count is steady state
    # ...but not the figures a page keeps in Django's cache until the next write (the cockpit):
    # the count pinned is the one of counting them, so a query per row there still shows.
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get(url, **ep.headers)
    assert resp.status_code == 200, f"{ep.key} as {person.username}: {resp.status_code} {url}"
    return Measured(_statements(ctx), len(resp.content))


def _shape(sql: str) -> str:
    """The statement with its literals replaced, so one query per row shows as a repeat."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+\b", "?", sql)
    return re.sub(r"\(\?(?:, \?)*\)", "(…)", sql)


def _explain_growth(small: list[str], big: list[str]) -> str:
    s, b = Counter(map(_shape, small)), Counter(map(_shape, big))
    changed = {k: b.get(k, 0) - s.get(k, 0) for k in b | s if b.get(k, 0) != s.get(k, 0)}
    # The column list hides what matters (FROM … WHERE …): shorten it.
    return "\n".join(
        f"  {n:+d} ×  {re.sub(r'^SELECT .*? FROM ', 'SELECT … FROM ', k)[:500]}"
        for k, n in sorted(changed.items(), key=lambda kv: -abs(kv[1]))
    )


def _listing(sqls: list[str]) -> str:
    return "\n".join(f"  {i:3d}. {sql[:600]}" for i, sql in enumerate(sqls, 1))


def _load() -> dict:
    if not COUNTS_FILE.exists():
        return {}
    return json.loads(COUNTS_FILE.read_text(encoding="utf-8"))


def _save(measured: dict) -> None:
    data = {key: measured[key] for key in sorted(measured)}
    COUNTS_FILE.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# --- the tests ------------------------------------------------------------------------------------


def test_every_list_route_has_a_pinned_count():
    keys = {ep.key for ep in ENDPOINTS}
    assert len(keys) == len(ENDPOINTS), "duplicate keys in ENDPOINTS"
    covered = {ep.key.split(" [")[0] for ep in ENDPOINTS}
    routes = list_routes()
    missing = sorted(routes - covered - set(NOT_LISTS))
    assert not missing, (
        f"list routes without a pinned query count: {missing}.\n"
        "Add an Endpoint(...) for each to ENDPOINTS in luoshi/core/tests/test_query_counts.py "
        "(or, if it is not a list, an entry with the reason to NOT_LISTS), then run\n"
        f"  {UPDATE_ENV}=1 .venv/bin/pytest {REL_PATH}\n"
        "and commit the rewritten luoshi/core/tests/query_counts.json."
    )
    stale = sorted(set(NOT_LISTS) - routes)
    assert not stale, f"NOT_LISTS names routes that no longer exist: {stale}"
    if os.environ.get(UPDATE_ENV):
        return
    pinned = _load()
    unpinned = sorted(keys - set(pinned))
    assert not unpinned, (
        f"no pinned counts for {unpinned} in {COUNTS_FILE.name}: run "
        f"{UPDATE_ENV}=1 .venv/bin/pytest {REL_PATH}"
    )
    gone = sorted(set(pinned) - keys)
    assert not gone, f"{COUNTS_FILE.name} pins endpoints no longer in ENDPOINTS: {gone}"


def test_list_query_counts_are_pinned_and_do_not_grow_with_rows(orgtree, client):
    people = {role: getattr(orgtree, role) for role in ROLES}
    runs: dict[tuple[str, str], dict[str, Measured]] = {}
    for size in (SMALL, BIG):
        # Each size in its own savepoint, rolled back: two independent datasets, one set-up.
        with transaction.atomic():
            world = build(orgtree, size)
            for ep in ENDPOINTS:
                for role in ep.roles:
                    person = people[role]
                    runs.setdefault((ep.key, role), {})[size.name] = _measure(
                        client, person, ep, world
                    )
            transaction.set_rollback(True)

    measured: dict[str, dict[str, int]] = {}
    for (key, role), by_size in runs.items():
        measured.setdefault(key, {})[role] = len(by_size[BIG.name].sql)
    update = bool(os.environ.get(UPDATE_ENV))
    if update:
        _save(measured)
    pinned = measured if update else _load()

    problems = []
    same_rows = {(ep.key, role) for ep in ENDPOINTS for role in ep.same_rows}
    for (key, role), by_size in runs.items():
        small, big = by_size[SMALL.name], by_size[BIG.name]
        if big.size <= small.size and (key, role) not in same_rows:
            problems.append(
                f"{key} as {role}: the bigger dataset shows no more than the small one, so the "
                "comparison below proves nothing; give this role more rows in query_count_world.py."
            )
        if len(small.sql) != len(big.sql):
            problems.append(
                f"{key} as {role}: {len(small.sql)} queries with {SMALL.tasks} tasks but "
                f"{len(big.sql)} with {BIG.tasks}: a query per row (or per kind of row missing "
                f"from the small dataset). Statements whose number changed:\n"
                f"{_explain_growth(small.sql, big.sql)}"
            )
            continue
        expected = pinned.get(key, {}).get(role)
        if expected != len(big.sql):
            problems.append(
                f"{key} as {role}: {len(big.sql)} queries, pinned {expected}. If the change is "
                f"intended, run {UPDATE_ENV}=1 .venv/bin/pytest {REL_PATH} and commit "
                f"{COUNTS_FILE.name}. The queries:\n{_listing(big.sql)}"
            )
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("sql", ['SAVEPOINT "s1_x1"', 'RELEASE SAVEPOINT "s1_x1"'])
def test_transaction_bookkeeping_is_not_counted(sql):
    assert _BOOKKEEPING.match(sql)
