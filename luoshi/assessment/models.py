"""Assessment (考核): a scheme of weighted indicators per plan, bonus and penalty items per unit
and period, and each period's assessment with its scores. A locked assessment never changes:
its digest (SHA-256 of its scores) is in the audit chain."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from luoshi.core.versioning import Versioned
from luoshi.ledger.models import Plan
from luoshi.org.models import Unit

from . import rules

WEIGHT = {
    "max_digits": 5,
    "decimal_places": 2,
    "validators": [MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(100))],
}


class Scheme(Versioned):
    """A plan's assessment scheme: the weight of each indicator (0 leaves it out; they sum to
    100) and the points a late answer to a supervision order costs. A plan without one is
    assessed by DOMAIN.md's default."""

    plan = models.OneToOneField(
        Plan, on_delete=models.CASCADE, related_name="assessment_scheme", verbose_name=_("plan")
    )
    completion = models.DecimalField(_("completion rate of tasks due"), default=40, **WEIGHT)
    on_time = models.DecimalField(_("on-time completion rate"), default=20, **WEIGHT)
    reporting = models.DecimalField(_("report timeliness"), default=15, **WEIGHT)
    problems = models.DecimalField(_("problems resolved within their SLA"), default=10, **WEIGHT)
    quality = models.DecimalField(_("report quality"), default=15, **WEIGHT)
    late_order_penalty = models.DecimalField(
        _("points off per late answer to a supervision order"),
        max_digits=5,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(Decimal(0))],
    )

    class Meta:
        verbose_name = _("assessment scheme")
        verbose_name_plural = _("assessment schemes")

    def __str__(self) -> str:
        return str(self.plan)

    def weights(self) -> dict[str, Decimal]:
        return {code: getattr(self, code) for code in rules.INDICATORS}


class Adjustment(models.Model):
    """A bonus (+) or penalty (−) item for a unit in a period: praised in a bulletin, named for
    overdue work, or another reason a supervisor records."""

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="+", verbose_name=_("plan")
    )
    period = models.CharField(_("period"), max_length=7)
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("bonus or penalty item")
        verbose_name_plural = _("bonus and penalty items")
        indexes = [models.Index(fields=["plan", "period"], name="adjustment_plan_period_idx")]

    def __str__(self) -> str:
        return f"{self.unit} {self.points:+} {self.reason}"


class Assessment(Versioned):
    """A plan's assessment for one month: computed (again and again while a draft) as of a day,
    then locked. Its scores are its `Score` rows."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        LOCKED = "locked", _("locked")

    plan = models.ForeignKey(
        Plan, on_delete=models.CASCADE, related_name="assessments", verbose_name=_("plan")
    )
    period = models.CharField(_("period"), max_length=7)
    as_of = models.DateField(_("as of"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.DRAFT
    )
    # The weights it was computed with (a later change to the scheme does not move it).
    scheme = models.JSONField(_("scheme used"), default=dict)
    computed_at = models.DateTimeField(_("computed at"))
    computed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("computed by"),
    )
    locked_at = models.DateTimeField(_("locked at"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("locked by"),
    )
    digest = models.CharField(_("SHA-256 of the scores"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")
        constraints = [
            models.UniqueConstraint(fields=["plan", "period"], name="assessment_unique_period")
        ]

    def __str__(self) -> str:
        return f"{self.plan} {self.period}"

    @property
    def locked(self) -> bool:
        return self.status == self.Status.LOCKED


class Score(models.Model):
    """A unit's score in an assessment, its rank, and the breakdown it is the sum of: each
    indicator's weight, value and points, with the tasks behind it (met / missed), then the
    bonus and penalty items."""

    assessment = models.ForeignKey(
        Assessment, on_delete=models.CASCADE, related_name="scores", verbose_name=_("assessment")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    score = models.DecimalField(_("score"), max_digits=7, decimal_places=2)
    rank = models.PositiveIntegerField(_("rank"))
    breakdown = models.JSONField(_("breakdown"), default=list)

    class Meta:
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        ordering = ["assessment", "rank", "unit__name"]
        constraints = [
            models.UniqueConstraint(fields=["assessment", "unit"], name="score_unique_unit")
        ]
        indexes = [models.Index(fields=["assessment", "rank"], name="score_rank_idx")]

    def __str__(self) -> str:
        return f"{self.unit} {self.score}"
