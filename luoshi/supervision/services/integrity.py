"""Integrity signals against box-ticking (形式主义), found by a set-based scan.

`scan_signals` reads, whatever the number of reports:
1. the submitted reports of every task and unit that submitted one since `since`, with the task's
   deadline, in (task, unit, due) order, values only, streamed: each report is paired with the
   same unit's previous report on the task (the previous cycle's) as the rows go by;
2. which of the few reports that jumped to 100% have an attachment (one query);
3. the light changes from green straight to red since `since` (one query);
4. which of the signals found are already stored (one query per 900 keys), then one batched
   insert that ignores conflicts (a concurrent scan may have stored the same signal).
A signal is keyed by (kind, key), "report:<id>" or "task:<id>:<day>", so scanning again adds
nothing. One audit record per scan says who ran it, over which days, and what it added.

Cost: the queries stay a handful; the time is the text comparisons, one per recent report with
a predecessor: ~0.6–0.7 ms for reports of ~300 characters, ~10 ms for a 1,500-character near
repeat (rules.near_repeat_similarity, measured on this machine). 10,000 reports in the window
take a few seconds; at a much larger scale the daily job should pass a short `since` (the days
since its last scan) and leave the full window to a weekly run.

The texts are stored in the site's language (settings.LANGUAGE_CODE, Chinese) from English
msgids: a signal is a finding as of its day, read by the supervisors of that installation.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from luoshi.core import audit
from luoshi.core.calendar import current_calendar
from luoshi.core.errors import OutOfScope
from luoshi.dispatch.models import Attachment, Report, Slot

from .. import rules
from ..access import can_recompute
from ..models import LightChange, Signal

LOOKBACK_DAYS = 40  # default `since`: a little over a monthly cycle, so each scan overlaps
PAIR_LOOKBACK_DAYS = 400  # how far back a report's previous one is looked for
REPEAT_THRESHOLD = 0.9
REPEAT_MIN_CHARS = 20
JUMP_WINDOW = 3  # working days before the deadline
JUMP_FROM_BELOW = 80
KEY_BATCH = 900  # keys per "already stored?" query (SQLite's bound-parameter limit)
INSERT_BATCH = 1000
TEXT_MAX = 300  # Signal.text
DONE = (Slot.Status.SUBMITTED, Slot.Status.ACCEPTED)
KINDS = tuple(Signal.Kind.values)


def _start_of(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _clip(text: str) -> str:
    return text if len(text) <= TEXT_MAX else text[: TEXT_MAX - 1] + "…"


def _report_text(progress: str, next_steps: str) -> str:
    return f"{progress or ''}\n{next_steps or ''}"


def _repeat_text(similarity: float) -> str:
    # Rounded down: 99.6% alike is not "100% alike".
    return _("This report repeats the previous one (%(pct)d%% alike)") % {
        "pct": int(similarity * 100)
    }


def _jump_text(before: int | None, deadline: dt.date, days_before: int) -> str:
    params = {"before": before or 0, "deadline": deadline.isoformat(), "days": days_before}
    if days_before <= 0:
        return (
            _(
                "Progress jumped from %(before)d%% to 100%% at or after the deadline"
                " (%(deadline)s), with no evidence attached"
            )
            % params
        )
    return (
        ngettext(
            "Progress jumped from %(before)d%% to 100%% %(days)d working day before the"
            " deadline (%(deadline)s), with no evidence attached",
            "Progress jumped from %(before)d%% to 100%% %(days)d working days before the"
            " deadline (%(deadline)s), with no evidence attached",
            days_before,
        )
        % params
    )


def _warned_text(day: dt.date, reasons) -> str:
    said = "；".join(r.get("text", "") for r in reasons or () if isinstance(r, dict))
    return _("Green until %(day)s, then red without a yellow warning: %(reasons)s") % {
        "day": day.isoformat(),
        "reasons": said or "—",
    }


def _report_signals(since_at, end_at, wdb) -> tuple[list[Signal], int]:
    """REPEATED_TEXT and JUMP_TO_DONE from each recent report and its predecessor."""
    recent = Slot.objects.filter(
        submitted_at__gte=since_at, submitted_at__lt=end_at, status__in=DONE
    )
    rows = (
        Report.objects.filter(
            slot__task_id__in=recent.values("task_id"),
            slot__status__in=DONE,
            slot__submitted_at__isnull=False,
            slot__submitted_at__lt=end_at,
            slot__due_at__gte=since_at - dt.timedelta(days=PAIR_LOOKBACK_DAYS),
        )
        .order_by("slot__task_id", "slot__unit_id", "slot__due_at", "slot_id")
        .values_list(
            "pk",
            "slot__task_id",
            "slot__unit_id",
            "slot__submitted_at",
            "slot__task__deadline",
            "progress",
            "next_steps",
            "percent",
        )
    )
    found: list[Signal] = []
    jumps: list[Signal] = []
    compared = 0
    prev = None
    for row in rows.iterator(chunk_size=2000):
        pk, task_id, unit_id, submitted_at, deadline, progress, next_steps, percent = row
        same_thread = prev is not None and (prev[1], prev[2]) == (task_id, unit_id)
        if same_thread and submitted_at >= since_at:
            compared += 1
            on = timezone.localtime(submitted_at).date()
            similarity = rules.near_repeat_similarity(
                _report_text(prev[5], prev[6]),
                _report_text(progress, next_steps),
                REPEAT_THRESHOLD,
                REPEAT_MIN_CHARS,
            )
            if similarity is not None:
                found.append(
                    Signal(
                        kind=Signal.Kind.REPEATED_TEXT,
                        key=f"report:{pk}",
                        task_id=task_id,
                        unit_id=unit_id,
                        report_id=pk,
                        on=on,
                        detail={"similarity": round(similarity, 2), "previous_report": prev[0]},
                        text=_clip(_repeat_text(similarity)),
                    )
                )
            # Evidence is looked up afterwards, for these few candidates only.
            if rules.jumped_to_done(
                prev[7], percent, on, deadline, False, wdb, JUMP_WINDOW, JUMP_FROM_BELOW
            ):
                days_before = wdb(on, deadline) if on < deadline else 0
                jumps.append(
                    Signal(
                        kind=Signal.Kind.JUMP_TO_DONE,
                        key=f"report:{pk}",
                        task_id=task_id,
                        unit_id=unit_id,
                        report_id=pk,
                        on=on,
                        detail={
                            "previous_percent": prev[7],
                            "percent": percent,
                            "deadline": deadline.isoformat(),
                            "working_days_before": days_before,
                            "previous_report": prev[0],
                        },
                        text=_clip(_jump_text(prev[7], deadline, days_before)),
                    )
                )
        prev = row
    if jumps:
        with_evidence = set(
            Attachment.objects.filter(report_id__in=[s.report_id for s in jumps])
            .values_list("report_id", flat=True)
            .distinct()
        )
        found += [s for s in jumps if s.report_id not in with_evidence]
    return found, compared


def _warned_late_signals(since: dt.date, today: dt.date) -> list[Signal]:
    rows = (
        LightChange.objects.filter(on__gte=since, on__lte=today, was=rules.GREEN, now=rules.RED)
        .order_by("task_id", "on", "id")
        .values_list("pk", "task_id", "task__primary_unit_id", "on", "reasons")
    )
    return [
        Signal(
            kind=Signal.Kind.WARNED_LATE,
            key=f"task:{task_id}:{on.isoformat()}",
            task_id=task_id,
            unit_id=unit_id,
            on=on,
            detail={
                "light_change": pk,
                "reasons": [r.get("code") for r in reasons or () if isinstance(r, dict)],
            },
            text=_clip(_warned_text(on, reasons)),
        )
        for pk, task_id, unit_id, on, reasons in rows
    ]


def _new_only(signals: list[Signal]) -> list[Signal]:
    """The signals not stored yet, first of each (kind, key)."""
    unique: dict[tuple[str, str], Signal] = {}
    for s in signals:
        unique.setdefault((s.kind, s.key), s)
    keys = sorted({key for _kind, key in unique})
    stored: set[tuple[str, str]] = set()
    for i in range(0, len(keys), KEY_BATCH):
        stored.update(
            Signal.objects.filter(key__in=keys[i : i + KEY_BATCH]).values_list("kind", "key")
        )
    return [s for k, s in unique.items() if k not in stored]


@transaction.atomic
def scan_signals(*, actor, today: dt.date | None = None, since: dt.date | None = None) -> dict:
    """Find and store integrity signals for reports submitted and light changes made from
    `since` (default: LOOKBACK_DAYS before `today`) to `today`. Supervisors, administrators and
    the system actor (the daily job). Returns what it looked at and what it added per kind."""
    if not can_recompute(actor):
        raise OutOfScope(_("Only supervisors and administrators scan for integrity signals."))
    today = today or timezone.localdate()
    since = since or today - dt.timedelta(days=LOOKBACK_DAYS)
    wdb = functools.lru_cache(maxsize=4096)(current_calendar().working_days_between)
    with translation.override(settings.LANGUAGE_CODE):
        found, compared = _report_signals(
            _start_of(since), _start_of(today + dt.timedelta(days=1)), wdb
        )
        found += _warned_late_signals(since, today)
    new = _new_only(found)
    Signal.objects.bulk_create(new, batch_size=INSERT_BATCH, ignore_conflicts=True)
    added = dict.fromkeys(KINDS, 0)
    for s in new:
        added[s.kind] += 1
    result = {
        "today": today.isoformat(),
        "since": since.isoformat(),
        "reports": compared,
        "found": len(found),
        **added,
        "added": len(new),
    }
    audit.record(
        actor,
        [
            audit.Entry(
                "scan",
                "supervision.signals",
                "all",
                "integrity signals",
                {"added": [None, added]},
                {"today": today.isoformat(), "since": since.isoformat(), "result": result},
            )
        ],
    )
    return result


# --- reading ---------------------------------------------------------------------------------


def counts_per_unit(qs) -> list[dict]:
    """[{"unit": id, "unit_name", "counts": {kind: n}, "total"}], most signals first: one
    aggregate query. Signals of a task with no unit are counted under unit None."""
    units: dict[int | None, dict] = {}
    rows = qs.order_by().values("unit_id", "unit__name", "kind").annotate(n=Count("id"))
    for row in rows:
        entry = units.setdefault(
            row["unit_id"],
            {
                "unit": row["unit_id"],
                "unit_name": row["unit__name"] or "",
                "counts": dict.fromkeys(Signal.Kind.values, 0),
                "total": 0,
            },
        )
        entry["counts"][row["kind"]] += row["n"]
        entry["total"] += row["n"]
    return sorted(units.values(), key=lambda e: (-e["total"], e["unit_name"]))
