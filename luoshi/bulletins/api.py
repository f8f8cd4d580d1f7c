"""Bulletins over REST, scoped as the pages are: the list and one bulletin (its figures), drafting
(POST), approving and publishing (POST …/approve/, …/publish/ with the version read: 428
without it, 409 if stale). The files are on the pages (and the public pages)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import APIException
from rest_framework.response import Response

from luoshi.core.api import version_of
from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Plan
from luoshi.org.models import Unit

from . import access, documents, services
from .models import Bulletin

urlpatterns: list = []


class BulletinSerializer(serializers.ModelSerializer):
    plan_name = serializers.CharField(source="plan.name", read_only=True, default=None)
    unit_name = serializers.CharField(source="unit.name", read_only=True)

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "plan",
            "plan_name",
            "unit",
            "unit_name",
            "period_start",
            "period_end",
            "as_of",
            "status",
            "number",
            "title",
            "sha256",
            "corrects",
            "published_at",
            "version",
        ]


class BulletinDetailSerializer(BulletinSerializer):
    class Meta(BulletinSerializer.Meta):
        fields = [
            *BulletinSerializer.Meta.fields,
            "masthead",
            "prefix",
            "opening",
            "praise_text",
            "next_steps",
            "closing",
            "content",
        ]


class DraftSerializer(serializers.Serializer):
    plan = serializers.PrimaryKeyRelatedField(queryset=Plan.objects.none(), required=False)
    unit = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), required=False, help_text="All plans of this unit."
    )
    period = serializers.RegexField(
        r"^\d{4}-\d{2}$", required=False, help_text="The month, YYYY-MM (default this month)."
    )
    today = serializers.DateField(required=False, help_text="Draft from the data as of this day.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # none while the schema is generated
        if request is not None:
            self.fields["plan"].queryset = ledger_access.plans_for(request.user)


class VersionSerializer(serializers.Serializer):
    version = serializers.IntegerField(required=False)


class PublishSerializer(VersionSerializer):
    pdf = serializers.BooleanField(required=False, default=True, help_text="Also make the PDF.")


class DocumentUnavailable(APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_code = "document_unavailable"


class BulletinViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Bulletins (通报). A published bulletin never changes; `sha256` is the SHA-256 of its
    content, also in the audit chain."""

    queryset = Bulletin.objects.none()
    serializer_class = BulletinSerializer
    filterset_fields = ["plan", "unit", "status"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Bulletin.objects.none()
        return (
            access.bulletins_for(self.request.user)
            .select_related("plan", "unit")
            .order_by("-period_end", "-pk")
        )

    def get_serializer_class(self):
        return BulletinSerializer if self.action == "list" else BulletinDetailSerializer

    def _detail(self, bulletin, code=status.HTTP_200_OK):
        return Response(BulletinDetailSerializer(bulletin).data, status=code)

    @extend_schema(request=DraftSerializer, responses={201: BulletinDetailSerializer})
    def create(self, request):
        s = DraftSerializer(data=request.data, context={"request": request})
        s.is_valid(raise_exception=True)
        d = s.validated_data
        bulletin = services.draft(
            actor=request.user,
            plan=d.get("plan"),
            unit=None if d.get("plan") else d.get("unit"),
            period=d.get("period"),
            today=d.get("today"),
        )
        return self._detail(bulletin, status.HTTP_201_CREATED)

    @extend_schema(request=VersionSerializer, responses=BulletinDetailSerializer)
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        bulletin = self.get_object()
        return self._detail(
            services.approve(bulletin, actor=request.user, version=version_of(request))
        )

    @extend_schema(request=PublishSerializer, responses=BulletinDetailSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None):
        bulletin = self.get_object()
        version = version_of(request)
        s = PublishSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        try:
            published = services.publish(
                bulletin, actor=request.user, version=version, pdf=s.validated_data["pdf"]
            )
        except documents.DocumentError as exc:
            raise DocumentUnavailable(str(exc)) from exc
        return self._detail(published)


def register(router) -> None:
    router.register("bulletins", BulletinViewSet, basename="bulletin")
