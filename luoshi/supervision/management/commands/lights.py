"""luoshi lights [--plan NAME] [--today YYYY-MM-DD] [--json]"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand

from luoshi.core.actors import system_actor
from luoshi.core.cli import day_option
from luoshi.ledger.cli import plan_named
from luoshi.supervision import access, rules, services

SHOWN = (rules.RED, rules.YELLOW, rules.GREEN, rules.DONE, rules.DONE_LATE)


class Command(BaseCommand):
    help = (
        "Recompute and store every task's light (red / yellow / green / done / done late) as of "
        "a day, as the system actor, and print them. Suspended and cancelled tasks are not lit "
        "(light 'off'): they are stored but left out of the output's tasks and counts."
    )

    def add_arguments(self, parser):
        parser.add_argument("--plan", help="only this plan (by name)")
        parser.add_argument("--today", help="the day to compute as of, YYYY-MM-DD (default today)")
        parser.add_argument("--json", action="store_true", help="print JSON")

    def handle(self, *args, **options):
        actor = system_actor()
        today = day_option(options["today"])
        plan = plan_named(actor, options["plan"]) if options["plan"] else None
        services.recompute_lights(actor=actor, today=today, plan=plan)

        tasks = []
        counts = dict.fromkeys(SHOWN, 0)
        for tl in access.lights_for(actor, plan).exclude(light=rules.OFF):
            counts[tl.light] += 1
            tasks.append(
                {
                    "plan": tl.task.plan.name,
                    "no": tl.task.no,
                    "light": tl.light,
                    "pace": tl.pace,
                    "reasons": [r["text"] for r in tl.reasons],
                }
            )
        if options["json"]:
            out = {"today": today.isoformat(), "counts": counts, "tasks": tasks}
            self.stdout.write(json.dumps(out, ensure_ascii=False))
            return
        summary = "，".join(f"{rules.LIGHT_TEXTS[k]}{v}" for k, v in counts.items())
        self.stdout.write(f"{today.isoformat()}：{len(tasks)}项任务（{summary}）")
        for t in tasks:
            if t["light"] in (rules.RED, rules.YELLOW):
                label = rules.LIGHT_TEXTS[t["light"]]
                self.stdout.write(f"  {t['plan']} {t['no']} {label}：{'；'.join(t['reasons'])}")
