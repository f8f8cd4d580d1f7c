"""REST API for plans, categories, tasks and milestones. Thin: scope through access.*,
changes through services.*."""

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from luoshi.core.api import AuditRecordSerializer, version_of
from luoshi.core.audit import history
from luoshi.core.errors import OutOfScope
from luoshi.core.pagination import in_order
from luoshi.org.access import visible_people, visible_units
from luoshi.org.models import Person, Unit

from . import access, rules, services
from .filters import MilestoneFilter, TaskFilter
from .history import present, task_history
from .models import TASK_FIELDS, Assignment, Category, Milestone, Plan, Task, TaskLightChoice


@extend_schema_field(OpenApiTypes.INT)
class ScopedRelated(serializers.PrimaryKeyRelatedField):
    """A related id the requester must be able to see (an integer: with its queryset chosen per
    request, the schema cannot read the type from a model)."""

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
        fields = ["id", "plan", "name", "order", "version"]
        extra_kwargs = {"version": {"required": False}, "order": {"required": False}}
        validators = []  # the service names the field and the reason for a duplicate name


class CategoryChangeSerializer(CategorySerializer):
    """A category stays in its plan, with its tasks: `plan` is read-only once it exists."""

    plan = serializers.PrimaryKeyRelatedField(read_only=True)


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
    overdue = serializers.SerializerMethodField(
        help_text="Past the deadline and neither done nor cancelled (逾期)."
    )
    light = serializers.ChoiceField(
        choices=[("", "no light yet"), *TaskLightChoice.choices],
        read_only=True,
        help_text="The light supervision last computed (亮灯); empty before the first pass.",
    )
    light_reasons = serializers.CharField(read_only=True, help_text="Its reasons, in words.")

    class Meta:
        model = Task
        fields = [
            "id",
            "plan",
            *TASK_FIELDS,
            "lead_leader_name",
            "owner_name",
            "responsible_units",
            "cooperating_units",
            "last_update",
            "light",
            "light_reasons",
            "overdue",
            "milestones",
            "created_at",
            "updated_at",
            "version",
        ]
        read_only_fields = ["last_update", "created_at", "updated_at"]
        extra_kwargs = {"version": {"required": False}}

    def get_overdue(self, task) -> bool:
        return rules.is_overdue(task.deadline, task.status, timezone.localdate())

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


