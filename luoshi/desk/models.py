"""A 催报: a supervisor pressing a unit that has not reported in a cycle. Kept so the next one
is refused within the rule's gap (rules.may_urge) and the home shows when it was sent."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from luoshi.dispatch.models import Cycle
from luoshi.org.models import Unit


class Urge(models.Model):
    cycle = models.ForeignKey(
        Cycle, verbose_name=_("dispatch cycle"), on_delete=models.CASCADE, related_name="urges"
    )
    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), on_delete=models.CASCADE, related_name="urges"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("urged by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(_("urged at"))
    missing = models.PositiveIntegerField(_("reports not in"))
    recipients = models.PositiveIntegerField(_("people notified"))

    class Meta:
        verbose_name = _("urge to report")
        verbose_name_plural = _("urges to report")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["cycle", "unit", "at"], name="urge_cycle_unit_idx")]

    def __str__(self) -> str:
        return f"{self.cycle} · {self.unit} · {self.at:%Y-%m-%d %H:%M}"
