"""The experience library over REST, read and written as the pages are: the list searched with
?q= (a word inside the text), ?tag=, ?unit= (with its subtree) and ?kind=, paginated; one
practice; recording (POST); changing (PATCH with the version read: 428 without it, 409 if
stale). The linked task is named only to those who may read it."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from luoshi.core.api import version_of
from luoshi.core.errors import OutOfScope
from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Task
from luoshi.org.models import Unit

from . import access, services
from .models import Practice


class PracticeSerializer(serializers.ModelSerializer):
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    tags = serializers.SerializerMethodField()
    task = serializers.SerializerMethodField(
        help_text="The task it was learned from, when you may read that task; else null."
    )
    documents = serializers.SerializerMethodField()

    class Meta:
        model = Practice
        fields = [
            "id",
            "kind",
            "title",
            "what",
            "unit",
            "unit_name",
            "result",
            "tags",
            "task",
            "documents",
            "recorded_at",
            "updated_at",
            "version",
        ]

    def get_tags(self, obj) -> list[str]:
        return [t.name for t in obj.tags.all()]

    def get_task(self, obj) -> int | None:
        visible = self.context.get("visible_tasks", set())
        return obj.task_id if obj.task_id in visible else None

    def get_documents(self, obj) -> list[dict]:
        return [
            {"id": d.pk, "name": d.name, "size": d.size, "content_type": d.content_type}
            for d in obj.documents.all()
        ]


class PracticeWriteSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Practice.Kind.choices, required=False)
    title = serializers.CharField(max_length=200, required=False)
    what = serializers.CharField(required=False)
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), required=False)
    result = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=40), required=False)
    task = serializers.PrimaryKeyRelatedField(
        queryset=Task.objects.none(), required=False, allow_null=True
    )
    version = serializers.IntegerField(required=False, help_text="Required on PATCH.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")  # none while the schema is generated
        if request is not None:
            self.fields["task"].queryset = ledger_access.tasks_for(request.user)


FILTERS = [
    OpenApiParameter("q", OpenApiTypes.STR, description="Words found inside the text (any)."),
    OpenApiParameter("tag", OpenApiTypes.STR, description="A tag's name."),
    OpenApiParameter("unit", OpenApiTypes.INT, description="A unit, with its subunits."),
    OpenApiParameter("kind", OpenApiTypes.STR, enum=Practice.Kind.values),
]


@extend_schema_view(list=extend_schema(parameters=FILTERS))
class PracticeViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The experience library (经验做法 / 长效机制): shared across units."""

    queryset = Practice.objects.none()
    serializer_class = PracticeSerializer

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Practice.objects.none()
        p = self.request.query_params
        unit = None
        if p.get("unit"):
            unit = Unit.objects.filter(pk=p["unit"]).first() if p["unit"].isdigit() else None
            if unit is None:
                return Practice.objects.none()
        kind = p.get("kind", "")
        return (
            services.search(
                access.practices_for(self.request.user),
                q=p.get("q", ""),
                tag=p.get("tag", ""),
                unit=unit,
                kind=kind if kind in Practice.Kind.values else "",
            )
            .select_related("unit")
            .prefetch_related("tags", "documents")
        )

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "visible_tasks": self._visible}

    _visible: set = set()

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        self._visible = access.visible_task_ids(request.user, [p.task_id for p in page])
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, *args, **kwargs):
        practice = self.get_object()
        return self._one(practice)

    def _one(self, practice, code=status.HTTP_200_OK):
        self._visible = access.visible_task_ids(self.request.user, [practice.task_id])
        fresh = (
            Practice.objects.select_related("unit")
            .prefetch_related("tags", "documents")
            .get(pk=practice.pk)
        )
        return Response(self.get_serializer(fresh).data, status=code)

    @extend_schema(request=PracticeWriteSerializer, responses={201: PracticeSerializer})
    def create(self, request):
        s = PracticeWriteSerializer(data=request.data, context={"request": request})
        s.is_valid(raise_exception=True)
        d = s.validated_data
        practice = services.record_practice(
            actor=request.user,
            kind=d.get("kind", Practice.Kind.PRACTICE),
            title=d.get("title", ""),
            what=d.get("what", ""),
            unit=d.get("unit"),
            result=d.get("result", ""),
            task=d.get("task"),
            tags=d.get("tags", ()),
        )
        return self._one(practice, status.HTTP_201_CREATED)

    @extend_schema(request=PracticeWriteSerializer, responses=PracticeSerializer)
    def partial_update(self, request, pk=None):
        practice = self.get_object()
        if not access.can_edit(request.user, practice):  # refused before asking for a version
            raise OutOfScope(_("You may not change this practice."))
        version = version_of(request)
        s = PracticeWriteSerializer(data=request.data, context={"request": request})
        s.is_valid(raise_exception=True)
        d = s.validated_data
        practice = services.update_practice(
            practice,
            actor=request.user,
            version=version,
            tags=d.get("tags"),
            **{k: d[k] for k in services.EDITABLE if k in d},
        )
        return self._one(practice)


def register(router) -> None:
    router.register("practices", PracticeViewSet, basename="practice")
