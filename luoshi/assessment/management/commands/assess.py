"""luoshi assess --plan NAME --period YYYY-MM [--today YYYY-MM-DD] [--json] [--lock]"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from luoshi.assessment import access, services
from luoshi.assessment.models import Assessment, Score
from luoshi.core.actors import system_actor
from luoshi.core.errors import RuleViolation


def document(assessment: Assessment) -> dict:
    """{"period", "units": [{"unit", "score", "rank", "breakdown": [{"indicator", "weight",
    "value", "points"}]}]}, best first; what the command prints."""
    units = []
    for s in Score.objects.filter(assessment=assessment).select_related("unit"):
        units.append(
            {
                "unit": s.unit.name,
                "score": _num(s.score),
                "rank": s.rank,
                "breakdown": [
                    {k: item[k] for k in ("indicator", "weight", "value", "points")}
                    for item in s.breakdown
                ],
            }
        )
    return {"period": assessment.period, "units": units}


def _num(value):
    return int(value) if value == value.to_integral_value() else float(value)


class Command(BaseCommand):
    help = (
        "Assess every unit responsible for a task of the plan for one month, as the system "
        "actor: score, rank and the breakdown each score is the sum of. A locked month is "
        "printed as it was locked, never computed again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="the plan (by name)")
        parser.add_argument("--period", required=True, help="the month, YYYY-MM")
        parser.add_argument("--today", help="compute as of this day, YYYY-MM-DD (default today)")
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument("--lock", action="store_true", help="lock the month afterwards")

    def handle(self, *args, **options):
        actor = system_actor()
        today = timezone.localdate()
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"--today must be YYYY-MM-DD, not {options['today']!r}") from exc
        plans = list(access.plans_named(actor, options["plan"])[:2])
        if not plans:
            raise CommandError(f"No plan named “{options['plan']}”.")
        if len(plans) > 1:
            raise CommandError(f"More than one plan is named “{options['plan']}”.")
        plan, period = plans[0], options["period"]
        assessment = Assessment.objects.filter(plan=plan, period=period).first()
        try:
            if assessment is None or not assessment.locked:
                assessment = services.compute(plan, period, actor=actor, today=today)
            if options["lock"] and not assessment.locked:
                assessment = services.lock(assessment, actor=actor)
        except RuleViolation as exc:
            raise CommandError(str(exc)) from exc
        doc = document(assessment)
        if options["json"]:
            self.stdout.write(json.dumps(doc, ensure_ascii=False))
            return
        state = "已锁定" if assessment.locked else f"截至{assessment.as_of.isoformat()}"
        self.stdout.write(f"{plan.name} {period} 考核（{state}）：{len(doc['units'])}个单位")
        for u in doc["units"]:
            parts = "，".join(f"{b['indicator']}{b['points']}" for b in u["breakdown"])
            self.stdout.write(f"  {u['rank']}. {u['unit']} {u['score']}分（{parts}）")
