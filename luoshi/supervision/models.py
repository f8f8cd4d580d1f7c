"""Supervision's records: stored lights and their history, a plan's thresholds, tiered
problems, supervision orders, extension requests and appeals, and integrity signals."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from luoshi.core.versioning import Versioned
from luoshi.dispatch.models import Report
from luoshi.ledger.models import Plan, Task
from luoshi.org.models import Unit

from . import rules


class Light(models.TextChoices):
    # The ledger's own labels for its copy of the light (ledger.models.TaskLightChoice).
    RED = rules.RED, _("red light")
    YELLOW = rules.YELLOW, _("yellow light")
    GREEN = rules.GREEN, _("green light")
    DONE = rules.DONE, _("light: completed")
    DONE_LATE = rules.DONE_LATE, _("light: completed late")
    OFF = rules.OFF, _("light: paused or cancelled")


class Pace(models.TextChoices):
    AHEAD = rules.AHEAD, _("ahead of plan")
    ON = rules.ON, _("on plan")
    BEHIND = rules.BEHIND, _("behind plan")


class TaskLight(models.Model):
    """A task's light; `since` is the day the current light began, `as_of` the day this row
    was last written. A light the daily pass found unchanged is not rewritten: the pass itself
    (`LightPass`) says it is current as of its day (`access.lights_for` gives the later of
    the two)."""

    task = models.OneToOneField(
        Task, on_delete=models.CASCADE, related_name="stored_light", verbose_name=_("task")
    )
    # Indexed once, by Meta.indexes (`/api/lights/?light=red`).
    light = models.CharField(_("light"), max_length=10, choices=Light.choices)
    pace = models.CharField(_("pace"), max_length=8, choices=Pace.choices, null=True, blank=True)
    # [{"code", "light", "params", "text"}, …], red ones first.
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    as_of = models.DateField(_("as of"))
    since = models.DateField(_("since"))

    class Meta:
        verbose_name = _("task light")
        verbose_name_plural = _("task lights")
        indexes = [models.Index(fields=["light"], name="tasklight_light_idx")]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.light}"


class LightPass(models.Model):
    """One full recompute of the lights (all plans, or one plan) as of a day."""

    plan = models.ForeignKey(
        Plan,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="light_passes",
        verbose_name=_("plan"),
    )
    on = models.DateField(_("as of"))
    at = models.DateTimeField(_("run at"), default=timezone.now)
    counts = models.JSONField(_("counts"), default=dict, blank=True)

    class Meta:
        verbose_name = _("light pass")
        verbose_name_plural = _("light passes")
        indexes = [models.Index(fields=["plan", "on"], name="lightpass_plan_on_idx")]

    def __str__(self) -> str:
        return f"{self.plan_id or 'all'} {self.on}"


class LightChange(models.Model):
    """One change of a task's light: its history."""

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="light_changes", verbose_name=_("task")
    )
    on = models.DateField(_("on"))
    was = models.CharField(_("was"), max_length=10, choices=Light.choices, null=True, blank=True)
    now = models.CharField(_("now"), max_length=10, choices=Light.choices)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)

    class Meta:
        verbose_name = _("light change")
        verbose_name_plural = _("light changes")
        ordering = ["task_id", "on", "id"]
        indexes = [models.Index(fields=["task", "on"], name="lightchange_task_on_idx")]

    def __str__(self) -> str:
        return f"{self.task_id} {self.on}: {self.was} → {self.now}"


D = rules.DEFAULT_RULES


def default_sla_days() -> list[int]:
    return list(rules.DEFAULT_RULES.problem_sla_days)


class PlanLightRules(models.Model):
    """A plan's own thresholds (`rules.LightRules`); plans without a row use the defaults."""

    plan = models.OneToOneField(
        Plan, on_delete=models.CASCADE, related_name="light_rules", verbose_name=_("plan")
    )
    milestone_red_after = models.PositiveSmallIntegerField(
        default=D.milestone_red_after,
        verbose_name=_("red after a milestone is late (working days)"),
    )
    deadline_window = models.PositiveSmallIntegerField(
        default=D.deadline_window, verbose_name=_("deadline warning window (working days)")
    )
    deadline_window_percent = models.PositiveSmallIntegerField(
        default=D.deadline_window_percent,
        verbose_name=_("percent complete expected inside the window"),
    )
    behind_plan_points = models.PositiveSmallIntegerField(
        default=D.behind_plan_points, verbose_name=_("yellow when behind plan by (points)")
    )
    missed_cycles_red = models.PositiveSmallIntegerField(
        default=D.missed_cycles_red, verbose_name=_("red after missed report rounds")
    )
    pace_tolerance = models.PositiveSmallIntegerField(
        default=D.pace_tolerance, verbose_name=_("on pace within (points)")
    )
    problem_sla_days = models.JSONField(
        default=default_sla_days, verbose_name=_("problem time limits per level (working days)")
    )

    class Meta:
        verbose_name = _("plan light rules")
        verbose_name_plural = _("plan light rules")

    def __str__(self) -> str:
        return f"{self.plan_id}"

    def as_rules(self) -> rules.LightRules:
        return rules.LightRules(
            milestone_red_after=self.milestone_red_after,
            deadline_window=self.deadline_window,
            deadline_window_percent=self.deadline_window_percent,
            behind_plan_points=self.behind_plan_points,
            missed_cycles_red=self.missed_cycles_red,
            pace_tolerance=self.pace_tolerance,
            problem_sla_days=tuple(self.problem_sla_days),
        )


