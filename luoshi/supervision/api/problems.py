"""REST API for tiered problems: list and read (scoped by access.problems_for), raise, and the
answers (respond, resolve, declare unsolvable), each with the version read (428 without it,
409 when stale). The same services as the pages."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from luoshi.core.api import version_of
from luoshi.dispatch.models import Report
from luoshi.ledger import access as ledger_access
from luoshi.org.models import Unit

from .. import access
from ..models import Problem, ProblemStep
from ..services import problems as services


class ProblemStepSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = ProblemStep
        fields = ["id", "kind", "at", "actor", "actor_name", "level", "text"]

    def get_actor_name(self, step) -> str:
        return step.actor.display_name if step.actor else ""


class ProblemSerializer(serializers.ModelSerializer):
    task_no = serializers.CharField(source="task.no", read_only=True)
    task_title = serializers.CharField(source="task.title", read_only=True)
    level_name = serializers.SerializerMethodField()
    assignee_name = serializers.SerializerMethodField()
    steps = ProblemStepSerializer(many=True, read_only=True)

    class Meta:
        model = Problem
        fields = [
            "id",
            "task",
            "task_no",
            "task_title",
            "report",
            "unit",
            "title",
            "description",
            "raised_by",
            "raised_at",
            "raised_level",
            "level",
            "level_name",
            "level_entered_on",
            "sla_due_on",
            "assignee",
            "assignee_name",
            "answered_at",
            "status",
            "resolution",
            "closed_at",
            "closed_by",
            "version",
            "steps",
        ]
        read_only_fields = fields

    def get_level_name(self, problem) -> str:
        return services.level_label(problem.level)

    def get_assignee_name(self, problem) -> str:
        return problem.assignee.display_name if problem.assignee else ""


@extend_schema_field(OpenApiTypes.INT)
class _Scoped(serializers.PrimaryKeyRelatedField):
    """A related id the requester must be able to see (an unseen one reads as missing)."""

    def __init__(self, scope_fn, **kw):
        self.scope_fn = scope_fn
        super().__init__(**kw)

    def get_queryset(self):
        return self.scope_fn(self.context["request"].user)


def _reports_for(person):
    return Report.objects.filter(slot__task__in=ledger_access.tasks_for(person).values("pk"))


class ProblemRaiseSerializer(serializers.Serializer):
    task = _Scoped(ledger_access.tasks_for)
    title = serializers.CharField(max_length=services.TITLE_MAX)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, allow_null=True, default=None
    )
    report = _Scoped(_reports_for, required=False, allow_null=True, default=None)


class ProblemRespondSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)
    text = serializers.CharField()


class ProblemResolveSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)
    resolution = serializers.CharField()


class ProblemUnsolvableSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)
    reasons = serializers.CharField()


class ProblemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Problems the requester sees: on tasks in their scope, raised by them or assigned to
    them. Filters: status, level, task, unit."""

    serializer_class = ProblemSerializer
    filterset_fields = ["status", "level", "task", "unit"]
    ordering_fields = ["raised_at", "sla_due_on", "level"]

    def get_queryset(self):
        # One representation, steps included: the raiser reads every step wherever it is
        # listed (a prefetch per page, not a query per problem).
        return (
            access.problems_for(self.request.user)
            .select_related("task", "assignee")
            .prefetch_related("steps__actor")
            .order_by("status", "sla_due_on", "-pk")
        )

    def _answer(self, problem):
        fresh = self.get_queryset().get(pk=problem.pk)
        return Response(ProblemSerializer(fresh, context=self.get_serializer_context()).data)

    @extend_schema(request=ProblemRaiseSerializer, responses={201: ProblemSerializer})
    def create(self, request):
        """Raise a problem on a task (in a report, with `report`), at level 1."""
        s = ProblemRaiseSerializer(data=request.data, context=self.get_serializer_context())
        s.is_valid(raise_exception=True)
        d = s.validated_data
        problem = services.raise_problem(
            d["task"],
            actor=request.user,
            title=d["title"],
            description=d["description"],
            unit=d["unit"],
            report=d["report"],
        )
        response = self._answer(problem)
        response.status_code = status.HTTP_201_CREATED
        return response

    @extend_schema(request=ProblemRespondSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        """Answer the problem, or (its raiser) add information."""
        problem = self.get_object()
        version = version_of(request)
        s = ProblemRespondSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.respond_problem(
            problem, actor=request.user, version=version, text=s.validated_data["text"]
        )
        return self._answer(problem)

    @extend_schema(request=ProblemResolveSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        problem = self.get_object()
        version = version_of(request)
        s = ProblemResolveSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.resolve_problem(
            problem, actor=request.user, version=version, resolution=s.validated_data["resolution"]
        )
        return self._answer(problem)

    @extend_schema(request=ProblemUnsolvableSerializer, responses=ProblemSerializer)
    @action(detail=True, methods=["post"])
    def unsolvable(self, request, pk=None):
        """Declare the problem unsolvable, with the reasons."""
        problem = self.get_object()
        version = version_of(request)
        s = ProblemUnsolvableSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.declare_unsolvable(
            problem, actor=request.user, version=version, reasons=s.validated_data["reasons"]
        )
        return self._answer(problem)


def register(router) -> None:
    router.register("problems", ProblemViewSet, basename="problem")
