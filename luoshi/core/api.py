"""API plumbing shared by every app: pagination and error mapping."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import OutOfScope, RuleViolation, StaleVersion
from .ids import OUT_OF_RANGE


class Pagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500


class VersionRequired(APIException):
    """An update that does not say which version it read would silently overwrite whatever
    changed since: refused with 428 Precondition Required."""

    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _(
        'Say which version you are changing: send the "version" you read in the body or as an'
        " If-Match header."
    )
    default_code = "version_required"


def version_of(request) -> int:
    """The version the client read: the body's "version", or an If-Match header. Required on
    every update and delete (428 without it, 400 when it is not a number)."""
    v = request.data.get("version") if hasattr(request.data, "get") else None
    if v in (None, ""):
        v = request.headers.get("If-Match", "").strip().removeprefix("W/").strip('"') or None
    if v in (None, ""):
        raise VersionRequired()
    try:
        return int(v)
    except (TypeError, ValueError):
        raise ValidationError({"version": [_("The version must be a whole number.")]}) from None


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
    if isinstance(exc, OverflowError):
        # A number too large for the database, wherever in the request it came from.
        return Response(
            {"detail": str(OUT_OF_RANGE), "code": "out_of_range"},
            status=status.HTTP_400_BAD_REQUEST,
        )
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
            "thread",
            "hash",
        ]
