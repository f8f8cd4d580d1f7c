"""The one audited path: every change to an audited object is recorded here, in the same
transaction as the change, as a hash-chained append-only row.

What the chain proves against someone who can write to the database but holds neither the audit
key (settings.LUOSHI_AUDIT_KEY) nor the checkpoint file:
* a record changed, or a record inserted or removed in the middle: its hash (an HMAC under the
  key, which they cannot recompute) or the next record's link no longer matches;
* the newest records removed and the head moved back: the head's triggers refuse moving it back
  or deleting it, a missing head is an error, and the checkpoints written outside the database
  (`checkpoint`, hourly and after each verification) name a record and hash that must still be
  there. Only records written after the last checkpoint can vanish unnoticed."""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from .models import AuditHead, AuditRecord

GENESIS = "0" * 64
logger = logging.getLogger("luoshi.audit")


def _key() -> bytes:
    """The chain's key: LUOSHI_AUDIT_KEY, else one derived from SECRET_KEY (check --deploy
    warns: rotating SECRET_KEY would then orphan the chain)."""
    if settings.LUOSHI_AUDIT_KEY:
        return settings.LUOSHI_AUDIT_KEY.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"luoshi.audit", hashlib.sha256).digest()


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


def _digest(prev_hash: str, rec: AuditRecord, key: bytes | None) -> str:
    """The record's hash: HMAC-SHA256 under `key`, or plain SHA-256 (records written before
    the chain was keyed: `key` None)."""
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
    if key is None:
        return hashlib.sha256(payload.encode()).hexdigest()
    return hmac.new(key, payload.encode(), hashlib.sha256).hexdigest()


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
    key = _key()
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
        rec.hash = prev = _digest(prev, rec, key)
        rows.append(rec)
    created = AuditRecord.objects.bulk_create(rows, batch_size=2000)
    last_id = AuditRecord.objects.filter(hash=prev).values_list("id", flat=True).get()
    AuditHead.objects.filter(pk=1).update(last_id=last_id, last_hash=prev)
    recorded.send(sender=AuditRecord, records=created)
    return created


def verify_chain(batch: int = 5000, *, checkpoints: bool = True) -> tuple[bool, int, str]:
    """Walk the whole chain, then compare its end with the head and, unless `checkpoints` is
    False, with every checkpoint written for it. Returns (ok, records checked, message)."""
    head = AuditHead.objects.filter(pk=1).first()
    keyed_from = head.keyed_from if head else 1
    key = _key()
    marks = _checkpoints_of_this_chain() if checkpoints else {}
    if isinstance(marks, str):
        return False, 0, marks
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
            if _digest(prev, rec, key if rec.id >= keyed_from else None) != rec.hash:
                return False, count, f"record {rec.id}: content does not match its hash"
            if rec.id in marks and marks.pop(rec.id) != rec.hash:
                return False, count, f"record {rec.id}: not the record its checkpoint names"
            prev = rec.hash
            count += 1
            last_id = rec.id
    if head is None:
        if count:
            return False, count, "the chain head is missing (deleted?)"
    elif head.last_hash != prev or head.last_id != last_id:
        return False, count, "the chain head does not match the last record (records removed?)"
    if marks:
        gone = min(marks)
        return False, count, f"record {gone}, named by a checkpoint, is gone (records removed?)"
    return True, count, "ok"


def _checkpoint_mac(chain: str, last_id: int, last_hash: str, at: str) -> str:
    message = f"{chain}:{last_id}:{last_hash}:{at}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


def _chain_id() -> str | None:
    """The chain's identity: its first record's hash (a checkpoint file may have seen other
    databases, a test run's or a restored copy's)."""
    return AuditRecord.objects.order_by("id").values_list("hash", flat=True).first()


def _checkpoints_of_this_chain() -> dict[int, str] | str:
    """{record id: hash} from the checkpoint file, for this chain; an error message when a line
    is not one this key wrote."""
    path = settings.LUOSHI_AUDIT_CHECKPOINTS
    if not path or not os.path.exists(path):
        return {}
    chain = _chain_id()
    marks = {}
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                cp = json.loads(line)
                mac = _checkpoint_mac(cp["chain"], cp["last_id"], cp["last_hash"], cp["at"])
            except (ValueError, KeyError, TypeError):
                return f"checkpoint file line {n} is damaged"
            if not hmac.compare_digest(mac, str(cp.get("mac", ""))):
                return f"checkpoint file line {n} was not written with this audit key"
            if cp["chain"] == chain:
                marks[int(cp["last_id"])] = cp["last_hash"]
    return marks


def checkpoint() -> dict | None:
    """Append the chain's head to the checkpoint file (fsynced) and to the log, with a MAC under
    the audit key: a later verification finds that record with that hash or reports it gone.
    The worker runs it hourly (settings.LUOSHI_JOBS) and `audit_verify` after each check."""
    head = AuditHead.objects.filter(pk=1).first()
    chain = _chain_id()
    if head is None or chain is None:
        return None
    at = timezone.now().astimezone(dt.UTC).isoformat()
    cp = {"chain": chain, "last_id": head.last_id, "last_hash": head.last_hash, "at": at}
    cp["mac"] = _checkpoint_mac(chain, head.last_id, head.last_hash, at)
    line = json.dumps(cp, sort_keys=True)
    path = settings.LUOSHI_AUDIT_CHECKPOINTS
    if path:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
            f.flush()
            os.fsync(f.fileno())
    logger.info("audit checkpoint %s", line)
    return cp


def history(object_type: str, object_ids: Iterable[Any]):
    return AuditRecord.objects.filter(
        object_type=object_type, object_id__in=[str(i) for i in object_ids]
    ).order_by("-id")


def thread(object_type: str, object_id: Any):
    """Every record of one thread, newest first: one lookup on the (thread, id) index."""
    return AuditRecord.objects.filter(thread=thread_key(object_type, object_id)).order_by("-id")
