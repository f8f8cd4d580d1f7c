"""luoshi assess --plan NAME --period YYYY-MM [--today YYYY-MM-DD] [--json] [--lock]"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from luoshi.assessment import services
from luoshi.assessment.models import Assessment, Score
from luoshi.core.actors import system_actor
from luoshi.core.cli import day_option
from luoshi.core.errors import RuleViolation
from luoshi.core.text import json_number
from luoshi.ledger.cli import plan_named


def document(assessment: Assessment) -> dict:
    """{"period", "units": [{"unit", "score", "rank", "breakdown": [{"indicator", "weight",
    "value", "points"}]}]}, best first; what the command prints."""
    units = []
    for s in Score.objects.filter(assessment=assessment).select_related("unit"):
        units.append(
            {
                "unit": s.unit.name,
                "score": json_number(s.score),
                "rank": s.rank,
                "breakdown": [
                    {k: item[k] for k in ("indicator", "weight", "value", "points")}
                    for item in s.breakdown
                ],
            }
        )
    return {"period": assessment.period, "units": units}


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
        today = day_option(options["today"])
        plan, period = plan_named(actor, options["plan"]), options["period"]
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
