from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.ledger.exporter import write_workbook
from luoshi.ledger.models import Plan, Task


class Command(BaseCommand):
    help = "Export plans to a workbook in the import layout, with progress columns."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx file to write")
        parser.add_argument("--plan", action="append", help="plan name (repeatable; default all)")
        parser.add_argument("--year", type=int)

    def handle(self, *args, **o):
        plans = Plan.objects.all()
        if o["plan"]:
            plans = plans.filter(name__in=o["plan"])
        if o["year"]:
            plans = plans.filter(year=o["year"])
        if not plans.exists():
            raise CommandError("no plan matches")
        path = Path(o["file"])
        # Streamed straight to the file: a city's ledger never sits in memory whole.
        rows = write_workbook(plans, Task.objects.all(), path)
        self.stdout.write(
            f"wrote {path} ({plans.count()} plans, {rows} tasks, {path.stat().st_size} bytes)"
        )
