"""Plain ledger rules: numbering, ordering and keys. No ORM, no settings."""

from __future__ import annotations

import datetime as dt
import re

from .dates import DateParseError, parse_deadline

_NUM = re.compile(r"^\d+$")


def no_parts(no: str) -> list[str]:
    return [p for p in str(no).strip().split(".") if p != ""]


def parent_no(no: str) -> str | None:
    parts = no_parts(no)
    return ".".join(parts[:-1]) if len(parts) > 1 else None


def sort_key(category_order: int, no: str) -> str:
    """Orders tasks the way the ledger lists them: by category, then numerically by No.
    ("1.10" after "1.9"), so that one indexed column serves the default sort."""
    return f"{category_order:04d}|" + ".".join(_sort_part(p) for p in no_parts(no))


def _sort_part(p: str) -> str:
    if not _NUM.match(p):
        return p[:10].rjust(5, "~")
    digits = p.lstrip("0") or "0"
    if len(digits) <= 5:
        return digits.rjust(5, "0")  # the keys every ledger so far was stored with
    # Longer numbers after every 5-digit one (":" follows "9"), by length, then by value;
    # before words ("~" pads them).
    return f":{len(digits):02d}{digits}"


def task_key(numbering: str, category: str | None, no: str) -> str:
    """A task's identity within its plan (LEDGER_FORMAT.md): the No. when numbering runs through
    the ledger, category and No. when it restarts in each category."""
    if numbering == "per_section":
        return f"{category or ''}|{no}"
    return no


def next_no(existing: list[str], parent: str | None) -> str:
    """The next free No. among a parent's children ("3" after "1","2"; "1.3" after "1.2")."""
    depth = 0 if parent is None else len(no_parts(parent))
    prefix = [] if parent is None else no_parts(parent)
    highest = 0
    for no in existing:
        parts = no_parts(no)
        if len(parts) == depth + 1 and parts[:depth] == prefix and _NUM.match(parts[-1]):
            highest = max(highest, int(parts[-1]))
    return ".".join([*prefix, str(highest + 1)])


# A task in one of these states is finished with: never overdue, not "open" (未完成).
CLOSED_STATUSES = ("done", "cancelled")


def is_overdue(deadline: dt.date | None, status: str, today: dt.date) -> bool:
    """逾期: the deadline has passed and the task is neither done nor cancelled. An ongoing
    task has no deadline, so it is never overdue."""
    return deadline is not None and deadline < today and status not in CLOSED_STATUSES


def deadline_text_describes(
    text: str, deadline: dt.date | None, ongoing: bool, *, year: int | None
) -> bool:
    """Whether the deadline's wording as written ("6月底前", "长期坚持") still says what the
    task's deadline now is. Wording that cannot be read, or reads as another date, does not:
    kept beside a changed date it would show two deadlines."""
    if not (text or "").strip():
        return True
    try:
        read = parse_deadline(text, year=year)
    except DateParseError:
        return False
    if ongoing:
        return read.ongoing
    return not read.ongoing and read.date == deadline


# The evidence column of a rectification ledger (佐证材料 …), kept among a task's extra columns:
# the importer requires it of a row marked 销号, evaluation reads it as that acceptance's evidence.
EVIDENCE_WORDS = ("佐证", "证明材料", "销号材料", "evidence")


def is_evidence_column(header: str) -> bool:
    return any(w in str(header).lower() for w in EVIDENCE_WORDS)


def evidence_of(extra: dict) -> str:
    """The text of the first evidence column in a task's extra columns, or ""."""
    for header, value in (extra or {}).items():
        if is_evidence_column(header) and str(value or "").strip():
            return str(value).strip()
    return ""
