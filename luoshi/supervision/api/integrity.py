"""REST API for integrity signals: /api/signals/ (filters kind, unit, task) and
/api/signals/per-unit/ (counts per unit and kind). Supervisors and administrators only, on the
tasks they see; anyone else is refused (403). Signals are written by the scan only."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from .. import access
from ..models import Signal
from ..services.integrity import counts_per_unit


class SignalSerializer(serializers.ModelSerializer):
    task_no = serializers.CharField(source="task.no", read_only=True)
    task_title = serializers.CharField(source="task.title", read_only=True)

    class Meta:
        model = Signal
        fields = [
            "id",
            "kind",
            "key",
            "task",
            "task_no",
            "task_title",
            "unit",
            "report",
            "on",
            "detail",
            "text",
        ]
        read_only_fields = fields


class SignalsPerUnitSerializer(serializers.Serializer):
    """One unit's signals: counts per kind ("repeated_text", "jump_to_done", "warned_late")."""

    unit = serializers.IntegerField(allow_null=True)
    unit_name = serializers.CharField()
    counts = serializers.DictField(child=serializers.IntegerField())
    total = serializers.IntegerField()


class SignalViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Integrity signals, newest first. Filters: kind, unit, task."""

    serializer_class = SignalSerializer
    filterset_fields = ["kind", "unit", "task"]

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not access.is_supervisor(request.user):
            raise PermissionDenied("Integrity signals are for supervisors.")

    def get_queryset(self):
        return access.signals_for(self.request.user).select_related("task").order_by("-on", "-pk")

    @extend_schema(responses=SignalsPerUnitSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="per-unit", pagination_class=None)
    def per_unit(self, request):
        """Signals counted per unit and kind, most first (after the kind/unit/task filters)."""
        return Response(counts_per_unit(self.filter_queryset(self.get_queryset())))


urlpatterns: list = []


def register(router) -> None:
    router.register("signals", SignalViewSet, basename="signal")
