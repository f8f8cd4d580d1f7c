"""Assessments over REST: the list and one assessment with the scores the caller may see
(scoped as the pages are), computing a month (POST), and locking it (POST …/lock/ with the
version read: 428 without it, 409 if stale)."""

from __future__ import annotations

import django_filters as df
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from luoshi.core.api import version_of
from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Plan

from . import access, services
from .models import Assessment, Score


class BreakdownItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    indicator = serializers.CharField()
    weight = serializers.FloatField()
    value = serializers.FloatField(allow_null=True, help_text="Percent; null: not applicable.")
    points = serializers.FloatField()
    met = serializers.ListField(child=serializers.IntegerField(), required=False)
    missed = serializers.ListField(child=serializers.IntegerField(), required=False)


class ScoreSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    score = serializers.FloatField()
    breakdown = BreakdownItemSerializer(many=True)

    class Meta:
        model = Score
        fields = ["unit", "unit_name", "score", "rank", "breakdown"]


class AssessmentSerializer(serializers.ModelSerializer):
    plan_name = serializers.CharField(source="plan.name", read_only=True)

    class Meta:
        model = Assessment
        fields = [
            "id",
            "plan",
            "plan_name",
            "period",
            "as_of",
            "status",
            "computed_at",
            "locked_at",
            "digest",
            "version",
        ]


class AssessmentDetailSerializer(AssessmentSerializer):
    scores = serializers.SerializerMethodField()

    class Meta(AssessmentSerializer.Meta):
        fields = [*AssessmentSerializer.Meta.fields, "scheme", "scores"]

    @extend_schema(responses=ScoreSerializer(many=True))
    def get_scores(self, assessment) -> list[dict]:
        request = self.context["request"]
        return ScoreSerializer(access.scores_for(request.user, assessment), many=True).data


class ComputeSerializer(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.none())
    period = serializers.RegexField(r"^\d{4}-\d{2}$", help_text="The month, YYYY-MM.")
    today = serializers.DateField(required=False, help_text="Compute as of this day.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # none while the schema is generated
        if request is not None:
            self.fields["plan"].queryset = ledger_access.plans_for(request.user)


class LockSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)


class AssessmentFilter(df.FilterSet):
    class Meta:
        model = Assessment
        fields = ["plan", "period", "status"]


class AssessmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Assessments (考核) by plan and month. A locked assessment never changes; its `digest`
    is the SHA-256 of its scores, also in the audit chain."""

    queryset = Assessment.objects.none()
    serializer_class = AssessmentSerializer
    filterset_class = AssessmentFilter

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Assessment.objects.none()
        return (
            access.assessments_for(self.request.user)
            .select_related("plan")
            .order_by("-period", "plan_id")
        )

    def get_serializer_class(self):
        return AssessmentDetailSerializer if self.action == "retrieve" else AssessmentSerializer

    @extend_schema(request=ComputeSerializer, responses={201: AssessmentDetailSerializer})
    def create(self, request):
        s = ComputeSerializer(data=request.data, context={"request": request})
        s.is_valid(raise_exception=True)
        d = s.validated_data
        assessment = services.compute(
            d["plan"], d["period"], actor=request.user, today=d.get("today")
        )
        data = AssessmentDetailSerializer(assessment, context={"request": request}).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(request=LockSerializer, responses=AssessmentDetailSerializer)
    @action(detail=True, methods=["post"])
    def lock(self, request, pk=None):
        assessment = self.get_object()
        version = version_of(request)
        locked = services.lock(assessment, actor=request.user, version=version)
        return Response(AssessmentDetailSerializer(locked, context={"request": request}).data)


def register(router) -> None:
    router.register("assessments", AssessmentViewSet, basename="assessment")
