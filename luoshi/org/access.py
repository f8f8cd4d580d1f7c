"""Scoped reads of units and people: pages, API and exports fetch them only through here.
The scope itself (who holds which role over which subtree) is computed once in `scope`."""

from __future__ import annotations

from django.db.models import Q

from .models import Person, Unit
from .scope import scope_for


def visible_units(person):
    return Unit.objects.filter(scope_for(person).unit_q())


def visible_people(person):
    scope = scope_for(person)
    if scope.is_admin:
        return Person.objects.all()
    return Person.objects.filter(Q(pk=person.pk) | Q(unit__in=visible_units(person)))
