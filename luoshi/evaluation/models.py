"""Evaluation (评估问效): a task's completion submitted with its evidence and accepted (验收) or
returned; the evaluation of what the accepted task achieved; the answer to the source it came
from (回音); and the post-evaluation (后评价) of key tasks some months later.

A task is done only through an acceptance: the owner's submission accepted by its lead leader
or a supervisor, or a plan manager marking it done (by the task form or an imported row marked
已完成), which is recorded as that manager's acceptance (`Completion.Kind`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from luoshi.core.versioning import Versioned
from luoshi.ledger.models import Plan, Task

PERSON = settings.AUTH_USER_MODEL


class EvaluationRules(Versioned):
    """A plan's evaluation settings (DOMAIN.md: each default configurable per plan)."""

    plan = models.OneToOneField(
        Plan, on_delete=models.CASCADE, related_name="evaluation_rules", verbose_name=_("plan")
    )
    evaluate_all = models.BooleanField(
        _("evaluate every task"),
        default=False,
        help_text=_("Key tasks are always evaluated; tick to evaluate the others too."),
    )
    satisfaction = models.BooleanField(_("satisfaction survey"), default=False)
    post_evaluation_months = models.PositiveSmallIntegerField(
        _("post-evaluation after (months)"), default=12
    )
    # Months after acceptance, comma separated: "3,6" is a re-check at +3 and at +6 months.
    recheck_months = models.CharField(_("re-checks after (months)"), max_length=40, default="3,6")

    class Meta:
        verbose_name = _("evaluation rules")
        verbose_name_plural = _("evaluation rules")

    def __str__(self) -> str:
        return str(self.plan)


