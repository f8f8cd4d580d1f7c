"""REST API for supervision orders: list and read (scoped like the pages), issue, respond,
verify. The same services and filters as the pages."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from luoshi.core.api import version_of
from luoshi.ledger import access as ledger_access
from luoshi.ledger.models import Task
from luoshi.org.access import visible_units

from ..access import orders_for
from ..models import Order, OrderStep
from ..services import orders as services
from ..views.orders import OrderFilter, annotate_overdue


@extend_schema_field(OpenApiTypes.INT)
class _Scoped(serializers.PrimaryKeyRelatedField):
    """A related id the requester must be able to see."""

    def __init__(self, scope_fn, **kw):
        self.scope_fn = scope_fn
        super().__init__(**kw)

    def get_queryset(self):
        return self.scope_fn(self.context["request"].user)


class OrderTaskSerializer(serializers.ModelSerializer):
    light = serializers.CharField(read_only=True, help_text="The task's light (亮灯), or empty.")

    class Meta:
        model = Task
        fields = ["id", "no", "title", "deadline", "light"]


class OrderStepSerializer(serializers.ModelSerializer):
    actor_name = serializers.SerializerMethodField()

    class Meta:
        model = OrderStep
        fields = ["kind", "at", "actor", "actor_name", "text"]

    def get_actor_name(self, step) -> str:
        return step.actor.display_name if step.actor else ""


class OrderSerializer(serializers.ModelSerializer):
    label = serializers.CharField(read_only=True)
    unit_name = serializers.CharField(source="unit.name", read_only=True)
    tasks = OrderTaskSerializer(many=True, read_only=True)
    steps = OrderStepSerializer(many=True, read_only=True)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)

    class Meta:
        model = Order
        fields = [
            "id",
            "label",
            "year",
            "number",
            "unit",
            "unit_name",
            "tasks",
            "demand",
            "respond_by",
            "overdue",
            "status",
            "issued_by",
            "issued_at",
            "response",
            "responded_by",
            "responded_at",
            "responded_late",
            "verification",
            "closed_by",
            "closed_at",
            "steps",
            "version",
        ]
        read_only_fields = fields


class IssueSerializer(serializers.Serializer):
    unit = _Scoped(visible_units)
    tasks = serializers.ListField(child=serializers.IntegerField(), allow_empty=False)
    demand = serializers.CharField()
    respond_by = serializers.DateField()

    def validate_tasks(self, ids):
        found = list(ledger_access.tasks_for(self.context["request"].user).filter(pk__in=set(ids)))
        missing = set(ids) - {t.pk for t in found}
        if missing:
            raise serializers.ValidationError(
                f"No such task in your scope: {', '.join(str(i) for i in sorted(missing))}"
            )
        return found


class RespondSerializer(serializers.Serializer):
    response = serializers.CharField()
    version = serializers.IntegerField(required=False)


class VerifySerializer(serializers.Serializer):
    accept = serializers.BooleanField()
    comment = serializers.CharField(required=False, allow_blank=True, default="")
    respond_by = serializers.DateField(required=False, allow_null=True, default=None)
    version = serializers.IntegerField(required=False)


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Supervision orders (督办单). `overdue` is true while an order awaits a response past
    its date; changes name the `version` read (body or If-Match): 428 without it, 409 if stale."""

    queryset = Order.objects.none()  # the schema's model; requests use get_queryset
    serializer_class = OrderSerializer
    filterset_class = OrderFilter
    ordering_fields = ["respond_by", "issued_at", "number"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI generator reads no rows
            return Order.objects.none()
        qs = (
            orders_for(self.request.user)
            .select_related("unit")
            .prefetch_related(
                Prefetch(
                    "tasks",
                    queryset=ledger_access.tasks_for(self.request.user)
                    .select_related("shown_light")
                    .order_by("plan_id", "sort_key"),
                ),
                Prefetch("steps", queryset=OrderStep.objects.select_related("actor")),
            )
            .order_by("-year", "-number")
        )
        return annotate_overdue(qs, timezone.localdate())

    def _fresh(self, order: Order) -> dict:
        return OrderSerializer(self.get_queryset().get(pk=order.pk)).data

    @extend_schema(request=IssueSerializer, responses={201: OrderSerializer})
    def create(self, request):
        s = IssueSerializer(data=request.data, context={"request": request})
        s.is_valid(raise_exception=True)
        order = services.issue_order(actor=request.user, **s.validated_data)
        return Response(self._fresh(order), status=status.HTTP_201_CREATED)

    @extend_schema(request=RespondSerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def respond(self, request, pk=None):
        order = self.get_object()
        version = version_of(request)
        s = RespondSerializer(data=request.data)
        s.is_valid(raise_exception=True)
        services.respond_order(
            order, actor=request.user, version=version, response=s.validated_data["response"]
        )
        return Response(self._fresh(order))

    @extend_schema(request=VerifySerializer, responses=OrderSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, pk=None):
        order = self.get_object()
        version = version_of(request)
        s = VerifySerializer(data=request.data)
        s.is_valid(raise_exception=True)
        d = s.validated_data
        services.verify_order(
            order,
            actor=request.user,
            version=version,
            accept=d["accept"],
            comment=d["comment"],
            respond_by=d["respond_by"],
        )
        return Response(self._fresh(order))


def register(router) -> None:
    router.register("orders", OrderViewSet, basename="order")


urlpatterns: list = []
