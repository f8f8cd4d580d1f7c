"""Bulletins (通报): a periodic official document drafted from the data of a plan (or of every
plan of a unit), edited by a supervisor, approved by a leader and published under the next
number of its series. A published bulletin never changes: its SHA-256 is shown and is in the
audit chain; a correction is a new bulletin that refers to it.

The .docx and .pdf are stored in the row (BinaryField), not as files under LUOSHI_DATA_DIR: a
published bulletin, its hash and its files are written in one transaction and backed up with
the database, so there is no file to go missing or be swapped behind the hash, and they are a
few hundred kilobytes each."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.core.versioning import Versioned
from luoshi.ledger.models import Plan
from luoshi.org.models import Unit

from . import rules


class NumberSeries(models.Model):
    """The last number given under an issuing prefix in a year: 交督〔2026〕12号 is 交督, 2026,
    12. Publishing takes the next one under a row lock, so numbers have no gaps or repeats."""

    prefix = models.CharField(_("issuing prefix"), max_length=20)
    year = models.PositiveSmallIntegerField(_("year"))
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("bulletin number series")
        verbose_name_plural = _("bulletin number series")
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="bulletin_series_unique")
        ]

    def __str__(self) -> str:
        return rules.format_number(self.prefix, self.year, self.last)


class Bulletin(Versioned):
    class Status(models.TextChoices):
        DRAFT = "draft", _("bulletin draft")
        APPROVED = "approved", _("bulletin approved")
        PUBLISHED = "published", _("bulletin published")

    plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bulletins",
        verbose_name=_("plan"),
    )
    # The issuing unit: the plan's owner unit, or the unit whose plans a unit-wide bulletin covers.
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="bulletins", verbose_name=_("unit")
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    as_of = models.DateField(_("as of"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    masthead = models.CharField(_("masthead"), max_length=60)
    prefix = models.CharField(_("issuing prefix"), max_length=20)
    title = models.CharField(_("bulletin title"), max_length=200)
    opening = models.TextField(_("opening paragraph"), blank=True)
    praise_text = models.TextField(_("praise text"), blank=True)
    next_steps = models.TextField(_("next steps of the bulletin"), blank=True)
    closing = models.TextField(_("closing remarks"), blank=True)
    # The figures drafted from the data (totals, red tasks by unit, missing reports, praised
    # units, ranking): a snapshot, so a later change to the ledger does not move the document.
    content = models.JSONField(_("figures"), default=dict)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    seq = models.PositiveIntegerField(_("sequence number"), null=True, blank=True)
    number = models.CharField(_("document number"), max_length=60, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    drafted_at = models.DateTimeField(_("drafted at"), auto_now_add=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("drafted by"),
    )
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("approved by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("published by"),
    )
    docx = models.BinaryField(_("Word document"), null=True, blank=True, editable=False)
    pdf = models.BinaryField(_("PDF document"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("bulletin")
        verbose_name_plural = _("bulletins")
        constraints = [
            models.UniqueConstraint(
                fields=["prefix", "year", "seq"],
                condition=Q(seq__isnull=False),
                name="bulletin_number_unique",
            ),
            models.CheckConstraint(
                condition=(Q(status="published", seq__isnull=False) & ~Q(sha256=""))
                | (~Q(status="published") & Q(seq__isnull=True)),
                name="bulletin_published_numbered",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="bulletin_public_idx"),
            models.Index(fields=["plan", "-period_end"], name="bulletin_plan_idx"),
            models.Index(fields=["unit", "-period_end"], name="bulletin_unit_idx"),
        ]

    def __str__(self) -> str:
        return self.number or self.title

    @property
    def published(self) -> bool:
        return self.status == self.Status.PUBLISHED

    @property
    def display_number(self) -> str:
        """The number, or a draft's number with the place left blank."""
        if self.number:
            return self.number
        return rules.format_number(self.prefix, self.period_end.year, None)
