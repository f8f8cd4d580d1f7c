"""Who sees what (DOMAIN.md, roles). Computed once per request from the person's grants;
every page, API endpoint, export and search filters through it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q

from luoshi.core.actors import is_system

from .models import Role, RoleGrant, Unit


@dataclass(frozen=True)
class Scope:
    person_id: int | None
    is_admin: bool = False
    supervise: tuple[str, ...] = ()  # unit paths: everything at and below
    lead: tuple[str, ...] = ()  # leader's unit subtree
    manage: tuple[str, ...] = ()  # unit admin's subtree
    report: tuple[int, ...] = ()  # reporter's own units (not subtrees)
    roles: frozenset[str] = field(default_factory=frozenset)
    # Facts derived from the scope during one request (it lives on the request's person).
    memo: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def subtree_paths(self) -> tuple[str, ...]:
        """Unit paths whose whole subtree this person may read."""
        return _minimal_prefixes(self.supervise + self.lead + self.manage)

    @property
    def is_staff_like(self) -> bool:
        return self.is_admin or bool(self.supervise)

    def can(self, role: str) -> bool:
        return self.is_admin or role in self.roles

    def unit_q(self, prefix: str = "") -> Q:
        """Q over a Unit relation (`prefix` like "unit__") limited to units this person reads."""
        if self.is_admin:
            return Q()
        q = Q(pk__in=[])
        for path in self.subtree_paths:
            q |= Q(**{f"{prefix}path__startswith": path})
        if self.report:
            q |= Q(**{f"{prefix}pk__in": list(self.report)})
        return q

    def manages_unit(self, unit: Unit) -> bool:
        """Unit admins, supervisors and admins may change units and people in their subtree."""
        if self.is_admin:
            return True
        return any(unit.path.startswith(p) for p in self.supervise + self.manage)


def _minimal_prefixes(paths: tuple[str, ...]) -> tuple[str, ...]:
    out: list[str] = []
    for p in sorted(set(paths)):
        if not any(p.startswith(q) for q in out):
            out.append(p)
    return tuple(out)


NO_SCOPE = Scope(person_id=None)


def scope_for(person) -> Scope:
    if person is None or not getattr(person, "is_authenticated", False):
        return NO_SCOPE
    cached = getattr(person, "_luoshi_scope", None)
    if cached is not None:
        return cached
    if is_system(person):  # jobs and command-line imports act for the whole installation
        scope = Scope(person_id=person.pk, is_admin=True, roles=frozenset({Role.ADMIN}))
        person._luoshi_scope = scope
        return scope
    grants = list(
        RoleGrant.objects.filter(person=person).values_list("role", "unit__path", "unit_id")
    )
    roles = frozenset(r for r, _, _ in grants)
    scope = Scope(
        person_id=person.pk,
        is_admin=person.is_superuser or Role.ADMIN in roles,
        supervise=tuple(p for r, p, _ in grants if r == Role.SUPERVISOR),
        lead=tuple(p for r, p, _ in grants if r == Role.LEADER),
        manage=tuple(p for r, p, _ in grants if r == Role.UNIT_ADMIN),
        report=tuple(u for r, _, u in grants if r == Role.REPORTER),
        roles=roles,
    )
    person._luoshi_scope = scope
    return scope
