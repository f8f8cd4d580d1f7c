"""REST API for plans, categories, tasks and milestones. Thin: scope through access.*,
changes through services.*."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from luoshi.core.api import AuditRecordSerializer
from luoshi.core.audit import history
from luoshi.core.errors import OutOfScope
from luoshi.org.models import Person, Unit
from luoshi.org.scope import visible_people, visible_units

from . import access, services
from .filters import MilestoneFilter, TaskFilter
from .models import Assignment, Category, Milestone, Plan, Task


class ScopedRelated(serializers.PrimaryKeyRelatedField):
    """A related id the requester must be able to see."""

    def __init__(self, scope_fn, **kw):
        self.scope_fn = scope_fn
        super().__init__(**kw)

    def get_queryset(self):
        return self.scope_fn(self.context["request"].user)


class PlanSerializer(serializers.ModelSerializer):
    owner_unit = ScopedRelated(visible_units)

    class Meta:
        model = Plan
        fields = [
            "id",
            "name",
            "year",
            "owner_unit",
            "frequency",
            "description",
            "status",
            "numbering",
            "deployed_at",
            "created_at",
            "version",
        ]
        read_only_fields = ["status", "deployed_at", "created_at"]
        extra_kwargs = {"version": {"required": False}}


class CategorySerializer(serializers.ModelSerializer):
    plan = ScopedRelated(access.plans_for)

    class Meta:
        model = Category
        fields = ["id", "plan", "name", "order"]


class MilestoneSerializer(serializers.ModelSerializer):
    task = ScopedRelated(access.tasks_for)

    class Meta:
        model = Milestone
        fields = ["id", "task", "date", "name", "expected_percent", "reached_on", "version"]
        extra_kwargs = {"version": {"required": False}}


class NestedMilestone(serializers.ModelSerializer):
    class Meta:
        model = Milestone
        fields = ["id", "date", "name", "expected_percent", "reached_on"]


class TaskSerializer(serializers.ModelSerializer):
    plan = ScopedRelated(access.plans_for)
    category = ScopedRelated(
        lambda u: Category.objects.filter(plan__in=access.plans_for(u)),
        required=False,
        allow_null=True,
    )
    parent = ScopedRelated(access.tasks_for, required=False, allow_null=True)
    lead_leader = ScopedRelated(lambda u: Person.objects.all(), required=False, allow_null=True)
    owner = ScopedRelated(visible_people, required=False, allow_null=True)
    responsible_units = ScopedRelated(visible_units, many=True, required=False)
    cooperating_units = ScopedRelated(lambda u: Unit.objects.all(), many=True, required=False)
    lead_leader_name = serializers.CharField(
        source="lead_leader.display_name", read_only=True, default=""
    )
    owner_name = serializers.CharField(source="owner.display_name", read_only=True, default="")
    milestones = NestedMilestone(many=True, read_only=True)
    no = serializers.CharField(required=False, allow_blank=True, max_length=32)

    class Meta:
        model = Task
        fields = [
            "id",
            "plan",
            "category",
            "parent",
            "no",
            "title",
            "content",
            "lead_leader",
            "lead_leader_name",
            "responsible_units",
            "cooperating_units",
            "owner",
            "owner_name",
            "start_date",
            "deadline",
            "ongoing",
            "deadline_text",
            "key_task",
            "target",
            "measure",
            "actual",
            "frequency",
            "status",
            "completed_on",
            "percent",
            "progress",
            "problems",
            "next_steps",
            "last_update",
            "notes",
            "source_kind",
            "source_ref",
            "source_date",
            "extra",
            "milestones",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["last_update", "created_at", "updated_at"]
        extra_kwargs = {"version": {"required": False}}

    def to_representation(self, task):
        data = super().to_representation(task)
        resp, coop = [], []
        for a in task.assignments.all():
            (resp if a.role == Assignment.Role.RESPONSIBLE else coop).append(a.unit_id)
        data["responsible_units"], data["cooperating_units"] = resp, coop
        return data

    def validate(self, attrs):
        if self.instance is not None and "plan" in attrs and attrs["plan"] != self.instance.plan:
            raise serializers.ValidationError({"plan": "A task cannot move to another plan."})
        return attrs


def _version(request) -> int | None:
    """The version the client read: the body's "version", or an If-Match header."""
    v = request.data.get("version") if hasattr(request.data, "get") else None
    if v in (None, ""):
        v = request.headers.get("If-Match", "").strip('"') or None
    return int(v) if v not in (None, "") else None


