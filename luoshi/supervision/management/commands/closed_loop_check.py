"""luoshi closed_loop_check [--json] [--today YYYY-MM-DD]"""

from __future__ import annotations

import datetime as dt
import json

from django.core.management.base import BaseCommand
from django.utils import timezone

from luoshi.core.actors import system_actor
from luoshi.core.cli import day_option
from luoshi.supervision import closed_loop


class Command(BaseCommand):
    help = (
        "List every open item that lacks its next step (the closed-loop check), grouped by "
        'unit; with --json print {"open_items": n, "items": [{kind, id, unit, why}]}.'
    )

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print JSON")
        parser.add_argument(
            "--today", help="check as of the end of this day, YYYY-MM-DD (default: now)"
        )

    def handle(self, *args, **options):
        now = timezone.now()
        if options["today"]:
            day = day_option(options["today"])
            if day != timezone.localdate():
                now = timezone.make_aware(dt.datetime.combine(day, dt.time(23, 59, 59)))
        result = closed_loop.check(system_actor(), now=now)
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(f"{result['open_items']}项缺少下一步")
        unit = None
        for item in result["items"]:
            if item["unit"] != unit:
                unit = item["unit"]
                self.stdout.write(f"{unit or '—'}")
            self.stdout.write(f"  [{item['kind']} {item['id']}] {item['why']}")
