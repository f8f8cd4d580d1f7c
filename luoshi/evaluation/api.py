"""Evaluation over REST, scoped as the pages are: completions (submit; accept or return with the
version read: 428 without it, 409 if stale), evaluations (record, revise with the version) and
answers to the source (send; the issuer acknowledges with the version)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from luoshi.core.api import version_of
from luoshi.ledger.models import Task
from luoshi.org.models import Person

from . import access, services
from .models import Answer, Completion, Evaluation, Quality


class CompletionSerializer(serializers.ModelSerializer):
    task_no = serializers.CharField(source="task.no", read_only=True)
    documents = serializers.SerializerMethodField()

    class Meta:
        model = Completion
        fields = [
            "id",
            "task",
            "task_no",
            "kind",
            "status",
            "completed_on",
            "summary",
            "actual",
            "submitted_by",
            "submitted_at",
            "decided_by",
            "decided_at",
            "comment",
            "days_late",
            "documents",
            "version",
        ]
        read_only_fields = fields

    def get_documents(self, obj) -> list[str]:
        return [d.name for d in obj.documents.all()]


class SubmitSerializer(serializers.Serializer):
    task = serializers.IntegerField()
    completed_on = serializers.DateField()
    summary = serializers.CharField()
    actual = serializers.DecimalField(max_digits=18, decimal_places=4, required=False)


class DecideSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class CompletionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A task's completion (完成情况) and its acceptance (验收). A task is done only when a
    completion is accepted."""

    queryset = Completion.objects.none()
    serializer_class = CompletionSerializer
    filterset_fields = ["task", "status", "kind"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Completion.objects.none()
        return (
            access.completions_for(self.request.user)
            .select_related("task")
            .prefetch_related("documents")
            .order_by("-submitted_at", "-pk")
        )

    @extend_schema(request=SubmitSerializer, responses={201: CompletionSerializer})
    def create(self, request):
        s = SubmitSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        task = access.get_task(request.user, d["task"])
        c = services.submit_completion(
            task,
            actor=request.user,
            completed_on=d["completed_on"],
            summary=d["summary"],
            actual=d.get("actual"),
        )
        return Response(CompletionSerializer(c).data, status=status.HTTP_201_CREATED)

    def _decide(self, request, accept: bool):
        c = self.get_object()
        version = version_of(request)
        s = DecideSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.decide_completion(
            c,
            actor=request.user,
            version=version,
            accept=accept,
            comment=s.validated_data["comment"],
        )
        return Response(CompletionSerializer(c).data)

    @extend_schema(request=DecideSerializer, responses=CompletionSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        return self._decide(request, True)

    @extend_schema(request=DecideSerializer, responses=CompletionSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        return self._decide(request, False)


class EvaluationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evaluation
        fields = [
            "id",
            "task",
            "completion",
            "attainment",
            "days_late",
            "quality",
            "effect",
            "satisfaction",
            "respondents",
            "evaluated_by",
            "evaluated_at",
            "version",
        ]
        read_only_fields = fields


class EvaluateSerializer(serializers.Serializer):
    task = serializers.IntegerField()
    quality = serializers.ChoiceField(choices=Quality.choices)
    effect = serializers.CharField()
    satisfaction = serializers.DecimalField(
        max_digits=5, decimal_places=1, required=False, allow_null=True
    )
    respondents = serializers.IntegerField(required=False, allow_null=True, min_value=0)
    version = serializers.IntegerField(
        required=False, help_text="Required to revise an existing evaluation."
    )


class EvaluationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The evaluation (评估问效) of accepted tasks. POST records one, or revises the task's
    evaluation given the version read (428 without it, 409 if stale)."""

    queryset = Evaluation.objects.none()
    serializer_class = EvaluationSerializer
    filterset_fields = ["task", "quality"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Evaluation.objects.none()
        return access.evaluations_for(self.request.user).order_by("-evaluated_at", "-pk")

    @extend_schema(request=EvaluateSerializer, responses={201: EvaluationSerializer})
    def create(self, request):
        s = EvaluateSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        task = access.get_task(request.user, d["task"])
        existing = Evaluation.objects.filter(task=task).exists()
        ev = services.evaluate(
            task,
            actor=request.user,
            quality=d["quality"],
            effect=d["effect"],
            satisfaction=d.get("satisfaction"),
            respondents=d.get("respondents"),
            version=version_of(request) if existing else None,
        )
        code = status.HTTP_200_OK if existing else status.HTTP_201_CREATED
        return Response(EvaluationSerializer(ev).data, status=code)


class AnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Answer
        fields = [
            "id",
            "task",
            "issuer",
            "outcome",
            "status",
            "sent_by",
            "sent_at",
            "rating",
            "comment",
            "acknowledged_at",
            "version",
        ]
        read_only_fields = fields


class SendSerializer(serializers.Serializer):
    task = serializers.IntegerField()
    issuer = serializers.PrimaryKeyRelatedField(queryset=Person.objects.filter(is_active=True))
    outcome = serializers.CharField()


class AcknowledgeSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)
    rating = serializers.ChoiceField(choices=Answer.Rating.choices, required=False, default="")
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class AnswerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Answers to the source (回音): the outcome sent back to whoever issued a task's source,
    acknowledged (and rated) by them."""

    queryset = Answer.objects.none()
    serializer_class = AnswerSerializer
    filterset_fields = ["task", "status", "issuer"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Answer.objects.none()
        return access.answers_for(self.request.user).order_by("-sent_at", "-pk")

    @extend_schema(request=SendSerializer, responses={201: AnswerSerializer})
    def create(self, request):
        s = SendSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        task: Task = access.get_task(request.user, d["task"])
        a = services.send_answer(task, actor=request.user, issuer=d["issuer"], outcome=d["outcome"])
        return Response(AnswerSerializer(a).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=AcknowledgeSerializer, responses=AnswerSerializer)
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        a = self.get_object()
        version = version_of(request)
        s = AcknowledgeSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.acknowledge_answer(
            a,
            actor=request.user,
            version=version,
            rating=s.validated_data["rating"],
            comment=s.validated_data["comment"],
        )
        return Response(AnswerSerializer(a).data)


def register(router) -> None:
    router.register("completions", CompletionViewSet, basename="completion")
    router.register("evaluations", EvaluationViewSet, basename="evaluation")
    router.register("answers", AnswerViewSet, basename="answer")