class HistoryMixin:
    audit_type = ""

    @extend_schema(responses=AuditRecordSerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        obj = self.get_object()
        qs = history(self.audit_type, [obj.pk])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(AuditRecordSerializer(page, many=True).data)


class HistoryRowSerializer(serializers.Serializer):
    field = serializers.CharField()
    label = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()


class TaskHistorySerializer(AuditRecordSerializer):
    """A record of a task's history: the raw record, and the rows the task page shows for it
    (history.present), so API clients and the page read the same thing."""

    action_label = serializers.CharField(read_only=True)
    subject = serializers.SerializerMethodField()
    rows = serializers.SerializerMethodField()

    class Meta(AuditRecordSerializer.Meta):
        fields = [*AuditRecordSerializer.Meta.fields, "action_label", "subject", "rows"]

    def get_subject(self, obj) -> str:
        return self.context["presented"][obj.pk]["subject"]

    @extend_schema_field(HistoryRowSerializer(many=True))
    def get_rows(self, obj) -> list[dict]:
        shown = self.context["presented"][obj.pk]
        return [
            {"field": name, "label": row.label, "before": row.before, "after": row.after}
            for name, row in zip(shown["fields"], shown["rows"], strict=True)
        ]


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
        serializer.instance = services.create_plan(actor=self.request.user, **d)

    def perform_update(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("version", None)
        serializer.instance = services.update_plan(
            serializer.instance, actor=self.request.user, version=version_of(self.request), **d
        )

    @extend_schema(request=None, responses={200: PlanSerializer})
    @action(detail=True, methods=["post"])
    def deploy(self, request, pk=None):
        plan = self.get_object()
        services.deploy_plan(plan, actor=request.user)
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

    def get_serializer_class(self):
        if self.action in ("update", "partial_update"):
            return CategoryChangeSerializer
        return CategorySerializer

    def get_queryset(self):
        return Category.objects.filter(plan__in=access.plans_for(self.request.user)).order_by(
            "plan_id", "order", "id"
        )

    def perform_create(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("version", None)
        plan = d.pop("plan")
        serializer.instance = services.create_category(plan, actor=self.request.user, **d)

    def perform_update(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("version", None)
        serializer.instance = services.update_category(
            serializer.instance, actor=self.request.user, version=version_of(self.request), **d
        )


class TaskViewSet(viewsets.ModelViewSet):
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    ordering_fields = ["deadline", "sort_key", "last_update", "title"]

    @extend_schema(responses=TaskHistorySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, pk=None):
        """The task's history as its page shows it: its own, its milestones', its hand-offs'
        and its reports' records, newest first, one query (history.task_history)."""
        task = self.get_object()
        page = self.paginate_queryset(task_history(task))
        presented = {item["record"].pk: item for item in present(page)}
        data = TaskHistorySerializer(page, many=True, context={"presented": presented}).data
        return self.get_paginated_response(data)

    def get_queryset(self):
        return self._rows(access.tasks_for(self.request.user)).order_by("plan_id", "sort_key")

    @staticmethod
    def _rows(tasks):
        return tasks.select_related("lead_leader", "owner", "shown_light").prefetch_related(
            Prefetch("assignments", queryset=Assignment.objects.order_by("role", "position")),
            "milestones",
        )

    def paginate_queryset(self, queryset):
        """The page's ids from the scoped, filtered, ordered list; then its rows by id
        (core.pagination: no full row is read before the sort)."""
        if self.action != "list":  # a task's history pages its audit records
            return super().paginate_queryset(queryset)
        ids = super().paginate_queryset(queryset.values_list("pk", flat=True))
        return None if ids is None else in_order(self._rows(Task.objects.all()), ids)

    def _split(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("version", None)
        d.pop("plan", None)
        units = {k: d.pop(k) for k in ("responsible_units", "cooperating_units") if k in d}
        return d, units

    def perform_create(self, serializer):
        d, units = self._split(serializer)
        serializer.instance = services.create_task(
            serializer.validated_data["plan"], actor=self.request.user, **units, **d
        )

    def perform_update(self, serializer):
        d, units = self._split(serializer)
        serializer.instance = services.update_task(
            serializer.instance,
            actor=self.request.user,
            version=version_of(self.request),
            **units,
            **d,
        )

    def perform_destroy(self, instance):
        services.delete_task(instance, actor=self.request.user, version=version_of(self.request))


class MilestoneViewSet(viewsets.ModelViewSet):
    serializer_class = MilestoneSerializer
    filterset_class = MilestoneFilter

    def get_queryset(self):
        return access.milestones_for(self.request.user).order_by("task_id", "date", "id")

    def perform_create(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("version", None)
        task = d.pop("task")
        serializer.instance = services.create_milestone(task, actor=self.request.user, **d)

    def perform_update(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("version", None)
        if "task" in d and d.pop("task") != serializer.instance.task:
            raise PermissionDenied("A milestone cannot move to another task.")
        serializer.instance = services.update_milestone(
            serializer.instance, actor=self.request.user, version=version_of(self.request), **d
        )

    def perform_destroy(self, instance):
        services.delete_milestone(
            instance, actor=self.request.user, version=version_of(self.request)
        )


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
        services.acknowledge([a], actor=request.user)
        a.refresh_from_db()
        return Response(self.Out(a).data)

    @extend_schema(request=HandoffSerializer, responses=Out)
    @action(detail=True, methods=["post"])
    def reassign_request(self, request, pk=None):
        a = self._mine(pk)
        s = HandoffSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.request_reassignment(a, s.validated_data.get("reason", ""), actor=request.user)
        a.refresh_from_db()
        return Response(self.Out(a).data, status=status.HTTP_200_OK)
