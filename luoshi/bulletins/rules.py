"""Bulletin rules: plain data in, plain data out (no Django), tested without the database.

The number (发文字号), the order red tasks are named in, which units are praised, the fallback
ranking, the headings' ordinals and the canonical bytes the SHA-256 of a published bulletin is
computed over."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping

from luoshi.core.text import cn_number

RED = "red"
YELLOW = "yellow"
GREEN = "green"
DONE = "done"
DONE_LATE = "done_late"
# Lights that count against a unit when praise is considered.
NOT_PRAISED = frozenset({RED, YELLOW, DONE_LATE})
NO_UNIT = "（未明确责任单位）"


class BadPeriod(ValueError):
    pass


def period_bounds(period: str) -> tuple[dt.date, dt.date]:
    """ "2026-06" → (1 June, 30 June)."""
    try:
        year, month = (int(p) for p in period.split("-"))
        start = dt.date(year, month, 1)
    except (ValueError, AttributeError):
        raise BadPeriod(period) from None
    nxt = dt.date(year + month // 12, month % 12 + 1, 1)
    return start, nxt - dt.timedelta(days=1)


def month_of(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def format_number(prefix: str, year: int, seq: int | None) -> str:
    """交督〔2026〕12号 (GB/T 9704: the year in hexagonal brackets 〔〕, no leading zeros).
    A draft has no sequence yet: the place stays blank."""
    place = str(seq) if seq is not None else "\u3000\u3000"
    return f"{prefix}〔{year}〕{place}号"


def heading(n: int, text: str) -> str:
    """一、总体情况 — the first-level heading of an official document."""
    return f"{cn_number(n)}、{text}"


def group_red(rows: Iterable[Mapping]) -> list[dict]:
    """Red tasks grouped by responsible unit: units in the order of the unit tree (their path) then
    name, a unit without a name last; tasks within a unit by number, then id. Each row needs
    unit, unit_key, no, id; the rest is carried through."""
    groups: dict[tuple, dict] = {}
    for row in rows:
        unit = row.get("unit") or NO_UNIT
        key = (row.get("unit") is None, row.get("unit_key") or "", unit)
        group = groups.setdefault(key, {"unit": unit, "tasks": []})
        group["tasks"].append({k: v for k, v in row.items() if k not in ("unit", "unit_key")})
    out = []
    for key in sorted(groups):
        group = groups[key]
        group["tasks"].sort(key=lambda t: (_natural(t.get("no") or ""), t.get("id") or 0))
        out.append(group)
    return out


def _natural(no: str) -> tuple:
    """ "2.10" after "2.9": numbers compare as numbers."""
    parts = []
    for chunk in no.replace("-", ".").split("."):
        parts.append((0, int(chunk), "") if chunk.isdigit() else (1, 0, chunk))
    return tuple(parts)


def praised(lights: Mapping[str, Mapping[str, int]], missing: Mapping[str, int]) -> list[str]:
    """Units praised: responsible for at least one task, none of them red, yellow or completed
    late, and no report missing in the period (DOMAIN.md names praise as a bonus item but gives
    no rule; this is the strictest one that the data can prove). `lights` is {unit: {light:
    count}}; `missing` is {unit: missing reports}. Sorted by name."""
    out = []
    for unit, counts in lights.items():
        if not sum(counts.values()):
            continue
        if any(counts.get(light) for light in NOT_PRAISED) or missing.get(unit):
            continue
        out.append(unit)
    return sorted(out)


def fallback_ranking(lights: Mapping[str, Mapping[str, int]]) -> list[dict]:
    """Without an assessment for the period: units by the share of their tasks not red (then
    more tasks first, then name); equal shares share a rank (1, 1, 3)."""
    rows = []
    for unit, counts in lights.items():
        total = sum(counts.values())
        if not total:
            continue
        share = round(100 * (total - counts.get(RED, 0)) / total, 1)
        rows.append((-share, -total, unit, share))
    rows.sort()
    out: list[dict] = []
    for i, (_neg, _n, unit, share) in enumerate(rows):
        rank = out[-1]["rank"] if out and out[-1]["score"] == f"{share:.1f}" else i + 1
        out.append({"rank": rank, "unit": unit, "score": f"{share:.1f}"})
    return out


def canonical_bytes(document: Mapping) -> bytes:
    """The published bulletin as sorted-key compact JSON in UTF-8: the same content always
    gives the same bytes, so anyone can recompute the SHA-256."""
    return json.dumps(
        document, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    ).encode()


def sha256(document: Mapping) -> str:
    return hashlib.sha256(canonical_bytes(document)).hexdigest()


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "—"
