"""The one audited path: every change to an audited object is recorded here, in the same
transaction as the change, as a hash-chained append-only row."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from .models import AuditHead, AuditRecord

GENESIS = "0" * 64
_EMPTY = (None, "", [], {})


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):  # a schedule's due time
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if hasattr(value, "pk"):
        return value.pk
    return value


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, list[Any]]:
    """{field: [before, after]} for the fields whose value differs."""
    out: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        b, a = _jsonable(before.get(key)), _jsonable(after.get(key))
        if b in _EMPTY and a in _EMPTY:  # None -> "" is no change worth recording
            continue
        if b != a:
            out[key] = [b, a]
    return out


@dataclass
class Entry:
    action: str
    object_type: str
    object_id: Any
    object_repr: str = ""
    changes: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)
    # The history the record belongs to; empty means thread_of(object, context) below.
    thread: str = ""


TASK_THREAD = "ledger.task"

# Sent inside the change's transaction with the records just appended (`records=`). Every write
# is audited, so this is how a later stage learns of a change without the changing app knowing
# it: supervision recomputes the lights of the tasks touched, once the transaction commits.
recorded = Signal()


def thread_key(object_type: str, object_id: Any) -> str:
    return f"{object_type}:{object_id}"


def thread_of(object_type: str, object_id: Any, context: Mapping[str, Any] | None) -> str:
    """The default thread: the task named by context["task"] (a milestone, hand-off or report
    record is part of its task's history), else the object itself. Core migration 0004 filled
    older records with this same function's rule, so keep the two in step."""
    task = context.get("task") if isinstance(context, Mapping) else None
    if task is not None and task != "":
        return thread_key(TASK_THREAD, task)
    return thread_key(object_type, object_id)


def _digest(prev_hash: str, rec: AuditRecord) -> str:
    fields = [
        prev_hash,
        rec.at.isoformat(),
        rec.actor_id,
        rec.actor_name,
        rec.action,
        rec.object_type,
        rec.object_id,
        rec.object_repr,
        rec.changes,
        rec.context,
    ]
    # The thread is covered only where it is not the default one derived from the fields
    # above: records written (or back-filled) before the column existed still verify, and
    # changing any record's thread still breaks its hash.
    if rec.thread != thread_of(rec.object_type, rec.object_id, rec.context):
        fields.append(["thread", rec.thread])
    payload = json.dumps(
        fields,
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(actor, entries: Iterable[Entry], *, at: dt.datetime | None = None) -> list[AuditRecord]:
    """Append entries to the chain. Must run inside the transaction that makes the change.
    `actor` is a person: the one acting, or the named system actor for jobs and imports."""
    if actor is None or getattr(actor, "pk", None) is None:
        raise ValueError("audit.record needs the acting person (the system actor for jobs)")
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must be called inside the change's transaction")
    entries = list(entries)
    if not entries:
        return []
    # The hash covers the time as the database gives it back (UTC): a caller's local-time
    # moment must be hashed in UTC too, or the chain would not verify on reading.
    at = (at or timezone.now()).astimezone(dt.UTC)
    head, _ = AuditHead.objects.select_for_update().get_or_create(pk=1)
    prev = head.last_hash
    actor_id = getattr(actor, "pk", None)
    actor_name = getattr(actor, "display_name", "") or str(actor)
    rows = []
    for e in entries:
        rec = AuditRecord(
            at=at,
            actor_id=actor_id,
            actor_name=actor_name[:150],
            action=e.action,
            object_type=e.object_type,
            object_id=str(e.object_id),
            object_repr=str(e.object_repr)[:300],
            changes=_jsonable(e.changes),
            context=_jsonable(e.context),
        )
        rec.thread = (e.thread or thread_of(rec.object_type, rec.object_id, rec.context))[:150]
        rec.prev_hash = prev
        rec.hash = prev = _digest(prev, rec)
        rows.append(rec)
    created = AuditRecord.objects.bulk_create(rows, batch_size=2000)
    last_id = AuditRecord.objects.filter(hash=prev).values_list("id", flat=True).get()
    AuditHead.objects.filter(pk=1).update(last_id=last_id, last_hash=prev)
    recorded.send(sender=AuditRecord, records=created)
    return created


def verify_chain(batch: int = 5000) -> tuple[bool, int, str]:
    """Walk the whole chain; returns (ok, records checked, message)."""
    prev = GENESIS
    count = 0
    qs = AuditRecord.objects.order_by("id")
    last_id = 0
    while True:
        chunk = list(qs.filter(id__gt=last_id)[:batch])
        if not chunk:
            break
        for rec in chunk:
            if rec.prev_hash != prev:
                return False, count, f"record {rec.id}: previous hash does not match record before"
            if _digest(prev, rec) != rec.hash:
                return False, count, f"record {rec.id}: content does not match its hash"
            prev = rec.hash
            count += 1
            last_id = rec.id
    head = AuditHead.objects.filter(pk=1).first()
    if head and head.last_hash != prev:
        return False, count, "the chain head does not match the last record (records removed?)"
    return True, count, "ok"


def history(object_type: str, object_ids: Iterable[Any]):
    return AuditRecord.objects.filter(
        object_type=object_type, object_id__in=[str(i) for i in object_ids]
    ).order_by("-id")


def thread(object_type: str, object_id: Any):
    """Every record of one thread, newest first: one lookup on the (thread, id) index."""
    return AuditRecord.objects.filter(thread=thread_key(object_type, object_id)).order_by("-id")
