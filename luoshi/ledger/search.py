"""Indexed text search over tasks: `matching(qs, text)` keeps the tasks whose title, content or
notes contain `text` (case-insensitive as the database's LIKE is) or whose No. equals it: the
rows `like_q` finds, answered from an index on both databases.

Chinese needs substrings, not words (no segmenter on Debian, STACK.md), and the common query is
two characters, which no trigram can serve. So:

- SQLite: an FTS5 trigram table (`ledger_task_search`, contentless, kept by triggers on
  ledger_task, migration 0011) over the ASCII-lowercased columns, each followed by two PAD
  characters. A query of 3+ characters is one phrase of trigrams: exactly a substring test.
  Every occurrence of a 1-2 character query begins some trigram (the pads see to that at a
  column's end), so a shorter query becomes the OR of the indexed trigrams that start with it,
  read from the fts5vocab table `ledger_task_search_terms`.
- PostgreSQL: on upper(title PAD content PAD notes), a pg_trgm GIN index serves the LIKE of a
  query of 3+ characters, and a GIN index on its bigrams as a tsvector (`ledger_task_bigrams`,
  a PAD after the last character too) serves shorter ones: a 2-character query is a bigram, a
  1-character one the first half of the bigrams it begins, so either is exactly LIKE's test.

Each path is exact, not a pre-filter to check again, so the planner sees one condition with a
true estimate. The No. stays an equality (ledger_task_no_idx). A query the indexes cannot answer
exactly (one holding PAD, or a short one with a cased non-ASCII letter, whose folding the index
may not share) takes `like_q`: slower, never different.
"""

from __future__ import annotations

from django.db import connections
from django.db.models import BooleanField, F, Func, Q, QuerySet, TextField, Value
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In

PAD = "\x01"
# Beyond this many trigrams starting with a 1–2 character query, the OR of them costs more than
# scanning: such a query is common, and the ledger's first page fills within a few rows.
MAX_TERMS = 400
# On SQLite, above about this many estimated matches the ledger's first page comes sooner by
# walking its sort order and testing each row against the matched ids than by fetching every
# match and sorting (the two cost the same near sqrt(50 * 100,000 tasks)).
ORDERED_FROM = 2000
# The trigrams of a long query looked up for that estimate: a sample does.
MAX_SAMPLE = 32

_TERMS = "ledger_task_search_terms"
_SQLITE_MATCH = "SELECT rowid FROM ledger_task_search WHERE ledger_task_search MATCH %s"


def like_q(text: str) -> Q:
    """The search as LIKE states it: the meaning every index path must reproduce."""
    return (
        Q(title__icontains=text)
        | Q(content__icontains=text)
        | Q(no=text)
        | Q(notes__icontains=text)
    )


def matching(qs: QuerySet, text: str) -> QuerySet:
    """The tasks of `qs` that `like_q(text)` keeps, found through the search index."""
    if not text:
        return qs
    vendor = connections[qs.db].vendor
    if vendor == "sqlite":
        return _sqlite(qs, text)
    if vendor == "postgresql":
        return _postgresql(qs, text)
    return qs.filter(like_q(text))


def _cased_beyond_ascii(text: str) -> bool:
    return any(not c.isascii() and c.lower() != c.upper() for c in text)


def _ascii_lower(text: str) -> str:
    # SQLite's lower() (no ICU) and its LIKE fold ASCII letters only; the index holds lower(col).
    return "".join(c.lower() if c.isascii() else c for c in text)


def _phrase(s: str) -> str:
    # An FTS5 string: everything inside is text (", *, -, OR, NEAR, ^ included); " is doubled.
    return '"' + s.replace('"', '""') + '"'


def _sqlite(qs: QuerySet, text: str) -> QuerySet:
    if PAD in text or "\x00" in text or (len(text) < 3 and _cased_beyond_ascii(text)):
        return qs.filter(like_q(text))
    key = _ascii_lower(text)
    with connections[qs.db].cursor() as cur:
        if len(key) >= 3:
            trigrams = sorted({key[i : i + 3] for i in range(len(key) - 2)})[:MAX_SAMPLE]
            # Only placeholders go into the text; the trigrams are parameters.
            placeholders = ", ".join(["%s"] * len(trigrams))
            sql = f"SELECT count(*), min(doc) FROM {_TERMS} WHERE term IN ({placeholders})"  # noqa: S608
            cur.execute(sql, trigrams)
            found, estimate = cur.fetchone()
            if found < len(trigrams):  # a trigram no task holds: no text holds the query
                return qs.filter(no=text)
            expression = _phrase(key)
        else:
            # Terms sort by their UTF-8 bytes, i.e. by code point: those starting with `key`
            # lie between key and key followed by the highest code points.
            cur.execute(
                f"SELECT term, doc FROM {_TERMS} WHERE term >= %s AND term <= %s LIMIT %s",  # noqa: S608
                [key, key + "\U0010ffff" * 3, MAX_TERMS + 1],
            )
            rows = cur.fetchall()
            if len(rows) > MAX_TERMS:
                return qs.filter(like_q(text))
            if not rows:
                return qs.filter(no=text)
            expression = " OR ".join(_phrase(term) for term, _doc in rows)
            estimate = sum(doc for _term, doc in rows)
    ids = RawSQL(_SQLITE_MATCH, [expression])  # noqa: S611  (constant SQL, the text a parameter)
    # `id + 0` cannot use the primary key, so SQLite walks the list's own order and stops at
    # the page's end; a rare word is better fetched by id and sorted.
    pk = F("pk") + 0 if estimate >= ORDERED_FROM else F("pk")
    return qs.filter(Q(no=text) | Q(In(pk, ids)))


class _Text(Func):
    """upper(f1 PAD f2 ...): the expressions the PostgreSQL indexes are on (migration 0011
    writes the same SQL, and the planner matches the two)."""

    template = "upper(%(expressions)s)"
    arg_joiner = " || chr(1) || "
    output_field = TextField()


class _Found(Func):
    """`sql`, a condition on {text} (upper(title PAD content PAD notes)) and {value}."""

    output_field = BooleanField()

    def __init__(self, sql: str, value: str):
        self.sql = sql
        super().__init__(_Text("title", "content", "notes"), Value(value))

    def as_sql(self, compiler, connection, **extra_context):
        # Every `sql` here names {text} before {value}: the parameters follow in that order.
        text, value = (compiler.compile(e) for e in self.source_expressions)
        return self.sql.format(text=text[0], value=value[0]), (*text[1], *value[1])


def _postgresql(qs: QuerySet, text: str) -> QuerySet:
    if PAD in text or "\x00" in text:
        return qs.filter(like_q(text))
    if len(text) >= 3:
        pattern = f"%{connections[qs.db].ops.prep_for_like_query(text)}%"  # as icontains's
        found = _Found("{text} LIKE upper({value})", pattern)
    elif _cased_beyond_ascii(text):  # upper() might change its length (ß → SS under ICU)
        return qs.filter(like_q(text))
    else:
        # upper() keeps the length here: the query is a bigram, or the first half of some.
        # Exact, so a bitmap scan of the index needs no recheck: counting 50,000 matches takes
        # a third of the time a LIKE on each would.
        found = _Found(
            "ledger_task_bigrams({text}) @@ ledger_task_bigram_query(upper({value}))", text
        )
    return qs.filter(Q(no=text) | Q(found))
