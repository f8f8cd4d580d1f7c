"""Stored lights: each task's current light (computed state, recomputed set-based by
`services.recompute_lights`) and the history of its changes, plus a plan's own thresholds."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from luoshi.ledger.models import Plan, Task

from . import rules


class Light(models.TextChoices):
    RED = rules.RED, _("red")
    YELLOW = rules.YELLOW, _("yellow")
    GREEN = rules.GREEN, _("green")
    DONE = rules.DONE, _("completed")
    DONE_LATE = rules.DONE_LATE, _("completed late")
    OFF = rules.OFF, _("not lit")


class Pace(models.TextChoices):
    AHEAD = rules.AHEAD, _("ahead of plan")
    ON = rules.ON, _("on plan")
    BEHIND = rules.BEHIND, _("behind plan")


class TaskLight(models.Model):
    """A task's light as of `as_of`; `since` is the day the current light began."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="stored_light")
    light = models.CharField(_("light"), max_length=10, choices=Light.choices, db_index=True)
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


class LightChange(models.Model):
    """One change of a task's light: its history."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="light_changes")
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

    plan = models.OneToOneField(Plan, on_delete=models.CASCADE, related_name="light_rules")
    milestone_red_after = models.PositiveSmallIntegerField(default=D.milestone_red_after)
    deadline_window = models.PositiveSmallIntegerField(default=D.deadline_window)
    deadline_window_percent = models.PositiveSmallIntegerField(default=D.deadline_window_percent)
    behind_plan_points = models.PositiveSmallIntegerField(default=D.behind_plan_points)
    missed_cycles_red = models.PositiveSmallIntegerField(default=D.missed_cycles_red)
    pace_tolerance = models.PositiveSmallIntegerField(default=D.pace_tolerance)
    problem_sla_days = models.JSONField(default=default_sla_days)

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
