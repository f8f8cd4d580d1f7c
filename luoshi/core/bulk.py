"""Set-based writes of plain tuples, for services that write tens of thousands of rows at once
(the daily lights pass over a province's million tasks).

Django's `bulk_create` builds a model instance per row and `bulk_update` a `CASE WHEN` per
field per row, resolved as expressions: at 100,000 rows that is a minute of Python for a
second of database work (docs/benchmarks.md, "Lights recomputed"). These write the rows as they
are: on SQLite one prepared statement run by `executemany`; on PostgreSQL `COPY` (into the
table, or into a temporary table that one `UPDATE … FROM` or `INSERT … ON CONFLICT` joins).

They are a mechanism, like `core.versioning.save_versioned`: only services call them (an
architecture test holds that), inside the service's transaction, with its audit record. They
do no validation, send no signals and touch no `auto_now` field by themselves: the caller
passes exactly the columns it writes.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence

from django.db import connection, models
from django.utils import timezone

__all__ = ["JsonText", "insert_rows", "update_rows", "upsert_rows"]


class JsonText(str):
    """JSON already encoded, for a JSON column: written as it is. A service that writes the
    same document to two tables encodes it once."""

    __slots__ = ()


def _dumps(value) -> str:
    return value if isinstance(value, JsonText) else json.dumps(value)


def _jsonb(value):
    if isinstance(value, JsonText):
        return value  # COPY's text format: PostgreSQL parses it as jsonb
    from psycopg.types.json import Jsonb

    return Jsonb(value)


def _converters(model, fields: Sequence[str]) -> list:
    """One converter per field (None: the value goes as it is) for the plain Python values a
    service holds: dates and datetimes on SQLite as Django stores them, JSON as text on SQLite
    and as jsonb on PostgreSQL."""
    ops = connection.ops
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    out = []
    for name in fields:
        f = by_attname[name]
        conv = None
        if isinstance(f, models.JSONField):
            conv = _jsonb if connection.vendor == "postgresql" else _dumps
        elif connection.vendor == "sqlite" and isinstance(f, models.DateTimeField):
            conv = ops.adapt_datetimefield_value
        elif connection.vendor == "sqlite" and isinstance(f, models.DateField):
            conv = _isodate
        out.append(conv)
    return out


@functools.lru_cache(maxsize=4096)
def _isodate(value) -> str:
    # A pass writes the same few days on every row: one conversion each.
    return value.isoformat()


def _prepared(rows: Iterable[Sequence], converters: list, tail: tuple = ()):
    idx = [(i, c) for i, c in enumerate(converters) if c is not None]
    for row in rows:
        if idx:
            row = list(row)
            for i, c in idx:
                if row[i] is not None:
                    row[i] = c(row[i])
        yield (*row, *tail) if tail else row


def _columns(model, fields: Sequence[str]) -> list[str]:
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    missing = [n for n in fields if n not in by_attname]
    if missing:
        raise ValueError(f"{model.__name__} has no column for {missing}")
    return [by_attname[n].column for n in fields]


def _defaults(model, fields: Sequence[str]) -> tuple[list[str], tuple]:
    """The columns the caller leaves out, with their default (now for auto_now fields, else
    the field's default, NULL or ""), prepared once. The primary key is left to the database
    unless the caller names it."""
    cols, vals = [], []
    for f in model._meta.concrete_fields:
        if f.attname in fields or f.primary_key:
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = timezone.now()
            if not isinstance(f, models.DateTimeField):
                value = timezone.localdate(value)
        elif f.has_default():
            value = f.get_default()
        elif f.null:
            value = None
        elif f.blank and isinstance(f, (models.CharField, models.TextField)):
            value = ""
        else:
            raise ValueError(f"{model.__name__}.{f.attname}: give a value, it has no default")
        cols.append(f.column)
        vals.append(f.get_db_prep_save(value, connection))
    return cols, tuple(vals)


def insert_rows(model, fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows` (tuples in the order of `fields`, attnames such as "task_id") into the
    model's table; columns not named take their default. Returns the number of rows."""
    rows = list(rows)
    if not rows:
        return 0
    q = connection.ops.quote_name
    default_cols, default_vals = _defaults(model, fields)
    cols = ", ".join(q(c) for c in [*_columns(model, fields), *default_cols])
    table = q(model._meta.db_table)
    data = _prepared(rows, _converters(model, fields), default_vals)
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "postgresql":
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            for row in data:
                copy.write_row(row)
    else:
        marks = ", ".join("?" * (len(fields) + len(default_cols)))
        sql = f"INSERT INTO {table} ({cols}) VALUES ({marks})"  # noqa: S608 - names from _meta
        raw.executemany(sql, data)
    return len(rows)


def update_rows(model, fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Set `fields` on the rows named by primary key: each row is (pk, *values in the order of
    `fields`). Returns the number of rows given. Identifiers come from the model's `_meta`,
    quoted; values are always bound or copied, never formatted into SQL."""
    rows = list(rows)
    if not rows:
        return 0
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    pk = q(model._meta.pk.column)
    cols = [q(c) for c in _columns(model, fields)]
    data = _prepared(rows, [None, *_converters(model, fields)])
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "postgresql":
        # A temporary table shaped like the target's columns (types included), filled by COPY
        # and joined once: no per-row statement, no literal casts.
        tmp = q(f"_bulk_{model._meta.db_table}")
        with raw.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {tmp}")
            shape = f"SELECT {pk}, {', '.join(cols)} FROM {table}"  # noqa: S608 - names from _meta
            cur.execute(f"CREATE TEMPORARY TABLE {tmp} AS {shape} WITH NO DATA")
            with cur.copy(f"COPY {tmp} ({pk}, {', '.join(cols)}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
            sets = ", ".join(f"{c} = s.{c}" for c in cols)
            join = f"FROM {tmp} AS s WHERE t.{pk} = s.{pk}"
            cur.execute(f"UPDATE {table} AS t SET {sets} {join}")  # noqa: S608 - names from _meta
            cur.execute(f"DROP TABLE {tmp}")
    else:
        sets = ", ".join(f"{c} = ?" for c in cols)
        # executemany takes (values…, pk): rotate the key to the end.
        sql = f"UPDATE {table} SET {sets} WHERE {pk} = ?"  # noqa: S608 - names from _meta
        raw.executemany(sql, ((*r[1:], r[0]) for r in data))
    return len(rows)


def upsert_rows(model, fields: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert `rows`, or where a row with the same primary key exists set the other fields:
    each row is (pk, *values in the order of `fields[1:]`), `fields[0]` naming the primary key
    (an attname such as "task_id" for a one-to-one key). Columns not named take their default
    on insert and stay as they are on update. Returns the number of rows given."""
    rows = list(rows)
    if not rows:
        return 0
    if model._meta.pk.attname != fields[0]:
        raise ValueError(f"{model.__name__}: the first field must be the primary key")
    q = connection.ops.quote_name
    table = q(model._meta.db_table)
    default_cols, default_vals = _defaults(model, fields)
    cols = [q(c) for c in _columns(model, fields)]
    all_cols = ", ".join([*cols, *(q(c) for c in default_cols)])
    sets = ", ".join(f"{c} = EXCLUDED.{c}" for c in cols[1:])
    conflict = f"ON CONFLICT ({cols[0]}) DO UPDATE SET {sets}"
    data = _prepared(rows, _converters(model, fields), default_vals)
    connection.ensure_connection()
    raw = connection.connection
    if connection.vendor == "postgresql":
        tmp = q(f"_bulk_{model._meta.db_table}")
        with raw.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {tmp}")
            shape = f"SELECT {all_cols} FROM {table}"  # noqa: S608 - names from _meta
            cur.execute(f"CREATE TEMPORARY TABLE {tmp} AS {shape} WITH NO DATA")
            with cur.copy(f"COPY {tmp} ({all_cols}) FROM STDIN") as copy:
                for row in data:
                    copy.write_row(row)
            cur.execute(
                f"INSERT INTO {table} ({all_cols}) SELECT {all_cols} FROM {tmp} {conflict}"  # noqa: S608
            )
            cur.execute(f"DROP TABLE {tmp}")
    else:
        marks = ", ".join("?" * (len(fields) + len(default_cols)))
        sql = f"INSERT INTO {table} ({all_cols}) VALUES ({marks}) {conflict}"  # noqa: S608
        raw.executemany(sql, data)
    return len(rows)
