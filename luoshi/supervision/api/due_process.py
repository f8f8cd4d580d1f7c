"""REST API for due process: extension requests (/api/extensions/) and appeals (/api/appeals/):
list and read (scoped by access.extensions_for / appeals_for, pending first), create (whoever
reports on the task), and `decide` (the lead leader or a supervisor) with the version read
(428 without it, 409 when stale). The same services as the pages."""

from __future__ import annotations

from django.db.models import Case, IntegerField, Value, When
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from luoshi.core.api import version_of
from luoshi.ledger import access as ledger_access

from .. import access
from ..models import Appeal, Decision, Extension, Light
from ..services import due_process as services


@extend_schema_field(OpenApiTypes.INT)
class _Scoped(serializers.PrimaryKeyRelatedField):
    """A related id the requester must be able to see (an unseen one reads as missing)."""

    def __init__(self, scope_fn, **kw):
        self.scope_fn = scope_fn
        super().__init__(**kw)

    def get_queryset(self):
        return self.scope_fn(self.context["request"].user)


# Described, not enumerated: drf-spectacular lifts every enum into a component named after the
# field, and "status" / "light" already name other choice sets in the API (a name collision
# warning). settings.SPECTACULAR_SETTINGS["ENUM_NAME_OVERRIDES"] could name them instead.
@extend_schema_field(
    {"type": "string", "description": "One of: " + ", ".join(Decision.values) + "."}
)
class DecisionField(serializers.CharField):
    pass


@extend_schema_field({"type": "string", "description": "One of: " + ", ".join(Light.values) + "."})
class LightField(serializers.CharField):
    pass


class ExtensionSerializer(serializers.ModelSerializer):
    status = DecisionField(read_only=True)
    task_no = serializers.CharField(source="task.no", read_only=True)
    task_title = serializers.CharField(source="task.title", read_only=True)

    class Meta:
        model = Extension
        fields = [
            "id",
            "task",
            "task_no",
            "task_title",
            "unit",
            "requested_by",
            "requested_at",
            "original_deadline",
            "requested_deadline",
            "reason",
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "version",
        ]
        read_only_fields = fields


class AppealSerializer(serializers.ModelSerializer):
    status = DecisionField(read_only=True)
    light = LightField(read_only=True)
    task_no = serializers.CharField(source="task.no", read_only=True)
    task_title = serializers.CharField(source="task.title", read_only=True)

    class Meta:
        model = Appeal
        fields = [
            "id",
            "task",
            "task_no",
            "task_title",
            "unit",
            "raised_by",
            "raised_at",
            "light",
            "light_reasons",
            "reason",
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "version",
        ]
        read_only_fields = fields


class ExtensionRequestSerializer(serializers.Serializer):
    task = _Scoped(ledger_access.tasks_for)
    requested_deadline = serializers.DateField()
    # Blank passes here so that the service names the field and the reason.
    reason = serializers.CharField(allow_blank=True)


class AppealRequestSerializer(serializers.Serializer):
    task = _Scoped(ledger_access.tasks_for)
    reason = serializers.CharField(allow_blank=True)


class ExtensionDecisionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, help_text="Or send If-Match.")
    approve = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)


class AppealDecisionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False, help_text="Or send If-Match.")
    uphold = serializers.BooleanField(help_text="true: the appeal is upheld (status approved).")
    reason = serializers.CharField(allow_blank=True)


def _pending_first(qs, newest: str):
    return qs.annotate(
        waiting=Case(
            When(status=Decision.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
    ).order_by("waiting", newest, "-pk")


class _DueProcessViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    filterset_fields = ["status", "task", "unit"]

    def _answer(self, obj, code=status.HTTP_200_OK):
        fresh = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(fresh).data, status=code)


class ExtensionViewSet(_DueProcessViewSet):
    """Extension requests on the tasks the requester sees (and their own), pending first.
    Filters: status, task, unit."""

    serializer_class = ExtensionSerializer

    def get_queryset(self):
        return _pending_first(
            access.extensions_for(self.request.user).select_related("task"), "-requested_at"
        )

    @extend_schema(request=ExtensionRequestSerializer, responses={201: ExtensionSerializer})
    def create(self, request):
        """Ask for the task's deadline to move to `requested_deadline`, with reasons."""
        s = ExtensionRequestSerializer(data=request.data, context=self.get_serializer_context())
        s.is_valid(raise_exception=True)
        d = s.validated_data
        ext = services.request_extension(
            d["task"],
            actor=request.user,
            requested_deadline=d["requested_deadline"],
            reason=d["reason"],
        )
        return self._answer(ext, status.HTTP_201_CREATED)

    @extend_schema(request=ExtensionDecisionSerializer, responses=ExtensionSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Approve (the task's deadline moves) or reject, with reasons."""
        ext = self.get_object()
        version = version_of(request)
        s = ExtensionDecisionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.decide_extension(
            ext,
            actor=request.user,
            version=version,
            approve=s.validated_data["approve"],
            reason=s.validated_data["reason"],
        )
        return self._answer(ext)


class AppealViewSet(_DueProcessViewSet):
    """Appeals against lights on the tasks the requester sees (and their own), pending first.
    Filters: status, task, unit."""

    serializer_class = AppealSerializer

    def get_queryset(self):
        return _pending_first(
            access.appeals_for(self.request.user).select_related("task"), "-raised_at"
        )

    @extend_schema(request=AppealRequestSerializer, responses={201: AppealSerializer})
    def create(self, request):
        """Appeal the task's current light, with grounds."""
        s = AppealRequestSerializer(data=request.data, context=self.get_serializer_context())
        s.is_valid(raise_exception=True)
        d = s.validated_data
        appeal = services.appeal_light(d["task"], actor=request.user, reason=d["reason"])
        return self._answer(appeal, status.HTTP_201_CREATED)

    @extend_schema(request=AppealDecisionSerializer, responses=AppealSerializer)
    @action(detail=True, methods=["post"])
    def decide(self, request, pk=None):
        """Uphold (status approved) or reject the appeal, with reasons."""
        appeal = self.get_object()
        version = version_of(request)
        s = AppealDecisionSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.decide_appeal(
            appeal,
            actor=request.user,
            version=version,
            uphold=s.validated_data["uphold"],
            reason=s.validated_data["reason"],
        )
        return self._answer(appeal)


urlpatterns: list = []


def register(router) -> None:
    router.register("extensions", ExtensionViewSet, basename="extension")
    router.register("appeals", AppealViewSet, basename="appeal")
