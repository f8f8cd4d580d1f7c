"""luoshi import_satisfaction FILE --plan NAME [--commit] [--json]"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from luoshi.core.actors import system_actor
from luoshi.core.importing import ImportFailed
from luoshi.evaluation.satisfaction import import_satisfaction
from luoshi.ledger.cli import plan_named


class Command(BaseCommand):
    help = (
        "Put a satisfaction survey's results (序号 | 满意度 | 参评人数) onto the evaluations of a "
        "plan's tasks: a dry run, or with --commit all rows or none."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="the .xlsx workbook (or .csv)")
        parser.add_argument("--plan", required=True, help="the plan (by name)")
        parser.add_argument("--commit", action="store_true", help="write (default: dry run)")
        parser.add_argument("--json", action="store_true", help="print one JSON object")

    def handle(self, *args, **options):
        actor = system_actor()
        plan = plan_named(actor, options["plan"])
        path = Path(options["file"])
        try:
            report = import_satisfaction(
                plan,
                path.read_bytes(),
                actor=actor,
                filename=path.name,
                commit=options["commit"],
            )
        except ImportFailed as exc:
            report = exc.report
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            out = {k: getattr(report, k) for k in ("rows", "changed", "unchanged", "committed")}
            out["errors"] = report.errors
            self.stdout.write(json.dumps(out, ensure_ascii=False, default=str))
        else:
            for e in report.errors:
                self.stdout.write(f"row {e['row']} {e['column']}: {e['value']} — {e['reason']}")
            state = "written" if report.committed else "dry run"
            self.stdout.write(
                f"{report.rows} rows: {report.changed} changed, {report.unchanged} unchanged, "
                f"{len(report.errors)} errors ({state})"
            )
        if report.errors:
            raise CommandError(f"{len(report.errors)} errors: nothing written")
