"""luoshi rollup --plan NAME [--json]"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from luoshi.core.actors import system_actor
from luoshi.core.text import json_number
from luoshi.ledger.cli import plan_named
from luoshi.rollup import access, rules


class Command(BaseCommand):
    help = (
        "Sum a plan's targets and actuals per category and measure, with the rate in percent "
        "(计划完工30所、已完工23所 → 76.7%)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", required=True, help="the plan (by name)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        actor = system_actor()
        plan = plan_named(actor, options["plan"])
        lines = access.rollup(actor, plan)
        if options["json"]:
            self.stdout.write(json.dumps(rules.as_json(plan.name, lines), ensure_ascii=False))
            return
        self.stdout.write(f"{plan.name}：{len(lines)}项目标")
        for line in lines:
            rate = "—" if line.rate is None else f"{line.rate}%"
            target, actual = json_number(line.target), json_number(line.actual)
            category = line.category or "（未分类）"
            self.stdout.write(
                f"  {category} {line.measure}：目标{target}，完成{actual}，完成率{rate}"
            )