# --- tiered problems (问题分级解决) -----------------------------------------------------------


class Problem(Versioned):
    """A problem raised in a report or on its own. It sits at a level (1 unit → 2 lead leader →
    3 city leadership) with an assignee and an SLA in working days; past its SLA it climbs one
    level by itself (`services.problems.escalate_problems`). Every step is a ProblemStep."""

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("problem status", "open")
        RESOLVED = "resolved", _("resolved")
        UNSOLVABLE = "unsolvable", _("declared unsolvable")

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="supervision_problems", verbose_name=_("task")
    )
    report = models.ForeignKey(
        Report,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("report"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    title = models.CharField(_("problem"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("raised by"),
    )
    raised_at = models.DateTimeField(_("raised at"))
    raised_level = models.PositiveSmallIntegerField(_("raised at level"), default=1)
    level = models.PositiveSmallIntegerField(_("level"), default=1)
    level_entered_on = models.DateField(_("at this level since"))
    sla_due_on = models.DateField(_("answer due by"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assignee"),
    )
    # The last time the current level's owner answered (a response step): the closed-loop check
    # looks for problems past their SLA with no answer at their level.
    answered_at = models.DateTimeField(_("last answered"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    resolution = models.TextField(_("resolution"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = pgettext_lazy("tiered problems", "problems")
        indexes = [
            models.Index(fields=["status", "sla_due_on"], name="problem_status_sla_idx"),
            models.Index(fields=["task", "status"], name="problem_task_status_idx"),
            models.Index(fields=["unit", "status"], name="problem_unit_status_idx"),
            models.Index(fields=["assignee", "status"], name="problem_assignee_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level__gte=1) & models.Q(level__gte=models.F("raised_level")),
                name="problem_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ProblemStep(models.Model):
    """One step of a problem, append-only: what the raiser and everyone involved see."""

    class Kind(models.TextChoices):
        RAISED = "raised", _("raised")
        RESPONSE = "response", _("response")
        ESCALATED = "escalated", _("escalated")
        RESOLVED = "resolved", _("resolved")
        UNSOLVABLE = "unsolvable", _("declared unsolvable")
        REASSIGNED = "reassigned", _("reassigned")

    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="steps", verbose_name=_("problem")
    )
    kind = models.CharField(_("step"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    level = models.PositiveSmallIntegerField(_("level"))
    text = models.TextField(pgettext_lazy("step", "text"), blank=True)

    class Meta:
        verbose_name = _("problem step")
        verbose_name_plural = _("problem steps")
        ordering = ["problem_id", "at", "id"]
        indexes = [models.Index(fields=["problem", "at"], name="problemstep_problem_at_idx")]

    def __str__(self) -> str:
        return f"{self.problem_id} {self.kind}"


# --- supervision orders (督办单) -------------------------------------------------------------


class OrderCounter(models.Model):
    """The last order number issued in a year. Issuing increments it with one UPDATE in the
    issuing transaction, so numbers have no gaps (a rolled-back issue rolls the number back)
    and no repeats (the row is locked until the transaction ends)."""

    year = models.PositiveSmallIntegerField(primary_key=True, verbose_name=_("year"))
    last = models.PositiveIntegerField(default=0, verbose_name=_("last number used"))

    class Meta:
        verbose_name = _("order number counter")
        verbose_name_plural = _("order number counters")

    def __str__(self) -> str:
        return f"{self.year}: {self.last}"


class Order(Versioned):
    """A supervision order (督办单) from a supervisor to a unit about one or more tasks."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("awaiting response")
        RESPONDED = "responded", _("responded, to verify")
        RETURNED = "returned", _("sent back")
        CLOSED = "closed", pgettext_lazy("supervision order", "closed")

    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    tasks = models.ManyToManyField(Task, related_name="supervision_orders", verbose_name=_("tasks"))
    demand = models.TextField(_("demand"))
    respond_by = models.DateField(_("respond by"))
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("issued by"),
    )
    issued_at = models.DateTimeField(_("issued at"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.ISSUED
    )
    response = models.TextField(_("response"), blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("responded by"),
    )
    # Set when the first response came after respond_by (or none came by then): counts against
    # the unit (assessment reads it).
    responded_late = models.BooleanField(_("responded late"), default=False)
    verification = models.TextField(_("verification"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("closed by"),
    )

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="order_year_number_unique")
        ]
        indexes = [
            models.Index(fields=["status", "respond_by"], name="order_status_due_idx"),
            models.Index(fields=["unit", "status"], name="order_unit_status_idx"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """督办〔2026〕7号"""
        return f"督办〔{self.year}〕{self.number}号"


class OrderStep(models.Model):
    """One step of an order, append-only."""

    class Kind(models.TextChoices):
        ISSUED = "issued", _("issued")
        RESPONDED = "responded", _("responded")
        RETURNED = "returned", _("sent back")
        CLOSED = "closed", _("verified and closed")

    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="steps", verbose_name=_("order")
    )
    kind = models.CharField(_("step"), max_length=12, choices=Kind.choices)
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("actor"),
    )
    text = models.TextField(pgettext_lazy("step", "text"), blank=True)

    class Meta:
        verbose_name = _("order step")
        verbose_name_plural = _("order steps")
        ordering = ["order_id", "at", "id"]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"


# --- due process: extensions (申请延期) and appeals (申诉) ------------------------------------


class Decision(models.TextChoices):
    PENDING = "pending", pgettext_lazy("decision", "pending")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


class Extension(Versioned):
    """A unit's request to move a task's deadline. Approval moves the task's deadline (through
    the ledger's service, so the task's history shows both dates); this row keeps the original."""

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("task")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("requested by"),
    )
    requested_at = models.DateTimeField(_("requested at"))
    original_deadline = models.DateField(_("original deadline"))
    requested_deadline = models.DateField(_("requested deadline"))
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)

    class Meta:
        verbose_name = _("extension request")
        verbose_name_plural = _("extension requests")
        indexes = [models.Index(fields=["status", "requested_at"], name="extension_status_idx")]
        # The service checks this with the task row locked; the database makes it certain.
        constraints = [
            models.UniqueConstraint(
                fields=["task"],
                condition=models.Q(status="pending"),
                name="extension_one_pending_per_task",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.original_deadline} → {self.requested_deadline}"


class Appeal(Versioned):
    """A unit's appeal against a task's light, with the light and reasons it appealed."""

    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="appeals", verbose_name=_("task")
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="+", verbose_name=_("unit")
    )
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("raised by"),
    )
    raised_at = models.DateTimeField(_("raised at"))
    light = models.CharField(_("light appealed"), max_length=10, choices=Light.choices)
    light_reasons = models.TextField(_("reasons shown"), blank=True)
    reason = models.TextField(_("grounds"))
    status = models.CharField(
        _("decision"), max_length=10, choices=Decision.choices, default=Decision.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons for the decision"), blank=True)

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        indexes = [models.Index(fields=["status", "raised_at"], name="appeal_status_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["task"],
                condition=models.Q(status="pending"),
                name="appeal_one_pending_per_task",
            )
        ]

    def __str__(self) -> str:
        return f"{self.task_id}: {self.light}"


# --- integrity signals (形式主义) -------------------------------------------------------------


class Signal(models.Model):
    """A sign of box-ticking found by a set-based scan (`services.integrity.scan_signals`) or by
    the lights pass (warned too late). One row per (kind, key): scanning again adds nothing."""

    class Kind(models.TextChoices):
        REPEATED_TEXT = "repeated_text", _("report repeats the previous one")
        JUMP_TO_DONE = "jump_to_done", _("jumped to 100% at the deadline without evidence")
        WARNED_LATE = "warned_late", _("green until the day it went red")

    kind = models.CharField(_("signal"), max_length=16, choices=Kind.choices)
    key = models.CharField(
        max_length=80, verbose_name=_("key")
    )  # e.g. "report:123", "task:45:2026-03-02"
    task = models.ForeignKey(
        Task, on_delete=models.CASCADE, related_name="+", verbose_name=_("task")
    )
    unit = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("unit"),
    )
    report = models.ForeignKey(
        Report,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("report"),
    )
    on = models.DateField(_("on"))
    detail = models.JSONField(_("detail"), default=dict, blank=True)
    text = models.CharField(_("what was found"), max_length=300)

    class Meta:
        verbose_name = _("integrity signal")
        verbose_name_plural = _("integrity signals")
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="signal_kind_key")]
        indexes = [
            models.Index(fields=["unit", "kind"], name="signal_unit_kind_idx"),
            models.Index(fields=["on"], name="signal_on_idx"),
        ]

    def __str__(self) -> str:
        return self.text
