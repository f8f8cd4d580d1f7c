"""luoshi closeout --plan NAME [--json]"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from luoshi.core.actors import system_actor
from luoshi.evaluation import closeout
from luoshi.ledger.cli import plan_named


class Command(BaseCommand):
    help = (
        "Close out a plan: every task's outcome (on time, late, rectified, consolidated, not "
        "done) and the closed-loop check's open items left in it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="the plan (by name)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        actor = system_actor()
        plan = plan_named(actor, options["plan"])
        result = closeout.closeout(actor, plan, lines=not options["json"])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
            return
        labels = closeout.outcome_labels()
        total = sum(result.outcomes.values())
        self.stdout.write(f"{plan.name}：{total}项任务")
        for key, n in result.outcomes.items():
            self.stdout.write(f"  {labels[key]}：{n}")
        self.stdout.write(f"  闭环检查未闭环事项：{result.open_items}")
        for line in result.lines:
            if line.reason:
                self.stdout.write(f"    {line.no} {line.title}：{line.reason}")
