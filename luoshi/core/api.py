"""API plumbing shared by every app: pagination and error mapping."""

from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import OutOfScope, RuleViolation, StaleVersion


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    if isinstance(exc, StaleVersion):
        return Response(
            {"detail": str(exc), "code": "stale_version", "current_version": exc.current},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, OutOfScope):
        return Response({"detail": str(exc) or "out of scope"}, status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, RuleViolation):
        exc = ValidationError({exc.field or "non_field_errors": [str(exc)]})
    return drf_exception_handler(exc, context)


class AuditRecordSerializer(serializers.ModelSerializer):
    class Meta:
        from .models import AuditRecord

        model = AuditRecord
        fields = [
            "id",
            "at",
            "actor",
            "actor_name",
            "action",
            "object_type",
            "object_id",
            "object_repr",
            "changes",
            "context",
            "hash",
        ]
