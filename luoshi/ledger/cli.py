"""The `--plan NAME` option of the commands of every stage after the ledger."""

from __future__ import annotations

from django.core.management.base import CommandError

from . import access
from .models import Plan


def plan_named(actor, name: str) -> Plan:
    """The one plan of that name the actor sees; a clear error when none or several match
    (a name may repeat across years)."""
    plans = list(access.plans_named(actor, name)[:2])
    if not plans:
        raise CommandError(f"No plan named “{name}”.")
    if len(plans) > 1:
        raise CommandError(f"More than one plan is named “{name}”.")
    return plans[0]
