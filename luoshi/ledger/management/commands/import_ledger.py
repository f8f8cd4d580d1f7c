import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.core.actors import system_actor
from luoshi.core.importing import ImportFailed
from luoshi.ledger.importer.service import Options, run
from luoshi.org.models import Unit


class Command(BaseCommand):
    help = "Import a ledger workbook into a plan: a dry run unless --commit is given."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx workbook")
        parser.add_argument("--plan", required=True, help="plan name (created if new)")
        parser.add_argument("--year", type=int, help="the plan's year when the title lacks it")
        parser.add_argument(
            "--owner-unit",
            help="name of the unit that owns a new plan (default: the workbook's 填报单位 line); "
            "with --create-missing it is created when the database lacks it",
        )
        parser.add_argument(
            "--create-missing",
            action="store_true",
            help="create the units and people the workbook names and the database lacks",
        )
        parser.add_argument(
            "--commit", action="store_true", help="write the import (all rows or none)"
        )
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **o):
        path = Path(o["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        owner = None
        if o["owner_unit"]:
            owner = Unit.objects.filter(name=o["owner_unit"]).first()
            if owner is None and not o["create_missing"]:
                raise CommandError(
                    f"no unit named {o['owner_unit']!r} (add --create-missing to create it)"
                )
        opts = Options(
            plan_name=o["plan"],
            year=o["year"],
            owner_unit=owner,
            owner_name="" if owner else (o["owner_unit"] or ""),
            create_missing=o["create_missing"],
            filename=path.name,
        )
        try:
            report = run(path.read_bytes(), opts, actor=system_actor(), commit=o["commit"])
        except ImportFailed as exc:
            report = exc.report
        if o["json"]:
            self.stdout.write(json.dumps(report.summary(), ensure_ascii=False))
        else:
            self._print(report)
        if report.errors:
            raise SystemExit(1)

    def _print(self, report):
        w = self.stdout.write
        w(f"{report.plan} ({report.year}): {report.rows} rows, {report.categories} categories")
        w(f"  new {report.new}, changed {report.changed}, unchanged {report.unchanged}")
        for o in report.outcomes:
            if o["outcome"] in ("new", "changed"):
                extra = f" ({', '.join(o['changed'])})" if o["changed"] else ""
                w(f"  row {o['row']}: {o['outcome']} {o['no']} {o['title']}{extra}")
        if report.extra_columns:
            w(f"  kept as extra columns: {', '.join(report.extra_columns)}")
        for e in report.warnings:
            msg = e.get("message") or e["reason"]
            w(self.style.WARNING(f"  warning row {e['row']} {e['column']}: {msg}"))
        for e in report.errors:
            w(
                self.style.ERROR(
                    f"  error row {e['row']} [{e['column']}] “{e['value']}”: "
                    f"{e.get('message') or e['reason']}"
                )
            )
        if report.owner_unit:
            w(f"  owner unit: {report.owner_unit}" + (" (created)" if report.owner_created else ""))
        for name, members in report.collective.items():
            w(f"  {name} stands for: {', '.join(members) or '(no unit in the tree: left out)'}")
        for name, parent in report.created_under.items():
            w(f"  new unit {name} under {parent or '(top level)'}")
        for kind in ("units", "people"):
            if report.created[kind]:
                w(f"  created {kind}: {', '.join(report.created[kind])}")
            elif report.unknown[kind]:
                w(
                    f"  unknown {kind} (map them or use --create-missing): "
                    f"{', '.join(report.unknown[kind])}"
                )
        w(
            "committed"
            if report.committed
            else "dry run: nothing written" + ("" if report.errors else " (add --commit to write)")
        )
