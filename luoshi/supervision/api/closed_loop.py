"""GET /api/closed-loop/: the closed-loop check, scoped to the caller, paged by offset."""

from __future__ import annotations

from django.urls import path
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import closed_loop

DEFAULT_LIMIT, MAX_LIMIT = 500, 5000


class ClosedLoopView(APIView):
    """Every open item lacking its next step: {"open_items", "items": [{kind, id, unit, why,
    url}]}, in pages of `limit` (default 500, at most 5,000) from `offset`."""

    @extend_schema(
        parameters=[
            OpenApiParameter("kind", str, description="only this kind of item"),
            OpenApiParameter("unit", int, description="only this unit's items"),
            OpenApiParameter("offset", int),
            OpenApiParameter("limit", int),
        ],
        responses=inline_serializer(
            "ClosedLoop",
            {
                "open_items": serializers.IntegerField(),
                "offset": serializers.IntegerField(),
                "limit": serializers.IntegerField(),
                "items": inline_serializer(
                    "ClosedLoopItem",
                    {
                        "kind": serializers.CharField(),
                        "id": serializers.IntegerField(),
                        "unit": serializers.CharField(),
                        "why": serializers.CharField(),
                        "url": serializers.CharField(),
                    },
                    many=True,
                ),
            },
        ),
    )
    def get(self, request):
        params = request.query_params
        kinds = {s.kind for s in closed_loop.sources()}
        kind = params.get("kind") or None
        if kind is not None and kind not in kinds:
            raise ValidationError({"kind": f"one of {sorted(kinds)}"})
        try:
            unit_id = int(params["unit"]) if params.get("unit") else None
            offset = max(0, int(params.get("offset", 0)))
            limit = min(MAX_LIMIT, max(1, int(params.get("limit", DEFAULT_LIMIT))))
        except ValueError as exc:
            raise ValidationError("unit, offset and limit are whole numbers") from exc
        now = timezone.now()
        args = {"now": now, "kind": kind, "unit_id": unit_id}
        found = closed_loop.items(request.user, offset=offset, limit=limit, **args)
        return Response(
            {
                "open_items": closed_loop.count(request.user, **args),
                "offset": offset,
                "limit": limit,
                "items": [{**i.as_json(), "url": i.url} for i in found],
            }
        )


urlpatterns = [path("closed-loop/", ClosedLoopView.as_view(), name="closed-loop")]


def register(router) -> None:
    pass
