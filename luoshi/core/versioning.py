"""Optimistic locking: editable records carry a version, and a stale save is refused."""

from django.db import models
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from .errors import StaleVersion


class Versioned(models.Model):
    version = models.PositiveIntegerField(_("version"), default=1)

    class Meta:
        abstract = True


def save_versioned(obj: Versioned, expected_version: int | None, fields: dict) -> None:
    """Write `fields` only if the row still has `expected_version`; bump the version.

    Compare-and-set in one UPDATE, so it holds on SQLite (where select_for_update is a no-op)
    as well as PostgreSQL."""
    model = type(obj)
    expected = obj.version if expected_version is None else int(expected_version)
    updated = model.objects.filter(pk=obj.pk, version=expected).update(
        **fields, version=F("version") + 1
    )
    if not updated:
        current = model.objects.filter(pk=obj.pk).values_list("version", flat=True).first()
        raise StaleVersion(str(obj), expected, current)
    for name, value in fields.items():
        setattr(obj, name, value)
    obj.version = expected + 1
