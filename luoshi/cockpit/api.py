"""GET /api/cockpit/?plan=&unit=: the cockpit's figures as JSON, through the same access
function as the page (a unit outside the caller's scope is 403, the whole view without a unit
is for leaders and supervisors)."""

from __future__ import annotations

from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from luoshi.core.errors import OutOfScope

from . import access, charts


def _id(raw: str | None) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise NotFound("No such plan or unit in your scope.")
    return int(raw)


class CockpitView(APIView):
    """The figures of the cockpit (or, with `unit`, of the unit's dashboard): the totals of the
    tasks due, completion and on-time rates by plan, category and unit, the light
    distribution, reports per dispatch cycle, the most overdue tasks, the latest assessment's
    ranking and the target roll-up; each figure with the URL of the list behind it."""

    @extend_schema(
        parameters=[
            OpenApiParameter("plan", OpenApiTypes.INT, required=False),
            OpenApiParameter("unit", OpenApiTypes.INT, required=False),
        ],
        responses={
            200: OpenApiTypes.OBJECT,
            403: inline_serializer("CockpitForbidden", {"detail": serializers.CharField()}),
            404: inline_serializer("CockpitNotFound", {"detail": serializers.CharField()}),
        },
    )
    def get(self, request):
        plan_id, unit_id = _id(request.GET.get("plan")), _id(request.GET.get("unit"))
        try:
            unit = access.get_unit(request.user, unit_id) if unit_id is not None else None
            plan_list = access.plans(request.user)
            plan = None
            if plan_id is not None:
                plan = next((p for p in plan_list if p.pk == plan_id), None)
                if plan is None:
                    raise NotFound("No such plan in your scope.")
            f = access.cockpit(request.user, plan, unit, plan_list=plan_list)
        except OutOfScope as e:
            raise PermissionDenied(str(e)) from None
        return Response(charts.build(f))


urlpatterns = [path("cockpit/", CockpitView.as_view(), name="cockpit")]


def register(router) -> None:
    """No viewsets: the one endpoint is in `urlpatterns`."""