class HistoryMixin:
    audit_type = ""

    @extend_schema(responses=AuditRecordSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        obj = self.get_object()
        qs = history(self.audit_type, [obj.pk])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(AuditRecordSerializer(page, many=True).data)


class PlanViewSet(
    HistoryMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PlanSerializer
    filterset_fields = ["year", "status", "owner_unit"]
    ordering_fields = ["year", "name", "created_at"]
    audit_type = "ledger.plan"

    def get_queryset(self):
        return (
            access.plans_for(self.request.user)
            .select_related("owner_unit")
            .order_by("-year", "name")
        )

    def perform_create(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("version", None)
        serializer.instance = services.create_plan(self.request.user, **d)

    def perform_update(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("version", None)
        serializer.instance = services.update_plan(
            self.request.user, serializer.instance, _version(self.request), **d
        )

    @extend_schema(request=None, responses={200: PlanSerializer})
    @action(detail=True, methods=["post"])
    def deploy(self, request, pk=None):
        plan = self.get_object()
        services.deploy_plan(request.user, plan)
        return Response(PlanSerializer(plan, context={"request": request}).data)


class CategoryViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = CategorySerializer
    filterset_fields = ["plan"]

    def get_queryset(self):
        return Category.objects.filter(plan__in=access.plans_for(self.request.user)).order_by(
            "plan_id", "order", "id"
        )

    def perform_create(self, serializer):
        access.require_manage_plan(self.request.user, serializer.validated_data["plan"])
        serializer.save()

    def perform_update(self, serializer):
        access.require_manage_plan(self.request.user, serializer.instance.plan)
        serializer.save()


class TaskViewSet(HistoryMixin, viewsets.ModelViewSet):
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    ordering_fields = ["deadline", "sort_key", "last_update", "title"]
    audit_type = "ledger.task"

    def get_queryset(self):
        return (
            access.tasks_for(self.request.user)
            .select_related("lead_leader", "owner")
            .prefetch_related(
                Prefetch("assignments", queryset=Assignment.objects.order_by("role", "position")),
                "milestones",
            )
            .order_by("plan_id", "sort_key")
        )

    def _split(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("version", None)
        d.pop("plan", None)
        units = {k: d.pop(k) for k in ("responsible_units", "cooperating_units") if k in d}
        return d, units

    def perform_create(self, serializer):
        d, units = self._split(serializer)
        serializer.instance = services.create_task(
            self.request.user, serializer.validated_data["plan"], **units, **d
        )

    def perform_update(self, serializer):
        d, units = self._split(serializer)
        serializer.instance = services.update_task(
            self.request.user, serializer.instance, _version(self.request), **units, **d
        )

    def perform_destroy(self, instance):
        services.delete_task(self.request.user, instance, _version(self.request))


class MilestoneViewSet(viewsets.ModelViewSet):
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter

    def get_queryset(self):
        return access.milestones_for(self.request.user).order_by("task_id", "date", "id")

    def perform_create(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("version", None)
        task = d.pop("task")
        serializer.instance = services.create_milestone(self.request.user, task, **d)

    def perform_update(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("version", None)
        if "task" in d and d.pop("task") != serializer.instance.task:
            raise PermissionDenied("A milestone cannot move to another task.")
        serializer.instance = services.update_milestone(
            self.request.user, serializer.instance, _version(self.request), **d
        )

    def perform_destroy(self, instance):
        services.delete_milestone(self.request.user, instance)


class HandoffSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True)


class AssignmentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Hand-offs awaiting the requester's acknowledgement (签收) or answer."""

    class Out(serializers.ModelSerializer):
        task_no = serializers.CharField(source="task.no", read_only=True)
        task_title = serializers.CharField(source="task.title", read_only=True)
        unit_name = serializers.CharField(source="unit.name", read_only=True)

        class Meta:
            model = Assignment
            fields = [
                "id",
                "task",
                "task_no",
                "task_title",
                "unit",
                "unit_name",
                "role",
                "ack",
                "handed_off_at",
                "acked_at",
                "reason",
            ]

    serializer_class = Out
    filterset_fields = ["ack", "role", "unit", "task"]

    def get_queryset(self):
        return (
            Assignment.objects.filter(task__in=access.tasks_for(self.request.user).values("pk"))
            .select_related("task", "unit")
            .order_by("handed_off_at", "id")
        )

    def _mine(self, pk):
        a = self.get_object()
        if not access.can_acknowledge(self.request.user, a):
            raise OutOfScope("You may not answer for this unit.")
        return a

    @extend_schema(request=None, responses=Out)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        a = self._mine(pk)
        services.acknowledge(request.user, [a])
        a.refresh_from_db()
        return Response(self.Out(a).data)

    @extend_schema(request=HandoffSerializer, responses=Out)
    @action(detail=True, methods=["post"])
    def reassign_request(self, request, pk=None):
        a = self._mine(pk)
        s = HandoffSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.request_reassignment(request.user, a, s.validated_data.get("reason", ""))
        a.refresh_from_db()
        return Response(self.Out(a).data, status=status.HTTP_200_OK)
