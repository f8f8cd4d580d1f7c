"""A task's history, and audit records as people read them: field labels instead of column
names, names instead of ids. One query for the records, a few bulk queries per page of history
for the names, whatever its length. The task page and the API both read it from here."""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luoshi.core import audit
from luoshi.org.models import Person, Unit

from .models import Assignment, Category, Frequency, Milestone, SourceKind, Task, TaskStatus

ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
PEOPLE = {"lead_leader", "owner", "acked_by"}
REACHED = "milestones_reached"  # a report's {milestone id: date reached}
UNITS = {"responsible_units", "cooperating_units", "unit", "primary_unit"}
# Labels for coded values, per object type. Later stages register their own (their AppConfig
# calls register_choices), so the ledger shows their records without importing them.
TYPE_CHOICES: dict[tuple[str, str], dict] = {}


def register_choices(object_type: str, field: str, choices) -> None:
    TYPE_CHOICES[(object_type, field)] = dict(choices)


CHOICES = {
    "status": dict(TaskStatus.choices),
    "frequency": dict(Frequency.choices),
    "source_kind": dict(SourceKind.choices),
    "ack": dict(Assignment.Ack.choices),
}
EXTRA_LABELS = {
    "responsible_units": gettext_lazy("responsible units"),
    "cooperating_units": gettext_lazy("cooperating units"),
    "milestones": gettext_lazy("milestones"),
    "unit": gettext_lazy("unit"),
    "ack": gettext_lazy("hand-off"),
    "reason": gettext_lazy("reason"),
    "handed_off": gettext_lazy("hand-offs sent"),
    "new": gettext_lazy("new"),
    "changed": gettext_lazy("changed"),
    "comment": gettext_lazy("comment"),
    "response": gettext_lazy("response"),
    "days_late": gettext_lazy("working days late"),
    "attachment": gettext_lazy("attachment"),
}


def task_history(task: Task):
    """Everything recorded about the task, newest first: its own records, its milestones' and
    hand-offs', and those of later stages about it (reports …). Each such record carries the
    task's thread (luoshi.core.audit.thread_of), so this is one read of the thread index."""
    return audit.thread(audit.TASK_THREAD, task.pk)


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):  # a type no installed model has
        return None


def _label(name: str, object_type: str = "") -> str:
    """The field's label: an explicit one, else the verbose name of the field on the record's
    own model (a later stage's report …), the task or the milestone. Reverse relations
    (milestones) have none, and names no model knows are shown as they are."""
    if name in EXTRA_LABELS:
        return str(EXTRA_LABELS[name])
    own = _model(object_type) if object_type else None
    for model in (own, Task, Milestone):
        if model is None:
            continue
        try:
            verbose = getattr(model._meta.get_field(name), "verbose_name", None)
        except FieldDoesNotExist:
            continue
        if verbose:
            return str(verbose)
    return str(name)


def _subject(record) -> str:
    """What a record of another object in the task's history is about ("milestone 6月底前")."""
    if record.object_type == audit.TASK_THREAD:
        return ""
    model = _model(record.object_type)
    label = str(model._meta.verbose_name) if model else record.object_type
    return f"{label} {record.object_repr}".strip()


class Row(NamedTuple):
    label: str
    before: str
    after: str


def _bucket(name: str, object_type: str = "") -> str | None:
    """Which kind of object a recorded field's ids name, if any: by name for the ledger's
    own records, else by what the field on the record's model points to (a later stage's
    "requested_by" names a person, its "task" a task)."""
    if name in PEOPLE:
        return "person"
    if name in UNITS:
        return "unit"
    known = {"category": "category", "parent": "task"}.get(name)
    if known or not object_type:
        return known
    model = _model(object_type)
    try:
        target = model._meta.get_field(name).related_model if model else None
    except FieldDoesNotExist:
        return None
    return RELATED_BUCKETS.get(target)


RELATED_BUCKETS = {Person: "person", Unit: "unit", Task: "task", Category: "category"}


def present(records) -> list[dict]:
    """For each record: {"record", "subject" (what it is about, when not the task itself),
    "fields" (the changed fields' names), "rows" (Row(label, before, after), one per field)}."""
    records = list(records)
    ids: dict[str, set] = {
        "person": set(),
        "unit": set(),
        "category": set(),
        "task": set(),
        "milestone": set(),
    }
    for r in records:
        for name, pair in _changes(r):
            for v in pair:
                values = v if isinstance(v, list) else [v]
                bucket = _bucket(name, r.object_type)
                if bucket:
                    ids[bucket].update(x for x in values if isinstance(x, int))
                if name == REACHED and isinstance(v, dict):  # {milestone id: date}
                    ids["milestone"].update(int(k) for k in v if str(k).isdigit())
    names = {
        "milestone": {
            pk: f"{day} {what}".strip()
            for pk, day, what in Milestone.objects.filter(pk__in=ids["milestone"]).values_list(
                "pk", "date", "name"
            )
        },
        "person": dict(Person.objects.filter(pk__in=ids["person"]).values_list("pk", "full_name")),
        "unit": dict(Unit.objects.filter(pk__in=ids["unit"]).values_list("pk", "name")),
        "category": dict(Category.objects.filter(pk__in=ids["category"]).values_list("pk", "name")),
        "task": dict(Task.objects.filter(pk__in=ids["task"]).values_list("pk", "no")),
    }

    def show(record, name, value):
        if value is None or value == "" or value == [] or value == {}:
            return "—"
        if isinstance(value, str) and ISO_DATETIME.match(value):
            try:
                moment = dt.datetime.fromisoformat(value)
            except ValueError:
                return value
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return f"{moment:%Y-%m-%d %H:%M}"
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        bucket = _bucket(name, record.object_type)
        if bucket:
            values = value if isinstance(value, list) else [value]
            return "、".join(str(names[bucket].get(v, v)) for v in values)
        labels = TYPE_CHOICES.get((record.object_type, name)) or CHOICES.get(name)
        if labels and isinstance(value, str | int):
            return str(labels.get(value, value))
        if isinstance(value, list):
            return "；".join(_item(name, v) for v in value)
        if isinstance(value, dict):
            keys = names["milestone"] if name == REACHED else {}
            return "；".join(
                f"{keys.get(int(k), k) if str(k).isdigit() else k}：{show(record, '', v)}"
                for k, v in value.items()
            )
        return str(value)

    out = []
    for r in records:
        changes = _changes(r)
        out.append(
            {
                "record": r,
                "subject": _subject(r),
                "fields": [name for name, _pair in changes],
                "rows": [
                    Row(
                        _label(name, r.object_type),
                        show(r, name, pair[0]),
                        show(r, name, pair[1]),
                    )
                    for name, pair in changes
                ],
            }
        )
    return out


def _changes(record) -> list[tuple[str, tuple]]:
    """(field, (before, after)) for each change; a value not stored as a pair is the after."""
    changes = record.changes if isinstance(record.changes, dict) else {}
    out = []
    for name, pair in changes.items():
        if not (isinstance(pair, list | tuple) and len(pair) == 2):
            pair = (None, pair)
        out.append((str(name), tuple(pair)))
    return out


def _item(name: str, value) -> str:
    """One element of a listed value: a milestone [date, what, expected %] as "date what（50%）"."""
    if not isinstance(value, list | tuple):
        return str(value)
    if name == "milestones" and len(value) == 3:
        date, what, pct = value
        text = " ".join(str(v) for v in (date, what) if v not in (None, ""))
        return f"{text}（{pct}%）" if pct not in (None, "") else text
    return " ".join(str(v) for v in value if v not in (None, ""))
