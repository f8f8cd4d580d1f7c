"""luoshi lights [--plan NAME] [--today YYYY-MM-DD] [--json]"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from luoshi.core.actors import system_actor
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
        today = timezone.localdate()
        if options["today"]:
            try:
                today = dt.date.fromisoformat(options["today"])
            except ValueError as exc:
                raise CommandError(f"--today must be YYYY-MM-DD, not {options['today']!r}") from exc
        plan = None
        if options["plan"]:
            plans = list(access.plan_named(actor, options["plan"])[:2])
            if not plans:
                raise CommandError(f"No plan named “{options['plan']}”.")
            if len(plans) > 1:
                raise CommandError(f"More than one plan is named “{options['plan']}”.")
            plan = plans[0]
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