class Completion(Versioned):
    """One submission of a task's completion and its decision; or a plan manager's marking of
    the task as done, recorded as their acceptance."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("submitted with evidence")
        MANAGER = "manager", _("marked done by a plan manager")
        IMPORT = "import", _("imported as done by a plan manager")

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("awaiting acceptance")
        ACCEPTED = "accepted", _("accepted")
        RETURNED = "returned", _("returned")

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="completions", verbose_name=_("task")
    )
    kind = models.CharField(_("how"), max_length=10, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices)
    completed_on = models.DateField(_("completed on"))
    summary = models.TextField(_("completion summary"), blank=True)
    actual = models.DecimalField(
        _("actual value"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    submitted_by = models.ForeignKey(
        PERSON, on_delete=models.PROTECT, related_name="+", verbose_name=_("submitted by")
    )
    submitted_at = models.DateTimeField(_("submitted"))
    decided_by = models.ForeignKey(
        PERSON,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("accepted or returned by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    # Working days after the deadline (0: on time); set at acceptance.
    days_late = models.PositiveSmallIntegerField(_("working days late"), null=True, blank=True)

    class Meta:
        verbose_name = _("completion")
        verbose_name_plural = _("completions")
        ordering = ["-submitted_at", "-id"]
        constraints = [
            # One submission awaiting a decision per task at a time.
            models.UniqueConstraint(
                fields=["task"],
                condition=Q(status="submitted"),
                name="completion_one_open",
            )
        ]
        indexes = [
            models.Index(fields=["status", "submitted_at"], name="completion_status_idx"),
            models.Index(fields=["task", "status"], name="completion_task_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task.no} · {self.get_status_display()}"

    @property
    def on_time(self) -> bool | None:
        return None if self.days_late is None else self.days_late == 0


class CompletionDocument(models.Model):
    """Evidence (佐证材料) attached to a completion, kept in the one upload store."""

    completion = models.ForeignKey(
        Completion,
        on_delete=models.CASCADE,
        related_name="documents",
        verbose_name=_("completion"),
    )
    name = models.CharField(_("file name"), max_length=255)
    stored_as = models.CharField(_("stored as"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size"))
    uploaded_by = models.ForeignKey(
        PERSON, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("by")
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence document")
        verbose_name_plural = _("evidence documents")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Quality(models.TextChoices):
    EXCELLENT = "excellent", _("excellent")
    GOOD = "good", _("good")
    FAIR = "fair", _("fair")
    POOR = "poor", _("poor")


class Evaluation(Versioned):
    """What an accepted task achieved (评估问效): target attainment, timeliness, a quality
    rating, the effect in words and, where the plan surveys it, satisfaction."""

    task = models.OneToOneField(
        Task, on_delete=models.CASCADE, related_name="evaluation", verbose_name=_("task")
    )
    completion = models.ForeignKey(
        Completion, on_delete=models.PROTECT, related_name="+", verbose_name=_("completion")
    )
    # actual / target in percent, as accepted; None when the task has no target.
    attainment = models.DecimalField(
        _("target attained (%)"), max_digits=9, decimal_places=1, null=True, blank=True
    )
    days_late = models.PositiveSmallIntegerField(_("working days late"), default=0)
    quality = models.CharField(_("quality"), max_length=10, choices=Quality.choices)
    effect = models.TextField(_("effect"))
    satisfaction = models.DecimalField(
        _("satisfaction (%)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    respondents = models.PositiveIntegerField(_("respondents"), null=True, blank=True)
    evaluated_by = models.ForeignKey(
        PERSON, on_delete=models.PROTECT, related_name="+", verbose_name=_("evaluated by")
    )
    evaluated_at = models.DateTimeField(_("evaluated"))

    class Meta:
        verbose_name = _("evaluation")
        verbose_name_plural = _("evaluations")
        indexes = [models.Index(fields=["evaluated_at"], name="evaluation_at_idx")]

    def __str__(self) -> str:
        return f"{self.task.no} · {self.get_quality_display()}"


class Answer(Versioned):
    """The outcome of a task sent back to whoever issued its source (a leader's instruction, a
    meeting, a proposal): 回音. The issuer acknowledges it and may rate it."""

    class Status(models.TextChoices):
        SENT = "sent", _("sent, awaiting acknowledgement")
        ACKNOWLEDGED = "acknowledged", _("acknowledged")

    class Rating(models.TextChoices):
        SATISFIED = "satisfied", _("satisfied")
        BASICALLY = "basically", _("basically satisfied")
        DISSATISFIED = "dissatisfied", _("dissatisfied")

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="answers", verbose_name=_("task")
    )
    issuer = models.ForeignKey(
        PERSON, on_delete=models.PROTECT, related_name="answers_received", verbose_name=_("to")
    )
    outcome = models.TextField(_("outcome"))
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.SENT
    )
    sent_by = models.ForeignKey(
        PERSON, on_delete=models.PROTECT, related_name="+", verbose_name=_("sent by")
    )
    sent_at = models.DateTimeField(_("sent"))
    rating = models.CharField(_("rating"), max_length=14, choices=Rating.choices, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)

    class Meta:
        verbose_name = _("answer to the source")
        verbose_name_plural = _("answers to the source")
        ordering = ["-sent_at", "-id"]
        indexes = [
            models.Index(fields=["issuer", "status"], name="answer_issuer_idx"),
            models.Index(fields=["task", "status"], name="answer_task_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task.no} → {self.issuer}"


class PostEvaluation(Versioned):
    """A key task's post-evaluation (后评价), due some months after its acceptance."""

    class Status(models.TextChoices):
        DUE = "due", _("scheduled")
        DONE = "done", _("done")

    task = models.OneToOneField(
        Task, on_delete=models.CASCADE, related_name="post_evaluation", verbose_name=_("task")
    )
    due_on = models.DateField(_("due"))
    status = models.CharField(_("status"), max_length=6, choices=Status.choices, default="due")
    findings = models.TextField(_("findings"), blank=True)
    quality = models.CharField(_("rating"), max_length=10, choices=Quality.choices, blank=True)
    done_by = models.ForeignKey(
        PERSON,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("post-evaluated by"),
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("post-evaluation")
        verbose_name_plural = _("post-evaluations")
        indexes = [models.Index(fields=["status", "due_on"], name="postevaluation_due_idx")]

    def __str__(self) -> str:
        return f"{self.task.no} · {self.due_on}"


class Recheck(Versioned):
    """A re-check (回头看) that an accepted task's result still holds, scheduled at acceptance
    (the plan's months after it) and done by the unit responsible: it holds, or it has regressed
    and a rectification task (整改) goes back into the ledger, linked here."""

    class Status(models.TextChoices):
        DUE = "due", _("scheduled")
        HELD = "held", _("holds")
        REGRESSED = "regressed", _("regressed")

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="rechecks", verbose_name=_("task")
    )
    completion = models.ForeignKey(
        Completion, on_delete=models.CASCADE, related_name="rechecks", verbose_name=_("acceptance")
    )
    round = models.PositiveSmallIntegerField(_("round"))
    due_on = models.DateField(_("due"))
    unit = models.ForeignKey(
        "org.Unit",
        null=True,
        on_delete=models.SET_NULL,
        related_name="rechecks",
        verbose_name=_("unit"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="due")
    findings = models.TextField(_("findings"), blank=True)
    checked_by = models.ForeignKey(
        PERSON,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("re-checked by"),
    )
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    rectification = models.OneToOneField(
        Task,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="rectifies",
        verbose_name=_("rectification task"),
    )

    class Meta:
        verbose_name = _("re-check")
        verbose_name_plural = _("re-checks")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["completion", "round"], name="recheck_unique_round")
        ]
        indexes = [
            models.Index(fields=["status", "due_on"], name="recheck_due_idx"),
            models.Index(fields=["unit", "status", "due_on"], name="recheck_unit_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.task.no} · {self.due_on}"
