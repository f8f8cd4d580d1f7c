"""Scoped reads of assessments. Whoever sees a plan sees its assessments; supervisors over the
plan see every unit's score, anyone else the scores of the units in their own scope (their
unit and its subtree), with the rank each holds among all."""

from __future__ import annotations

from django.db.models import QuerySet

from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Plan
from luoshi.org.scope import scope_for

from . import rules
from .models import Adjustment, Assessment, Score
from .services import can_assess


def assessments_for(person) -> QuerySet[Assessment]:
    return Assessment.objects.filter(plan__in=ledger_access.plans_for(person))


def get_assessment(person, pk) -> Assessment:
    from django.http import Http404

    try:
        return assessments_for(person).select_related("plan", "plan__owner_unit").get(pk=pk)
    except (Assessment.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def scores_for(person, assessment: Assessment) -> QuerySet[Score]:
    qs = Score.objects.filter(assessment=assessment).select_related("unit")
    if can_assess(person, assessment.plan):
        return qs
    return qs.filter(scope_for(person).unit_q("unit__"))


def adjustments_for(person, plan: Plan, period: str) -> QuerySet[Adjustment]:
    qs = Adjustment.objects.filter(plan=plan, period=period).select_related("unit", "created_by")
    if can_assess(person, plan):
        return qs
    return qs.filter(scope_for(person).unit_q("unit__"))


def previous_scores(assessment: Assessment) -> dict[int, tuple]:
    """{unit id: (score, rank)} of the plan's assessment for the month before, if any."""
    before = rules.previous_period(assessment.period)
    return {
        unit_id: (score, rank)
        for unit_id, score, rank in Score.objects.filter(
            assessment__plan_id=assessment.plan_id, assessment__period=before
        ).values_list("unit_id", "score", "rank")
    }
