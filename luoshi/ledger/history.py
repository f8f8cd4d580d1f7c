"""Audit records as people read them: field labels instead of column names, names instead of
ids. A few bulk queries per page of history, whatever its length."""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from luoshi.org.models import Person, Unit

from .models import Assignment, Category, Frequency, Milestone, SourceKind, Task, TaskStatus

ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
PEOPLE = {"lead_leader", "owner", "acked_by"}
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
    "days_late": gettext_lazy("working days late"),
    "attachment": gettext_lazy("attachment"),
}


def _label(name: str) -> str:
    for model in (Task, Milestone):
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            continue
    return str(EXTRA_LABELS.get(name, name))


def present(records) -> list[dict]:
    records = list(records)
    ids: dict[str, set] = {"person": set(), "unit": set(), "category": set(), "task": set()}
    for r in records:
        for name, pair in r.changes.items():
            for v in pair:
                values = v if isinstance(v, list) else [v]
                bucket = (
                    "person"
                    if name in PEOPLE
                    else "unit"
                    if name in UNITS
                    else "category"
                    if name == "category"
                    else "task"
                    if name == "parent"
                    else None
                )
                if bucket:
                    ids[bucket].update(x for x in values if isinstance(x, int))
    names = {
        "person": dict(Person.objects.filter(pk__in=ids["person"]).values_list("pk", "full_name")),
        "unit": dict(Unit.objects.filter(pk__in=ids["unit"]).values_list("pk", "name")),
        "category": dict(Category.objects.filter(pk__in=ids["category"]).values_list("pk", "name")),
        "task": dict(Task.objects.filter(pk__in=ids["task"]).values_list("pk", "no")),
    }

    def show(record, name, value):
        if value is None or value == "" or value == []:
            return "—"
        if isinstance(value, str) and ISO_DATETIME.match(value):
            moment = dt.datetime.fromisoformat(value)
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return f"{moment:%Y-%m-%d %H:%M}"
        if isinstance(value, bool):
            return _("yes") if value else _("no")
        bucket = (
            "person"
            if name in PEOPLE
            else "unit"
            if name in UNITS
            else "category"
            if name == "category"
            else "task"
            if name == "parent"
            else None
        )
        if bucket:
            values = value if isinstance(value, list) else [value]
            return "、".join(str(names[bucket].get(v, v)) for v in values)
        labels = TYPE_CHOICES.get((record.object_type, name)) or CHOICES.get(name)
        if labels:
            return str(labels.get(value, value))
        if isinstance(value, list):
            return "；".join(str(v) for v in value)
        return str(value)

    out = []
    for r in records:
        out.append(
            {
                "record": r,
                "rows": [
                    (_label(name), show(r, name, pair[0]), show(r, name, pair[1]))
                    for name, pair in r.changes.items()
                ],
            }
        )
    return out
