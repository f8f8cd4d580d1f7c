"""REST API for stored lights: /api/lights/ (filter by light and plan) and /api/lights/{task}/
with the task's light history. The ledger's task API carries the light too."""

from __future__ import annotations

from rest_framework import mixins, serializers, viewsets

from .. import access
from ..models import LightChange, TaskLight


class ReasonSerializer(serializers.Serializer):
    code = serializers.CharField()
    light = serializers.CharField()
    text = serializers.CharField()


class LightChangeSerializer(serializers.ModelSerializer):
    reasons = ReasonSerializer(many=True)

    class Meta:
        model = LightChange
        fields = ["on", "was", "now", "reasons"]


class LightSerializer(serializers.ModelSerializer):
    task_no = serializers.CharField(source="task.no", read_only=True)
    plan = serializers.IntegerField(source="task.plan_id", read_only=True)
    reasons = ReasonSerializer(many=True)
    as_of = serializers.DateField(
        source="current_as_of", read_only=True, help_text="The day the light was last confirmed."
    )

    class Meta:
        model = TaskLight
        fields = ["task", "task_no", "plan", "light", "pace", "reasons", "since", "as_of"]


class LightDetailSerializer(LightSerializer):
    history = serializers.SerializerMethodField()

    class Meta(LightSerializer.Meta):
        fields = [*LightSerializer.Meta.fields, "history"]

    def get_history(self, obj) -> list[dict]:
        changes = access.changes_for(self.context["request"].user, obj.task_id)[:200]
        return LightChangeSerializer(changes, many=True).data


class LightViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Stored lights of the tasks you see; the detail (by task id) adds the light history."""

    lookup_field = "task"
    filterset_fields = ["light", "pace"]

    def get_queryset(self):
        qs = access.lights_for(self.request.user)
        plan = self.request.query_params.get("plan")
        if plan and plan.isdigit():
            qs = qs.filter(task__plan_id=int(plan))
        return qs

    def get_serializer_class(self):
        return LightDetailSerializer if self.action == "retrieve" else LightSerializer


urlpatterns: list = []


def register(router) -> None:
    router.register("lights", LightViewSet, basename="light")
