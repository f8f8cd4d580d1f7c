"""The one import pipeline — read → map → preview → commit — behind the ledger, unit and people
importers, their commands and the import pages.

Every importer has the same entry point and the same result:

    run(data: bytes, options, *, actor, commit: bool = False) -> Report

`commit=False` is the preview (a dry run): the file is read, its names are mapped to units and
people, each row is compared with the database, and nothing is written. `commit=True` runs the
same analysis again inside one transaction and writes every row or none: any error raises
ImportFailed carrying the report, and the writes go through the apps' services, each with its
audit record. `actor` is the person importing (the system actor for the command line), never
None.

An importer is two functions handed to `execute`:

    analyse(data, options, *, actor) -> (Report, state)      # read, map, compare: no writes
    write(report, state, options, *, actor) -> None          # through services, audited

Errors and warnings are dicts of one shape (`problem`): row, column (as the file labels it),
value (the cell's text), reason (English: the commands' --json contract), message (the reason
in the reader's language) and sheet."""

from __future__ import annotations

import csv
import gc
import io
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

from django.db import transaction

from . import uploads
from .xlsx import SheetData, WorkbookError, read_workbook

Problem = dict[str, Any]


def problem(
    row: int,
    column: str,
    value: object,
    reason: str,
    *,
    message: str | None = None,
    sheet: str = "",
) -> Problem:
    """One error or warning. Row 0 is the file as a whole (not a workbook, no header row)."""
    return {
        "row": row,
        "column": column,
        "value": "" if value is None else str(value),
        "reason": reason,
        "message": reason if message is None else message,
        "sheet": sheet,
    }


def _names() -> dict[str, list[str]]:
    return {"units": [], "people": []}


@dataclass
class Outcome:
    """What the commit does with one row: new, changed (the fields), unchanged or error."""

    row: int
    outcome: str  # new | changed | unchanged | error
    title: str = ""
    no: str = ""
    sheet: str = ""
    changed: list[str] = field(default_factory=list)


@dataclass
class Report:
    """The preview and the commit's result, the same for every importer (an importer may add
    fields of its own in a subclass)."""

    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    outcomes: list[dict] = field(default_factory=list)  # asdict(Outcome) per row
    # Names the file uses that the database lacks ("units", "people"): to map or create.
    unknown: dict[str, list[str]] = field(default_factory=_names)
    # The unknown names the commit creates (when asked to).
    created: dict[str, list[str]] = field(default_factory=_names)
    committed: bool = False
    sha256: str = ""

    # The keys of summary(): the commands' --json object.
    SUMMARY: ClassVar[tuple[str, ...]] = (
        "rows",
        "new",
        "changed",
        "unchanged",
        "errors",
        "created",
        "committed",
    )

    def error(self, row: int, column: str, value: object, reason: str, **kw) -> None:
        self.errors.append(problem(row, column, value, reason, **kw))

    def warn(self, row: int, column: str, value: object, reason: str, **kw) -> None:
        self.warnings.append(problem(row, column, value, reason, **kw))

    def outcome(self, row: int, outcome: str, **kw) -> None:
        """Record one row's outcome and count it."""
        self.outcomes.append(asdict(Outcome(row, outcome, **kw)))
        if outcome in ("new", "changed", "unchanged"):
            setattr(self, outcome, getattr(self, outcome) + 1)

    def summary(self) -> dict:
        """The commands' --json object: errors carry row, column, value and reason only."""
        out = {}
        for key in self.SUMMARY:
            value = getattr(self, key)
            if key == "errors":
                value = [{k: e[k] for k in ("row", "column", "value", "reason")} for e in value]
            out[key] = value
        return out

    def as_dict(self) -> dict:
        return asdict(self)


class ImportFailed(Exception):
    """A commit refused: nothing was written. `report` says why, row by row."""

    def __init__(self, report: Report):
        self.report = report
        super().__init__(f"{len(report.errors)} errors")


# --- read -----------------------------------------------------------------------------------


def read_table(data: bytes, filename: str = "") -> list[SheetData]:
    """The sheets of an uploaded file, within the one upload limit (LUOSHI_MAX_UPLOAD_BYTES):
    a workbook through core.xlsx (zip-bomb checks before any parser runs), or, for a name
    ending in .csv, one sheet of CSV text (UTF-8, or GB18030 as Excel saves it in China).
    Raises WorkbookError saying why a file cannot be read."""
    limit = uploads.max_bytes()
    if not filename.lower().endswith(".csv"):
        return read_workbook(data, max_bytes=limit)
    if len(data) > limit:
        raise WorkbookError(
            f"the CSV file is too large ({len(data) / 2**20:.1f} MiB > {limit / 2**20:.0f} MiB)"
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise WorkbookError("not a CSV text file: save it as CSV (UTF-8)")
    return [SheetData(name=filename, rows=[list(r) for r in csv.reader(io.StringIO(text))])]


# --- run ------------------------------------------------------------------------------------

Analyse = Callable[..., tuple[Report, Any]]
Write = Callable[..., None]


def execute(
    analyse: Analyse, write: Write, data: bytes, options, *, actor, commit: bool = False
) -> Report:
    """The preview (commit=False), or the all-or-nothing commit: analyse again inside one
    transaction, refuse on any error (ImportFailed), write, mark the report committed."""
    if actor is None:
        raise ValueError("an import needs the acting person (the system actor on the command line)")
    if not commit:
        report, _ = analyse(data, options, actor=actor)
        return report
    # A commit allocates millions of short-lived containers and creates no garbage cycles
    # that must be collected mid-way; the collector's repeated full passes cost ~30% of a
    # 10,000-row ledger commit (docs/benchmarks.md).
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        with transaction.atomic():
            report, state = analyse(data, options, actor=actor)
            if report.errors:
                raise ImportFailed(report)
            write(report, state, options, actor=actor)
            if report.errors:
                raise ImportFailed(report)
            report.committed = True
        return report
    finally:
        if gc_was_enabled:
            gc.enable()
