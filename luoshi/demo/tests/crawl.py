"""Follow a site's links as one logged-in person, as someone clicking around would, and record
every page that answers 5xx and every SQL statement that writes a row while a page is served.

Used by test_crawl_every_role.py; kept apart so its self-test can drive it against a tiny
site of its own and prove that a breakage or a write would really be caught."""

from __future__ import annotations

import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

# A statement writes when its first keyword (after whitespace and comments, which Django never
# emits but a hand-written query might) is one of these. Anchoring at the start keeps a SELECT
# that merely mentions "update" in a string or a column name from counting.
_WRITE = re.compile(
    r"\A(?:\s+|--[^\n]*(?:\n|\Z)|/\*.*?\*/)*(insert|update|delete|replace)\b",
    re.IGNORECASE | re.DOTALL,
)
# The table a writing statement targets: enough of SQLite's and PostgreSQL's grammar for the
# statements Django generates (INSERT [OR …] INTO, REPLACE INTO, UPDATE [OR …], DELETE FROM).
_TARGET = re.compile(
    r"(?:insert(?:\s+or\s+\w+)?\s+into|replace\s+into|update(?:\s+or\s+\w+)?|delete\s+from)"
    r"\s+[`\"\[]?([\w.]+)",
    re.IGNORECASE,
)
# Logging in and saving messages touch the session row; that is the login machinery's
# business, not a page writing the organisation's data.
EXEMPT_TABLES = frozenset({"django_session"})

# Links a person could follow that are not pages to read: leaving, files, and anything that
# deletes (a GET there is at best a confirmation page, and never worth the risk of a crawl).
_SKIP_SEGMENTS = frozenset({"logout", "delete", "attachment", "attachments"})
_SKIP_WORDS = ("export", "download")
# Attribute values that are expressions or templates rather than a plain address.
_NOT_SIMPLE = re.compile(r"[\s{}$`]")


def written_table(sql) -> str | None:
    """The table a statement writes to, "?" when it writes somewhere unparsed, None when it
    does not write."""
    sql = sql if isinstance(sql, str) else str(sql)
    m = _WRITE.match(sql)
    if m is None:
        return None
    target = _TARGET.match(sql, m.start(1))
    return target.group(1).lower() if target else "?"


class WriteRecorder:
    """An execute wrapper (connection.execute_wrapper) that notes every writing statement
    against the page being served. It notes before executing, so a write that then fails
    (and turns into a 500) is still reported."""

    def __init__(self):
        self.page: str | None = None
        self.writes: list[tuple[str | None, str]] = []

    def __call__(self, execute, sql, params, many, context):
        table = written_table(sql)
        if table is not None and table not in EXEMPT_TABLES:
            self.writes.append((self.page, " ".join(str(sql).split())[:120]))
        return execute(sql, params, many, context)


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)  # attribute values arrive with &amp; decoded
        self.found: list[tuple[str, bool]] = []  # (address, fetched by htmx)

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if not value:
                continue
            if name == "href":
                self.found.append((value, False))
            elif name in ("hx-get", "data-hx-get") and not _NOT_SIMPLE.search(value.strip()):
                self.found.append((value, True))


def links(html: str) -> list[tuple[str, bool]]:
    parser = _Links()
    parser.feed(html)
    parser.close()
    return parser.found


def same_site(base: str, raw: str) -> str | None:
    """The path and query of a link, resolved against the page it is on; None when it leaves
    the site or is not an address at all."""
    raw = raw.strip()
    if not raw or raw.startswith(("#", "javascript:", "mailto:", "tel:", "data:")):
        return None
    parts = urlsplit(urljoin("http://testserver" + base, raw))
    if parts.scheme not in ("http", "https") or parts.netloc != "testserver":
        return None
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def skipped(url: str, *, admin: bool) -> bool:
    parts = urlsplit(url)
    path = parts.path
    # An unset MEDIA_URL reads as "/" (uploads here are served by views, not from a folder).
    files = {settings.STATIC_URL or "/static/", settings.MEDIA_URL or "/media/"} - {"/"}
    if path.startswith(tuple(files)):
        return True
    if path.startswith("/admin/") and not admin:
        return True
    segments = {s.lower() for s in path.split("/") if s}
    if segments & _SKIP_SEGMENTS:
        return True
    lowered = url.lower()
    return any(word in lowered for word in _SKIP_WORDS)


