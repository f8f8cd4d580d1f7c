"""Consolidation (成果巩固): what is kept once a task is done.

The experience library records good practices (经验做法) and lasting mechanisms (长效机制) for
reuse: what was done, where, with what result, and the documents behind it, optionally linked
to the task it was learned from."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from luoshi.core.versioning import Versioned

# --- experience library ------------------------------------------------------------------------


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Practice(Versioned):
    class Kind(models.TextChoices):
        PRACTICE = "practice", _("Good practice")
        MECHANISM = "mechanism", _("Lasting mechanism")

    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.PRACTICE)
    title = models.CharField(_("practice name"), max_length=200)
    what = models.TextField(_("what was done"))
    unit = models.ForeignKey(
        "org.Unit", on_delete=models.PROTECT, related_name="practices", verbose_name=_("unit")
    )
    result = models.TextField(_("result"), blank=True)
    task = models.ForeignKey(
        "ledger.Task",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="practices",
        verbose_name=_("learned from task"),
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="practices", verbose_name=_("tags"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # Title, what, result and tag names, lower-cased, one per line: the column `q` searches
    # (LIKE '%…%'; a pg_trgm GIN index serves it on PostgreSQL, migration 0001).
    search_text = models.TextField(_("search text"), editable=False, default="")

    class Meta:
        verbose_name = _("practice")
        verbose_name_plural = _("practices")
        indexes = [
            models.Index(fields=["recorded_at", "id"], name="cons_practice_recorded"),
            models.Index(fields=["unit", "recorded_at"], name="cons_practice_unit"),
            models.Index(fields=["kind", "recorded_at"], name="cons_practice_kind"),
        ]

    def __str__(self) -> str:
        return self.title


class PracticeDocument(models.Model):
    practice = models.ForeignKey(
        Practice, on_delete=models.CASCADE, related_name="documents", verbose_name=_("practice")
    )
    name = models.CharField(_("file name"), max_length=255)
    stored_as = models.CharField(_("stored as"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("practice document")
        verbose_name_plural = _("practice documents")

    def __str__(self) -> str:
        return self.name
