"""Scoped reads of units and people: pages, API and exports fetch them only through here.
The scope itself (who holds which role over which subtree) is computed once in `scope`."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from .models import Person, Unit
from .scope import scope_for


def subtree_units(path: str) -> QuerySet[Unit]:
    """The units at and under `path`, as a subquery (`unit__in=subtree_units(p)`). Asking for
    a row's unit in this set, not for a LIKE on the joined unit's path, lets the database list
    the subtree's units once from the small unit table and then read the big one by its unit
    index: a district's tasks among 100,000 counted in 1 ms instead of 66 on SQLite, whose
    LIKE ... ESCAPE no index serves."""
    return Unit.objects.filter(path__startswith=path).values("pk")


def visible_units(person):
    return Unit.objects.filter(scope_for(person).unit_q())


def visible_people(person):
    scope = scope_for(person)
    if scope.is_admin:
        return Person.objects.all()
    return Person.objects.filter(Q(pk=person.pk) | Q(unit__in=visible_units(person)))