def shape(url: str, htmx: bool) -> tuple[str, str]:
    """What kind of page a URL is (its path with ids blanked, and whether htmx fetches it), and
    which variant of it (its query's keys: a filter, a sort order, a page number)."""
    parts = urlsplit(url)
    keys = sorted({k for k, _v in parse_qsl(parts.query, keep_blank_values=True)})
    return f"{'hx ' if htmx else ''}{re.sub(r'[0-9]+', 'N', parts.path)}", "&".join(keys)


class _Frontier:
    """The links found and not yet opened, taken in turns: first between kinds of page, then
    between a kind's variants, breadth-first within each. So a budget of a few hundred pages
    covers every kind of page instead of going to the 200th task or the 30th sort order of
    one admin list."""

    def __init__(self):
        self._queues: dict[str, dict[str, deque[tuple[str, bool]]]] = {}
        self._opened: dict[tuple[str, ...], int] = {}

    def add(self, url: str, htmx: bool) -> None:
        kind, variant = shape(url, htmx)
        self._queues.setdefault(kind, {}).setdefault(variant, deque()).append((url, htmx))
        self._opened.setdefault((kind,), 0)
        self._opened.setdefault((kind, variant), 0)

    def __bool__(self) -> bool:
        return any(q for variants in self._queues.values() for q in variants.values())

    def pop(self) -> tuple[str, bool]:
        # The least opened so far; ties go to the one found first (dicts keep insertion order).
        kind = min(
            (k for k, variants in self._queues.items() if any(variants.values())),
            key=lambda k: self._opened[(k,)],
        )
        variants = self._queues[kind]
        variant = min((v for v, q in variants.items() if q), key=lambda v: self._opened[(kind, v)])
        self._opened[(kind,)] += 1
        self._opened[(kind, variant)] += 1
        return variants[variant].popleft()


@dataclass
class Crawl:
    pages: list[tuple[str, int, float]] = field(default_factory=list)  # (page, status, seconds)
    found_on: dict[str, str] = field(default_factory=dict)  # page -> the page linking to it
    broken: list[tuple[str, int, str]] = field(default_factory=list)  # (page, status, error)
    writes: list[tuple[str, str]] = field(default_factory=list)  # (page, statement)


def crawl(
    client,
    start=("/",),
    *,
    limit: int,
    admin: bool,
    using=DEFAULT_DB_ALIAS,
    inspect: Callable[[str, str], None] | None = None,
) -> Crawl:
    """Open pages breadth-first from `start`, following same-site links (href, and simple
    hx-get fetched the way htmx would), up to `limit` requests. Redirects are followed as
    links. Each page is served in a savepoint that is rolled back, so a page that does write
    cannot change what later pages show, and on PostgreSQL a failed query cannot poison the
    rest of the crawl's transaction. `inspect(page, html)` sees every HTML page opened."""
    result = Crawl()
    frontier = _Frontier()
    seen: set[tuple[str, bool]] = set()

    def enqueue(url: str | None, htmx: bool, found_on: str) -> None:
        if url is None or (url, htmx) in seen or skipped(url, admin=admin):
            return
        seen.add((url, htmx))
        frontier.add(url, htmx)
        result.found_on[f"{url} (htmx)" if htmx else url] = found_on

    for url in start:
        enqueue(url, False, "(start)")
    recorder = WriteRecorder()
    with connections[using].execute_wrapper(recorder):
        while len(result.pages) < limit and frontier:
            url, htmx = frontier.pop()
            page = f"{url} (htmx)" if htmx else url
            recorder.page = page
            headers = {"HX-Request": "true"} if htmx else {}
            began = time.perf_counter()
            with transaction.atomic(using=using):
                response = client.get(url, headers=headers)
                transaction.set_rollback(True, using=using)
            recorder.page = None
            status = response.status_code
            result.pages.append((page, status, time.perf_counter() - began))
            if status >= 500:
                exc = getattr(response, "exc_info", None)
                error = f"{type(exc[1]).__name__}: {exc[1]}"[:200] if exc else ""
                result.broken.append((page, status, error))
            if 300 <= status < 400 and response.get("Location"):
                enqueue(same_site(url, response["Location"]), False, page)
            if status == 200 and "html" in response.get("Content-Type", ""):
                body = response.content.decode(response.charset or "utf-8", "replace")
                if inspect is not None:
                    inspect(page, body)
                for raw, by_htmx in links(body):
                    enqueue(same_site(url, raw), by_htmx, page)
    result.writes = [(page or "(between pages)", sql) for page, sql in recorder.writes]
    return result
