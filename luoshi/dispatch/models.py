"""Dispatch cycles (调度): schedules, cycles, one report slot per active task and responsible
unit, progress reports with their review exchange, and attachments."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luoshi.core.versioning import Versioned
from luoshi.ledger.models import Plan, Task
from luoshi.org.models import Unit


class Schedule(models.Model):
    """When a plan's reports fall due; a task may carry its own schedule that overrides it."""

    class Kind(models.TextChoices):
        WEEKLY = "weekly", _("weekly on a weekday")
        MONTHLY = "monthly", _("monthly on a day")
        QUARTERLY = "quarterly", _("quarterly on a day")
        DATES = "dates", _("listed dates")

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="schedules"
    )
    task = models.OneToOneField(
        Task,
        verbose_name=_("task"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="schedule",
        help_text=_("Only when this task reports differently."),
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.MONTHLY)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), default=4, help_text=_("0 = Monday … 6 = Sunday")
    )
    day = models.PositiveSmallIntegerField(_("day of month"), default=25)
    dates = models.JSONField(_("dates"), default=list, blank=True)
    due_time = models.TimeField(_("due time"), default="17:00")
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("reporting schedule")
        verbose_name_plural = _("reporting schedules")
        constraints = [
            models.UniqueConstraint(
                fields=["plan"], condition=models.Q(task__isnull=True), name="schedule_one_per_plan"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.plan} · {self.get_kind_display()}"


class Cycle(models.Model):
    """One reporting round of a plan (or of a task with its own schedule)."""

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        CLOSED = "closed", _("closed")

    plan = models.ForeignKey(
        Plan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="cycles"
    )
    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="cycles", verbose_name=_("schedule")
    )
    period_start = models.DateField(_("period start"))
    due_at = models.DateTimeField(_("due"))
    closes_at = models.DateTimeField(_("closes"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.OPEN
    )
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("dispatch cycle")
        verbose_name_plural = _("dispatch cycles")
        ordering = ["-due_at"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "due_at"], name="cycle_unique_due"),
        ]
        indexes = [models.Index(fields=["status", "closes_at"], name="cycle_status_idx")]

    def __str__(self) -> str:
        return f"{self.plan} · {self.due_at:%Y-%m-%d}"


class Slot(models.Model):
    """What one responsible unit owes for one task in one cycle."""

    class Status(models.TextChoices):
        PENDING = "pending", _("not started")
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        RETURNED = "returned", _("returned")
        ACCEPTED = "accepted", _("accepted")
        MISSED = "missed", _("missed")

    # Not indexed on its own: slot_cycle_idx (and the unique constraint) start with it.
    cycle = models.ForeignKey(
        Cycle,
        on_delete=models.CASCADE,
        related_name="slots",
        verbose_name=_("cycle"),
        db_index=False,
    )
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="slots", verbose_name=_("task")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="slots", verbose_name=_("unit")
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="slots",
        verbose_name=_("owner"),
    )
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    days_late = models.PositiveSmallIntegerField(_("working days late"), default=0)

    class Meta:
        verbose_name = _("report slot")
        verbose_name_plural = _("report slots")
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["cycle", "task", "unit"], name="slot_unique"),
        ]
        indexes = [
            models.Index(fields=["unit", "status", "due_at"], name="slot_unit_idx"),
            models.Index(fields=["owner", "status"], name="slot_owner_idx"),
            models.Index(fields=["task", "due_at"], name="slot_task_idx"),
            # Covers the reports-per-cycle counts (the cockpit's trend, the cycle pages)
            # without reading the slot rows.
            models.Index(
                fields=["cycle", "status", "submitted_at", "due_at"], name="slot_cycle_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.task} · {self.unit} · {self.due_at:%Y-%m-%d}"


class Report(Versioned):
    """The progress report for a slot (进展情况 / 存在问题 / 下步计划)."""

    slot = models.OneToOneField(
        Slot, on_delete=models.CASCADE, related_name="report", verbose_name=_("slot")
    )
    progress = models.TextField(_("progress"), blank=True)
    problems = models.TextField(_("problems"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    # xgettext:no-python-format
    percent = models.PositiveSmallIntegerField(_("% complete"), null=True, blank=True)
    actual = models.DecimalField(
        _("actual"), max_digits=18, decimal_places=4, null=True, blank=True
    )
    milestones_reached = models.JSONField(_("milestones reached"), default=dict, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("author"),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("progress report")
        verbose_name_plural = _("progress reports")

    def __str__(self) -> str:
        return f"{self.slot}"


class ReviewEvent(models.Model):
    """Every exchange on a report, kept on the task: submit, return, accept, comment."""

    class Action(models.TextChoices):
        SUBMIT = "submit", _("submitted")
        RETURN = "return", _("returned")
        ACCEPT = "accept", _("accepted")

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="events", verbose_name=_("report")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    action = models.CharField(_("action"), max_length=8, choices=Action.choices)
    comment = models.TextField(_("comment"), blank=True)
    at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("review event")
        verbose_name_plural = _("review events")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"


class Attachment(models.Model):
    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("report")
    )
    name = models.CharField(_("file name"), max_length=255)
    stored_as = models.CharField(max_length=255, verbose_name=_("stored as"))
    content_type = models.CharField(max_length=100, verbose_name=_("content type"))
    size = models.PositiveIntegerField(verbose_name=_("size"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.name
