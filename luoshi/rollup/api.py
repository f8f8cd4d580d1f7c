"""GET /api/plans/{id}/rollup/: the target roll-up of one plan, scoped to the caller — the same
document as `luoshi rollup --json`."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from luoshi.ledger import access as ledger_access

from . import access, rules


class RollupView(APIView):
    """Per category and measure: the plan's targets and actuals summed, and the rate in percent
    with one decimal (null where the target is 0)."""

    @extend_schema(
        responses={
            200: inline_serializer(
                "Rollup",
                {
                    "plan": serializers.CharField(),
                    "categories": inline_serializer(
                        "RollupLine",
                        {
                            "category": serializers.CharField(),
                            "measure": serializers.CharField(),
                            "target": serializers.FloatField(),
                            "actual": serializers.FloatField(),
                            "rate": serializers.FloatField(allow_null=True),
                        },
                        many=True,
                    ),
                },
            ),
            404: inline_serializer("RollupNotFound", {"detail": serializers.CharField()}),
        },
    )
    def get(self, request, pk: int):
        plan = ledger_access.plans_for(request.user).filter(pk=pk).first()
        if plan is None:
            raise NotFound("No such plan in your scope.")
        return Response(rules.as_json(plan.name, access.rollup(request.user, plan)))


urlpatterns = [path("plans/<id:pk>/rollup/", RollupView.as_view(), name="plan-rollup")]
