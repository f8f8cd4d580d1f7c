"""Changes to units, people and roles: each one audited, in one transaction."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from luoshi.core import audit
from luoshi.core.errors import OutOfScope, RuleViolation

from .models import PATH_STEP, Person, Role, RoleGrant, Unit, UnitKind
from .scope import scope_for

_BRACKETS = re.compile(r"^(?P<name>[^(（]+?)\s*[(（](?P<title>[^)）]*)[)）]\s*$")


def split_name_title(text: str) -> tuple[str, str]:
    """'张三(副局长)' -> ('张三', '副局长')."""
    text = (text or "").strip()
    m = _BRACKETS.match(text)
    if m:
        return m["name"].strip(), m["title"].strip()
    return text, ""


def _segment(n: int) -> str:
    return f"{n:0{PATH_STEP}d}."


def _next_child_numbers(parent: Unit | None, count: int) -> list[int]:
    siblings = Unit.objects.filter(parent=parent)
    last = siblings.aggregate(m=Max("path"))["m"]
    start = int(last[-(PATH_STEP + 1) : -1]) if last else 0
    return list(range(start + 1, start + 1 + count))


def unit_snapshot(u: Unit) -> dict:
    return {
        "name": u.name,
        "short_name": u.short_name,
        "code": u.code,
        "kind": u.kind,
        "parent": u.parent_id,
        "is_active": u.is_active,
    }


def person_snapshot(p: Person) -> dict:
    return {
        "username": p.username,
        "full_name": p.full_name,
        "title": p.title,
        "unit": p.unit_id,
        "phone": p.phone,
        "is_active": p.is_active,
    }


def _check_manages(actor, unit: Unit | None) -> None:
    if actor is None:  # system jobs and the demo loader
        return
    scope = scope_for(actor)
    if unit is None:
        if not scope.is_admin:
            raise OutOfScope(_("Only an administrator may create a top-level unit."))
    elif not scope.manages_unit(unit):
        raise OutOfScope(_("You may not change units or people of %(unit)s.") % {"unit": unit})


@transaction.atomic
def create_units(actor, specs: Iterable[dict]) -> list[Unit]:
    """Create units; each spec has name, parent (Unit or None), and optional kind, short_name,
    code. Siblings created together get consecutive path numbers."""
    specs = list(specs)
    by_parent: dict[int | None, list[dict]] = {}
    for spec in specs:
        parent = spec.get("parent")
        _check_manages(actor, parent)
        if not (spec.get("name") or "").strip():
            raise RuleViolation(_("A unit needs a name."), field="name")
        by_parent.setdefault(parent.pk if parent else None, []).append(spec)
    created: list[Unit] = []
    for group in by_parent.values():
        parent = group[0].get("parent")
        numbers = _next_child_numbers(parent, len(group))
        for spec, n in zip(group, numbers, strict=True):
            prefix = parent.path if parent else ""
            created.append(
                Unit(
                    name=spec["name"].strip(),
                    short_name=spec.get("short_name", ""),
                    code=spec.get("code") or None,
                    kind=spec.get("kind") or UnitKind.OTHER,
                    parent=parent,
                    path=prefix + _segment(n),
                    depth=(parent.depth + 1) if parent else 0,
                    sort_key=spec.get("sort_key", ""),
                )
            )
    Unit.objects.bulk_create(created)
    audit.record(
        actor,
        [
            audit.Entry("create", "org.unit", u.pk, u.name, audit.diff({}, unit_snapshot(u)))
            for u in created
        ],
    )
    return created


def create_unit(actor, name: str, parent: Unit | None = None, **fields) -> Unit:
    return create_units(actor, [{"name": name, "parent": parent, **fields}])[0]


@transaction.atomic
def update_unit(actor, unit: Unit, **fields) -> Unit:
    _check_manages(actor, unit)
    if "parent" in fields and fields["parent"] != unit.parent:
        raise RuleViolation(
            _("Moving a unit to another parent is done by an administrator in the admin site."),
            field="parent",
        )
    before = unit_snapshot(unit)
    for k, v in fields.items():
        setattr(unit, k, v)
    unit.save()
    changes = audit.diff(before, unit_snapshot(unit))
    if changes:
        audit.record(actor, [audit.Entry("update", "org.unit", unit.pk, unit.name, changes)])
    return unit


def _username_for(full_name: str) -> str:
    return "p-" + uuid.uuid4().hex[:12]


@transaction.atomic
def create_people(actor, specs: Iterable[dict]) -> list[Person]:
    """Create people; a spec has full_name, unit, and optional username, password, title, phone,
    roles (list of role names granted over the person's unit). Without a password the person
    cannot log in until given one."""
    specs = list(specs)
    people: list[Person] = []
    for spec in specs:
        unit = spec.get("unit")
        _check_manages(actor, unit)
        name = (spec.get("full_name") or "").strip()
        if not name:
            raise RuleViolation(_("A person needs a name."), field="full_name")
        p = Person(
            username=spec.get("username") or _username_for(name),
            full_name=name,
            title=spec.get("title", ""),
            unit=unit,
            phone=spec.get("phone", ""),
            email=spec.get("email", ""),
        )
        if spec.get("password"):
            p.set_password(spec["password"])
        else:
            p.set_unusable_password()
        people.append(p)
    Person.objects.bulk_create(people)
    grants = []
    for p, spec in zip(people, specs, strict=True):
        for role in spec.get("roles", ()):
            grants.append(
                RoleGrant(person=p, role=Role(role), unit=spec.get("role_unit") or p.unit)
            )
    RoleGrant.objects.bulk_create(grants)
    entries = [
        audit.Entry(
            "create", "org.person", p.pk, p.display_name, audit.diff({}, person_snapshot(p))
        )
        for p in people
    ]
    entries += [
        audit.Entry(
            "grant",
            "org.person",
            g.person_id,
            str(g.person),
            {"role": [None, g.role], "unit": [None, g.unit_id]},
        )
        for g in grants
    ]
    audit.record(actor, entries)
    return people


@transaction.atomic
def update_person(actor, person: Person, **fields) -> Person:
    _check_manages(actor, person.unit)
    if "unit" in fields and fields["unit"] != person.unit:
        _check_manages(actor, fields["unit"])
    before = person_snapshot(person)
    for k, v in fields.items():
        setattr(person, k, v)
    person.save()
    changes = audit.diff(before, person_snapshot(person))
    if changes:
        audit.record(actor, [audit.Entry("update", "org.person", person.pk, str(person), changes)])
    return person


def create_person(actor, full_name: str, unit: Unit | None, **fields) -> Person:
    return create_people(actor, [{"full_name": full_name, "unit": unit, **fields}])[0]


@transaction.atomic
def grant_role(actor, person: Person, role: str, unit: Unit) -> RoleGrant:
    _check_manages(actor, unit)
    if (
        role in (Role.ADMIN, Role.SUPERVISOR)
        and actor is not None
        and not scope_for(actor).is_admin
    ):
        raise OutOfScope(_("Only an administrator may grant this role."))
    grant, created = RoleGrant.objects.get_or_create(person=person, role=role, unit=unit)
    if created:
        audit.record(
            actor,
            [
                audit.Entry(
                    "grant",
                    "org.person",
                    person.pk,
                    str(person),
                    {"role": [None, role], "unit": [None, unit.pk]},
                )
            ],
        )
    return grant
