"""REST API for report slots and reports: the same services as the pages."""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from luoshi.core.api import version_of

from . import services
from .access import can_report, slots_for
from .models import Report, Slot


class SlotSerializer(serializers.ModelSerializer):
    task_no = serializers.CharField(source="task.no", read_only=True)
    task_title = serializers.CharField(source="task.title", read_only=True)
    report = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Slot
        fields = [
            "id",
            "cycle",
            "task",
            "task_no",
            "task_title",
            "unit",
            "owner",
            "due_at",
            "status",
            "submitted_at",
            "days_late",
            "report",
        ]


class ReportSerializer(serializers.ModelSerializer):
    class Meta:
        model = Report
        fields = [
            "id",
            "slot",
            "progress",
            "problems",
            "next_steps",
            "percent",
            "actual",
            "milestones_reached",
            "version",
            "updated_at",
        ]
        read_only_fields = ["slot", "updated_at"]
        extra_kwargs = {"version": {"required": False}}

    def validate_percent(self, value):
        if value is not None and not 0 <= value <= 100:
            raise serializers.ValidationError("between 0 and 100")
        return value


class ReviewSerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")


class SlotViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = SlotSerializer
    filterset_fields = ["cycle", "status", "unit", "task", "owner"]

    def get_queryset(self):
        return (
            slots_for(self.request.user).select_related("task", "report").order_by("due_at", "id")
        )

    @extend_schema(request=None, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def report(self, request, pk=None):
        """Start (or fetch) this slot's report, pre-filled from the last one."""
        slot = self.get_object()
        report, _created = services.start_report(slot, actor=request.user)
        return Response(ReportSerializer(report).data)


class ReportViewSet(mixins.RetrieveModelMixin, mixins.UpdateModelMixin, viewsets.GenericViewSet):
    serializer_class = ReportSerializer

    def get_queryset(self):
        return Report.objects.filter(slot__in=slots_for(self.request.user)).select_related(
            "slot", "slot__cycle", "slot__unit", "slot__task"
        )

    def perform_update(self, serializer):
        d = dict(serializer.validated_data)
        d.pop("version", None)
        serializer.instance = services.save_report(
            serializer.instance, actor=self.request.user, version=version_of(self.request), **d
        )

    @extend_schema(request=ReportSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        report = self.get_object()
        if not can_report(request.user, report.slot):
            raise PermissionDenied("You may not report for this unit.")
        s = ReportSerializer(report, data=request.data, partial=True)
        s.is_valid(raise_exception=True)
        d = dict(s.validated_data)
        d.pop("version", None)
        services.submit_report(report, actor=request.user, version=version_of(request), **d)
        report.refresh_from_db()
        return Response(ReportSerializer(report).data)

    @extend_schema(request=ReviewSerializer, responses=ReportSerializer)
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        report = self.get_object()
        s = ReviewSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.review_report(
            report,
            actor=request.user,
            accept=s.validated_data["accept"],
            comment=s.validated_data["comment"],
        )
        return Response(ReportSerializer(report).data)
