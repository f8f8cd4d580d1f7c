"""Scoped reads of bulletins. A published bulletin is public (DOMAIN.md): anyone reads it on the
public pages. In the signed-in pages a person lists the bulletins of the plans they see (and
the unit-wide ones of units in their subtree); drafts and approved ones, still internal, only
the supervisors and leaders over the issuing unit (and administrators) read."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from luoshi.core.errors import OutOfScope
from luoshi.ledger import access as ledger_access
from luoshi.org.scope import scope_for

from .models import Bulletin

# The list and the pages never load the stored files.
LIGHT = ("docx", "pdf")


def bulletins_for(person) -> QuerySet[Bulletin]:
    scope = scope_for(person)
    qs = Bulletin.objects.defer(*LIGHT)
    if scope.is_admin:
        return qs
    if scope.person_id is None:
        return qs.none()
    where = Q(plan__in=ledger_access.plans_for(person))
    for path in scope.subtree_paths:
        where |= Q(plan__isnull=True, unit__path__startswith=path)
    internal = Q(pk__in=[])
    for path in scope.supervise + scope.lead:
        internal |= Q(unit__path__startswith=path)
    return qs.filter(where).filter(Q(status=Bulletin.Status.PUBLISHED) | internal)


def get_bulletin(person, pk, *, files: bool = False) -> Bulletin:
    """A bulletin the person may read; 403 for one that exists outside their scope, 404 for
    none."""
    qs = bulletins_for(person).select_related("plan", "plan__owner_unit", "unit", "corrects")
    if files:
        qs = qs.defer(None)
    try:
        return qs.get(pk=pk)
    except (Bulletin.DoesNotExist, ValueError, TypeError):
        if Bulletin.objects.filter(pk=pk).exists():
            raise OutOfScope(_("This bulletin is outside your scope.")) from None
        raise Http404 from None


def public_bulletins() -> QuerySet[Bulletin]:
    return (
        Bulletin.objects.filter(status=Bulletin.Status.PUBLISHED)
        .defer(*LIGHT)
        .select_related("plan", "unit", "corrects")
        .order_by("-published_at", "-pk")
    )


def get_public(pk, *, files: bool = False) -> Bulletin:
    qs = Bulletin.objects.filter(status=Bulletin.Status.PUBLISHED).select_related(
        "plan", "unit", "corrects"
    )
    if not files:
        qs = qs.defer(*LIGHT)
    try:
        return qs.get(pk=pk)
    except (Bulletin.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
