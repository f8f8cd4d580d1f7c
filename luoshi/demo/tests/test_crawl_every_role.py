"""Every demo log-in clicks through the demo city: from its home page it follows every link
(a few hundred pages each, LUOSHI_CRAWL_LIMIT per role, default 300), and no page may answer
5xx, write a row, or show a string of the project's message catalogue untranslated when
asked for in Chinese (the admin included). Reading a page must never change the ledger: a
GET that writes is a bug even when the page looks right.

The demo city is loaded once for the module (the demo loader plus one run of the worker's
jobs, as `make demo` does, so report cycles and reminders exist) inside a transaction that is
rolled back afterwards; each role's crawl runs in its own savepoint within it."""

from __future__ import annotations

import io
import os
import sys
import time
from collections import Counter

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.test import Client, override_settings
from django.urls import path

from luoshi.org.models import Person

from .crawl import crawl, written_table
from .untranslated import untranslated

ROLES = ("admin", "supervisor", "leader", "unitadmin", "reporter")


def _limit() -> int:
    return int(os.environ.get("LUOSHI_CRAWL_LIMIT", "300"))


@pytest.fixture(scope="module")
def demo_city(django_db_setup, django_db_blocker):
    """Load once, roll back at the end of the module: five crawls share one city, and the
    tests after this module find the database as empty as pytest-django leaves it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("demo", "--quiet", stdout=io.StringIO())
            call_command("worker", "--once", stdout=io.StringIO())
        except BaseException:
            outer.__exit__(*sys.exc_info())
            raise
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.mark.parametrize("username", ROLES)
def test_every_page_a_role_can_reach_opens_in_chinese_without_5xx_or_writes(
    demo_city, db, username
):
    person = Person.objects.get(username=username)
    client = Client(raise_request_exception=False)  # a 500 is counted, not raised
    # Logged in before the crawl records anything: login's own session and last_login writes
    # are not a page's.
    client.force_login(person)
    # The Django admin is part of the product for staff: the menu links it, and starting there
    # too keeps it crawled should that link move.
    start = ("/", "/admin/") if person.is_staff else ("/",)
    english: dict[str, str] = {}  # msgid -> the first page showing it untranslated
    logins = frozenset(Person.objects.values_list("username", flat=True))

    def in_chinese(page: str, html: str) -> None:
        for msgid in untranslated(html, ignore=logins):
            english.setdefault(msgid, page)

    began = time.monotonic()
    # The pages are asked for in Chinese, as a browser set to zh-hans would.
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    result = crawl(client, start, limit=_limit(), admin=person.is_staff, inspect=in_chinese)
    took = time.monotonic() - began
    statuses = Counter(status for _page, status, _s in result.pages)
    summary = (
        f"{username}: {len(result.pages)} pages in {took:.1f}s, "
        f"statuses {dict(sorted(statuses.items()))}, "
        f"{len(result.broken)} answered 5xx, {len(result.writes)} writes, "
        f"{len(english)} catalogue strings untranslated"
    )
    print(summary)
    problems = [
        f"5xx   {username} GET {page} -> {status} {error} (linked from {result.found_on[page]})"
        for page, status, error in result.broken
    ]
    # One line per distinct statement a page wrote, so a loop of identical INSERTs stays short.
    problems += [
        f"write {username} GET {page}: {sql}" for page, sql in dict.fromkeys(result.writes)
    ]
    problems += [f"english {username} GET {page}: {msgid!r}" for msgid, page in english.items()]
    assert not problems, summary + "\n" + "\n".join(problems)
    # A crawl that opened next to nothing (a login that stopped working, a home page without
    # links) would pass without having looked at anything.
    opened = [page for page, status, _s in result.pages if status == 200]
    assert len(opened) >= min(_limit() // 2, 50), summary
    if person.is_staff:
        assert sum(page.startswith("/admin/") for page in opened) >= min(_limit() // 10, 30)


# --- the crawler itself, against a tiny site that breaks and writes on purpose --------------


def _home(request):
    return HttpResponse(
        '<a href="/writes/">w</a> <a href="breaks/">relative</a> <a href="/session/">s</a>'
        '<a href="/go/">redirects</a> <div hx-get="/partial/"></div>'
        '<div hx-get="/q/?x={{ js }}"></div> <a href="#top">t</a>'
        '<a href="/logout/">x</a> <a href="/things/1/delete/">d</a> <a href="/export/?p=1">e</a>'
        '<a href="/reports/attachments/3/">f</a> <a href="/static/app.css">c</a>'
        '<a href="/admin/">a</a> <a href="http://elsewhere.example/">o</a>'
        '<a href="mailto:x@example.org">m</a>'
    )


def _writes(request):
    ContentType.objects.get_or_create(app_label="crawl", model="probe")
    return HttpResponse("written")


def _breaks(request):
    raise RuntimeError("boom")


def _session(request):
    request.session["seen"] = True  # a session row is the login machinery's, not a write
    return HttpResponse("ok")


def _partial(request):
    if request.headers.get("HX-Request") != "true":
        return HttpResponse(status=400)
    return HttpResponse('<a href="/deep/?a=1&amp;b=2">deep</a>')


def _ok(request):
    return HttpResponse("ok")


def _must_not_open(request):
    raise AssertionError(f"the crawl opened {request.path}")


urlpatterns = [
    path("", _home),
    path("writes/", _writes),
    path("breaks/", _breaks),
    path("session/", _session),
    path("go/", lambda request: redirect("/landing/")),
    path("landing/", _ok),
    path("partial/", _partial),
    path("deep/", _ok),
    path("q/", _must_not_open),
    path("logout/", _must_not_open),
    path("things/1/delete/", _must_not_open),
    path("export/", _must_not_open),
    path("reports/attachments/3/", _must_not_open),
    path("admin/", _must_not_open),
]


@override_settings(ROOT_URLCONF=__name__)
def test_the_crawler_reports_5xx_and_writes_and_skips_what_it_must(db):
    result = crawl(Client(raise_request_exception=False), limit=50, admin=False)
    assert sorted(page for page, _status, _s in result.pages) == sorted(
        [
            "/",
            "/writes/",
            "/breaks/",
            "/session/",
            "/go/",
            "/landing/",
            "/partial/ (htmx)",
            "/deep/?a=1&b=2",
        ]
    )
    assert result.broken == [("/breaks/", 500, "RuntimeError: boom")]
    assert result.found_on["/deep/?a=1&b=2"] == "/partial/ (htmx)"
    assert result.found_on["/landing/"] == "/go/"  # a redirect is followed like a link
    assert [page for page, _sql in result.writes] == ["/writes/"]
    assert result.writes[0][1].upper().startswith('INSERT INTO "DJANGO_CONTENT_TYPE"')
    # Each page is rolled back, so the write did not survive to change later pages.
    assert not ContentType.objects.filter(app_label="crawl").exists()
    limited = crawl(Client(raise_request_exception=False), limit=3, admin=False)
    assert len(limited.pages) == 3


@pytest.mark.parametrize(
    "sql, table",
    [
        ('INSERT INTO "dispatch_report" ("slot_id") VALUES (%s)', "dispatch_report"),
        ('  \n\tinsert or ignore into "org_unit" VALUES (1)', "org_unit"),
        ('-- why\n/* a note */ UPDATE "ledger_task" SET "title" = %s', "ledger_task"),
        ('Delete From "ledger_milestone" WHERE id = 1', "ledger_milestone"),
        ("REPLACE INTO core_calendarday VALUES (1)", "core_calendarday"),
        ('UPDATE "django_session" SET "session_data" = %s', "django_session"),
        ('SELECT "x" FROM "t" WHERE "note" = \'INSERT INTO y\'', None),
        ('SELECT "update_count" FROM "t" FOR UPDATE', None),
        ('SAVEPOINT "s1"', None),
        ('RELEASE SAVEPOINT "s1"', None),
        ("updated_at_view_refresh", None),
    ],
)
def test_what_counts_as_a_write(sql, table):
    assert written_table(sql) == table
