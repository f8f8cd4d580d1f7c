"""REST API for units and people, scoped like the pages."""

from rest_framework import mixins, serializers, viewsets

from luoshi.core.api import version_of

from . import services
from .access import visible_people, visible_units
from .models import Person, Unit


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.all(), allow_null=True, required=False
    )

    class Meta:
        model = Unit
        fields = [
            "id",
            "name",
            "short_name",
            "code",
            "kind",
            "parent",
            "depth",
            "sort_key",
            "is_active",
            "version",
        ]
        read_only_fields = ["depth"]
        extra_kwargs = {"version": {"required": False}}


class PersonSerializer(serializers.ModelSerializer):
    unit = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.all(), allow_null=True)
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = [
            "id",
            *services.PROFILE_FIELDS,
            "is_active",
            "roles",
            "version",
        ]
        read_only_fields = ["username"]
        extra_kwargs = {"version": {"required": False}}

    def get_roles(self, person) -> list[dict]:
        return [{"role": g.role, "unit": g.unit_id} for g in person.grants.all()]


def _without_version(data) -> dict:
    return {k: v for k, v in data.items() if k != "version"}


class UnitViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = UnitSerializer
    filterset_fields = ["kind", "parent", "is_active"]
    ordering_fields = ["name", "path"]
    search_fields = ["name", "short_name", "code"]

    def get_queryset(self):
        return visible_units(self.request.user).order_by("path")

    def perform_create(self, serializer):
        d = dict(serializer.validated_data)
        serializer.instance = services.create_unit(
            d.pop("name"), d.pop("parent", None), actor=self.request.user, **_without_version(d)
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_unit(
            serializer.instance,
            actor=self.request.user,
            version=version_of(self.request),
            **_without_version(serializer.validated_data),
        )


class PersonViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    serializer_class = PersonSerializer
    filterset_fields = ["unit", "is_active"]
    search_fields = ["full_name"]

    def get_queryset(self):
        return (
            visible_people(self.request.user).prefetch_related("grants").order_by("full_name", "id")
        )

    def perform_create(self, serializer):
        d = dict(serializer.validated_data)
        serializer.instance = services.create_person(
            d.pop("full_name"), d.pop("unit"), actor=self.request.user, **_without_version(d)
        )

    def perform_update(self, serializer):
        serializer.instance = services.update_person(
            serializer.instance,
            actor=self.request.user,
            version=version_of(self.request),
            **_without_version(serializer.validated_data),
        )
