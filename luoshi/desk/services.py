"""催报: a supervisor presses a unit that has not reported in a cycle. The unit's reporters and
administrators are told through the notification path, the press is audited in the same
transaction, and a second press for the same cycle and unit within rules.URGE_GAP_HOURS is
refused."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from luoshi.core import audit
from luoshi.core.errors import OutOfScope, RuleViolation
from luoshi.dispatch.models import Cycle, Slot
from luoshi.ledger import access as ledger_access
from luoshi.notify.services import notify
from luoshi.org.models import Person, Role, RoleGrant, Unit, ancestor_paths
from luoshi.supervision import access as supervision_access

from . import rules
from .access import NOT_IN
from .models import Urge

OBJECT_TYPE = "desk.urge"
CHANNELS = ("inbox", "email")


def can_urge(person, cycle: Cycle, unit: Unit) -> bool:
    """Supervisors over the unit, or over the cycle's plan (its owner unit's subtree)."""
    if not supervision_access.is_supervisor(person):
        return False
    return supervision_access.supervises_unit(person, unit) or ledger_access.can_manage_plan(
        person, cycle.plan
    )


def urge_recipients(unit: Unit, slots: list[Slot]) -> list[Person]:
    """The unit's active reporters and administrators (the nearest ancestor's administrators
    when the unit has none), and the owners of the slots it owes. In a fixed number of
    queries."""
    paths = ancestor_paths(unit.path)
    grants = list(
        RoleGrant.objects.filter(
            role__in=(Role.REPORTER, Role.UNIT_ADMIN), unit__path__in=paths, person__is_active=True
        ).select_related("person", "unit")
    )
    people = {
        g.person.pk: g.person for g in grants if g.role == Role.REPORTER and g.unit_id == unit.pk
    }
    admins_by_path: dict[str, list[Person]] = {}
    for g in grants:
        if g.role == Role.UNIT_ADMIN:
            admins_by_path.setdefault(g.unit.path, []).append(g.person)
    nearest = next((p for p in reversed(paths) if p in admins_by_path), None)
    for person in admins_by_path.get(nearest, []):
        people.setdefault(person.pk, person)
    for slot in slots:
        if slot.owner is not None and slot.owner.is_active:
            people.setdefault(slot.owner.pk, slot.owner)
    return sorted(people.values(), key=lambda p: p.pk)


def urge_unit(cycle: Cycle, unit: Unit, *, actor, now: dt.datetime | None = None) -> Urge:
    """Tell the unit's people that reports are missing in `cycle`; refused within the gap
    after the last 催报 for the same cycle and unit, and when nothing is missing."""
    if not can_urge(actor, cycle, unit):
        raise OutOfScope(_("Only a supervisor over this unit or plan may urge it to report."))
    if cycle.status != Cycle.Status.OPEN:
        raise RuleViolation(_("This cycle is closed: there is nothing left to urge."))
    now = now or timezone.now()
    with transaction.atomic():
        # One press at a time per cycle: the second waits here and then sees the first.
        Cycle.objects.select_for_update().filter(pk=cycle.pk).first()
        last = (
            Urge.objects.filter(cycle=cycle, unit=unit)
            .order_by("-at", "-pk")
            .values_list("at", flat=True)
            .first()
        )
        if not rules.may_urge(last, now):
            allowed = timezone.localtime(rules.next_urge_at(last))
            raise RuleViolation(
                _(
                    "%(unit)s was already urged at %(at)s. The same unit can be urged again for"
                    " this cycle from %(next)s (at most once every %(hours)s hours)."
                )
                % {
                    "unit": unit.name,
                    "at": f"{timezone.localtime(last):%Y-%m-%d %H:%M}",
                    "next": f"{allowed:%Y-%m-%d %H:%M}",
                    "hours": rules.URGE_GAP_HOURS,
                },
                field="unit",
            )
        slots = list(
            Slot.objects.filter(cycle=cycle, unit=unit, status__in=NOT_IN)
            .select_related("task", "owner")
            .order_by("task__sort_key", "pk")
        )
        if not slots:
            raise RuleViolation(
                _("%(unit)s has no report missing in this cycle.") % {"unit": unit.name},
                field="unit",
            )
        people = urge_recipients(unit, slots)
        if not people:
            raise RuleViolation(
                _(
                    "%(unit)s has no reporter or unit administrator to notify. Give someone the"
                    " reporter role first."
                )
                % {"unit": unit.name},
                field="unit",
            )
        urge = Urge.objects.create(
            cycle=cycle, unit=unit, actor=actor, at=now, missing=len(slots), recipients=len(people)
        )
        due = timezone.localtime(cycle.due_at)
        titles = "；".join(f"{s.task.no} {s.task.title}" for s in slots[:5])
        if len(slots) > 5:
            titles += " …"
        subject = _("Urged to report: %(plan)s, due %(due)s") % {
            "plan": cycle.plan.name,
            "due": f"{due:%Y-%m-%d %H:%M}",
        }
        body = _(
            "%(actor)s urges %(unit)s to report: %(n)s report(s) of %(plan)s (due %(due)s) are"
            " not in: %(tasks)s"
        ) % {
            "actor": actor.display_name,
            "unit": unit.name,
            "n": len(slots),
            "plan": cycle.plan.name,
            "due": f"{due:%Y-%m-%d %H:%M}",
            "tasks": titles,
        }
        for person in people:
            notify(
                person,
                subject=subject,
                body=body,
                url=reverse("dispatch:my_reports"),
                channels=tuple(c for c in CHANNELS if c != "email" or person.email),
                dedupe_key=f"urge:{urge.pk}:{person.pk}",
            )
        audit.record(
            actor,
            [
                audit.Entry(
                    "urge",
                    OBJECT_TYPE,
                    urge.pk,
                    f"{cycle.plan.name} · {unit.name}",
                    {"missing": [None, len(slots)], "notified": [None, len(people)]},
                    {
                        "cycle": cycle.pk,
                        "unit": unit.pk,
                        "people": [p.pk for p in people],
                        "slots": [s.pk for s in slots],
                    },
                )
            ],
            at=now,
        )
    return urge
