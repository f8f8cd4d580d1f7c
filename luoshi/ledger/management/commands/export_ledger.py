from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.ledger.exporter import export_plans
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
        data = export_plans(plans, Task.objects.all())
        Path(o["file"]).write_bytes(data)
        self.stdout.write(f"wrote {o['file']} ({plans.count()} plans, {len(data)} bytes)")
